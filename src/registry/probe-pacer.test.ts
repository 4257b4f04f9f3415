import { describe, expect, it } from 'vitest';
import { ManualClock } from '../engine/clock.js';
import { RequestPacer } from './probe-pacer.js';

const START = Date.UTC(2026, 7, 20, 12, 0, 0);

describe('RequestPacer', () => {
  it('lets 20 requests start at once and holds the 21st until the first leaves the window', async () => {
    const clock = new ManualClock(START);
    const pacer = new RequestPacer(clock, { limit: 20, windowMs: 60_000, slackMs: 1_000 });
    for (let i = 0; i < 20; i++) await pacer.acquire();
    expect(pacer.delayMs()).toBe(61_000);

    const waits: number[] = [];
    let started = false;
    const next = pacer
      .acquire(undefined, (untilMs) => waits.push(untilMs))
      .then(() => {
        started = true;
      });
    await clock.advance(60_999);
    expect(started).toBe(false);
    await clock.advance(1);
    await next;
    expect(started).toBe(true);
    expect(waits).toEqual([START + 61_000]);
  });

  it('never has more than `limit` starts in any window, whatever the request durations', async () => {
    const clock = new ManualClock(START);
    const pacer = new RequestPacer(clock, { limit: 3, windowMs: 10_000, slackMs: 0 });
    const starts: number[] = [];
    const durations = [0, 500, 4_000, 0, 0, 9_000, 100, 0, 0, 0];
    const run = (async () => {
      for (const duration of durations) {
        await pacer.acquire();
        starts.push(clock.now());
        await clock.sleep(duration);
      }
    })();
    while (starts.length < durations.length) await clock.runNext();
    await run;
    for (const t of starts) {
      expect(starts.filter((s) => s >= t && s < t + 10_000).length).toBeLessThanOrEqual(3);
    }
  });

  it('stops waiting when aborted and records nothing', async () => {
    const clock = new ManualClock(START);
    const pacer = new RequestPacer(clock, { limit: 1 });
    await pacer.acquire();
    const controller = new AbortController();
    const waiting = pacer.acquire(controller.signal);
    await clock.advance(1_000);
    controller.abort(new Error('interrupted'));
    await expect(waiting).rejects.toThrow('interrupted');
    await clock.advance(60_000);
    expect(pacer.delayMs()).toBe(0);
  });

  it('estimates the time left from the window and the request duration', async () => {
    const clock = new ManualClock(START);
    const pacer = new RequestPacer(clock, { limit: 20 });
    expect(pacer.estimateMs(10, 1_000)).toBe(10_000);
    for (let i = 0; i < 20; i++) await pacer.acquire();
    // 20 more: all wait for the window (61 s), then run one after another.
    expect(pacer.estimateMs(20, 1_000)).toBe(61_000 + 20_000);
  });
});
