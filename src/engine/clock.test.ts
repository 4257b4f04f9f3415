import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from './clock.js';

describe('ManualClock', () => {
  it('wakes sleepers in due order as time advances, and not before', async () => {
    const clock = new ManualClock(0);
    const woke: string[] = [];
    void clock.sleep(200).then(() => woke.push(`b@${clock.now()}`));
    void clock.sleep(100).then(() => woke.push(`a@${clock.now()}`));
    await clock.advance(99);
    expect(woke).toEqual([]);
    await clock.advance(1);
    expect(woke).toEqual(['a@100']);
    await clock.advance(500);
    expect(woke).toEqual(['a@100', 'b@200']);
    expect(clock.now()).toBe(600);
  });

  it('runs chained sleeps within one advance', async () => {
    const clock = new ManualClock(0);
    let done = false;
    void (async () => {
      await clock.sleep(10);
      await clock.sleep(10);
      done = true;
    })();
    await clock.advance(20);
    expect(done).toBe(true);
  });

  it('rejects a sleep when its signal aborts and forgets it', async () => {
    const clock = new ManualClock(0);
    const ac = new AbortController();
    const p = clock.sleep(1000, ac.signal);
    ac.abort(new Error('gone'));
    await expect(p).rejects.toThrow('gone');
    expect(clock.pendingSleeps).toBe(0);
  });
});

describe('systemClock', () => {
  it('rejects at once for an already-aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(systemClock.sleep(10_000, ac.signal)).rejects.toBeDefined();
  });
});
