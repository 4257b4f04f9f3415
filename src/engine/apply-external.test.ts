/**
 * `applyExternal`: a fact seen by another replica is applied like a local observation — same
 * boundaries, never shortening what is in force — and its events say `origin: 'remote'`, so a
 * replicator that publishes only local events cannot loop.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import type { EngineEvent, ExternalFact } from './engine-events.js';
import type { Failure } from './failure.js';
import { seededRandom } from './random.js';
import { RotationEngine } from './rotation-engine.js';

const A = 'a/primary:free';
const B = 'b/second:free';
const PAID = 'p/paid-model';
const NOW = Date.UTC(2026, 7, 14, 12, 0, 0);
const modelRateLimit: Failure = {
  kind: 'rate_limit',
  scope: 'model',
  message: '429',
  status: 429,
  retryAfterMs: 30_000,
};

function setup(clock = new ManualClock(NOW)) {
  const engine = new RotationEngine(
    {
      rotationOrder: [A, B, PAID],
      retry: { jitter: false },
      quota: { freeRequestsPerMinute: 0 },
      breaker: { openBaseMs: 10_000 },
    },
    { clock, random: seededRandom(1) },
  );
  const events: EngineEvent[] = [];
  engine.subscribe((e) => events.push(e));
  return { clock, engine, events };
}

const picked = (engine: RotationEngine) => {
  const got = engine.acquire();
  if (!got.ok) return null;
  got.lease.release();
  return got.lease.model;
};

describe('applyExternal', () => {
  it('a remote cooldown skips the model until exactly its end, with a remote event', async () => {
    const { clock, engine, events } = setup();
    engine.applyExternal({
      type: 'cooldown',
      model: A,
      untilMs: NOW + 5000,
      reason: 'rate_limited',
      detail: 'x',
    });
    expect(engine.unavailability(A)).toMatchObject({ reason: 'cooling_down', untilMs: NOW + 5000 });
    expect(picked(engine)).toBe(B);
    expect(events.find((e) => e.type === 'cooldown_started')).toMatchObject({
      model: A,
      untilMs: NOW + 5000,
      origin: 'remote',
    });
    // The rotation it causes is this replica's own decision: not marked remote.
    expect(events.find((e) => e.type === 'rotation')?.origin).toBeUndefined();
    await clock.advance(4999);
    expect(picked(engine)).toBe(B);
    await clock.advance(2);
    expect(picked(engine)).toBe(A);
  });

  it('never shortens a later cooldown in force, and extends an earlier one', () => {
    const { engine, events } = setup();
    engine.applyExternal({
      type: 'cooldown',
      model: A,
      untilMs: NOW + 10_000,
      reason: 'rate_limited',
      detail: 'x',
    });
    const before = events.length;
    engine.applyExternal({
      type: 'cooldown',
      model: A,
      untilMs: NOW + 5_000,
      reason: 'rate_limited',
      detail: 'x',
    });
    expect(engine.metrics().models.find((m) => m.model === A)?.cooldownUntilMs).toBe(NOW + 10_000);
    expect(events).toHaveLength(before); // nothing happened, nothing said
    engine.applyExternal({
      type: 'cooldown',
      model: A,
      untilMs: NOW + 20_000,
      reason: 'rate_limited',
      detail: 'x',
    });
    expect(engine.metrics().models.find((m) => m.model === A)?.cooldownUntilMs).toBe(NOW + 20_000);
  });

  it('ignores facts that are already over', () => {
    const { engine, events } = setup();
    engine.applyExternal({ type: 'cooldown', model: A, untilMs: NOW, reason: 'rate_limited', detail: 'x' });
    engine.applyExternal({ type: 'breaker_open', model: A, untilMs: NOW - 1, timesOpened: 1 });
    engine.applyExternal({
      type: 'account_block',
      account: 'openrouter',
      scope: 'account_day',
      untilMs: NOW,
      detail: 'x',
    });
    expect(events).toEqual([]);
    expect(picked(engine)).toBe(A);
  });

  it('a remote breaker opening: open until its end, then half-open with one probe', async () => {
    const { clock, engine, events } = setup();
    engine.applyExternal({ type: 'breaker_open', model: A, untilMs: NOW + 10_000, timesOpened: 3 });
    const m = engine.metrics().models.find((x) => x.model === A)!;
    expect(m).toMatchObject({ breakerState: 'open', breakerOpenUntilMs: NOW + 10_000, timesOpened: 3 });
    expect(events.find((e) => e.type === 'breaker_opened')).toMatchObject({
      origin: 'remote',
      timesOpened: 3,
    });
    await clock.advance(9_999);
    expect(engine.unavailability(A)?.reason).toBe('breaker_open');
    await clock.advance(2);
    const probe = engine.acquire();
    expect(probe.ok && probe.lease.isProbe).toBe(true);
    expect(engine.unavailability(A)?.reason).toBe('half_open_busy');
    // The breaker_half_open transition happened here, by time: it is a local event.
    expect(events.find((e) => e.type === 'breaker_half_open')?.origin).toBeUndefined();
  });

  it('does not shorten a local open breaker', () => {
    const { engine } = setup();
    engine.applyExternal({ type: 'breaker_open', model: A, untilMs: NOW + 20_000, timesOpened: 1 });
    engine.applyExternal({ type: 'breaker_open', model: A, untilMs: NOW + 5_000, timesOpened: 1 });
    expect(engine.metrics().models.find((x) => x.model === A)?.breakerOpenUntilMs).toBe(NOW + 20_000);
  });

  it('a remote probe success closes a half-open breaker here and starts slow start', async () => {
    const { clock, engine, events } = setup();
    engine.applyExternal({ type: 'breaker_open', model: A, untilMs: NOW + 1000, timesOpened: 1 });
    await clock.advance(1001);
    expect(engine.metrics().models.find((x) => x.model === A)?.breakerState).toBe('half_open');
    engine.applyExternal({ type: 'breaker_closed', model: A });
    const m = engine.metrics().models.find((x) => x.model === A)!;
    expect(m).toMatchObject({ breakerState: 'closed', slowStartLimit: 1, consecutiveFailures: 0 });
    expect(events.filter((e) => e.type === 'breaker_closed')).toMatchObject([
      { type: 'breaker_closed', atMs: NOW + 1001, model: A, origin: 'remote' },
    ]);
    engine.applyExternal({ type: 'breaker_closed', model: A }); // already closed: nothing
    expect(events.filter((e) => e.type === 'breaker_closed')).toHaveLength(1);
  });

  it('an account block stops free models only, until its end, and never shortens', async () => {
    const { clock, engine, events } = setup();
    const until = NOW + 60_000;
    engine.applyExternal({
      type: 'account_block',
      account: 'openrouter',
      scope: 'account_minute',
      untilMs: until,
      detail: 'd',
    });
    engine.applyExternal({
      type: 'account_block',
      account: 'openrouter',
      scope: 'account_minute',
      untilMs: NOW + 1,
      detail: 'd',
    });
    expect(events.filter((e) => e.type === 'account_blocked')).toMatchObject([
      {
        type: 'account_blocked',
        atMs: NOW,
        account: 'openrouter',
        scope: 'account_minute',
        untilMs: until,
        detail: 'd',
        origin: 'remote',
      },
    ]);
    expect(picked(engine)).toBe(PAID);
    await clock.advanceTo(until);
    expect(picked(engine)).toBe(A);
  });

  it('a remote retirement retires the model once', () => {
    const { engine, events } = setup();
    engine.applyExternal({ type: 'retire', model: A, reason: 'No endpoints found' });
    engine.applyExternal({ type: 'retire', model: A, reason: 'again' });
    expect(engine.unavailability(A)).toMatchObject({ reason: 'retired', detail: 'No endpoints found' });
    expect(events.filter((e) => e.type === 'model_retired')).toHaveLength(1);
  });

  it('a remote restore brings a retired model back once, with a remote event', () => {
    const { engine, events } = setup();
    engine.retire(A, 'No endpoints found');
    engine.applyExternal({ type: 'restore', model: A, reason: 'listed again' });
    engine.applyExternal({ type: 'restore', model: A, reason: 'again' });
    expect(engine.unavailability(A)).toBeUndefined();
    const restored = events.filter((e) => e.type === 'model_restored');
    expect(restored).toHaveLength(1);
    expect(restored[0]?.origin).toBe('remote');
  });

  it('two replicas wired through their local events exchange a fact once, with no echo', () => {
    const clock = new ManualClock(NOW);
    const one = setup(clock);
    const two = setup(clock);
    const sent: ExternalFact[] = [];
    const replicate = (from: RotationEngine, to: RotationEngine) =>
      from.subscribe((e) => {
        if (e.origin === 'remote' || e.type !== 'cooldown_started') return;
        const fact: ExternalFact = {
          type: 'cooldown',
          model: e.model,
          untilMs: e.untilMs,
          reason: 'rate_limited',
          detail: e.detail,
        };
        sent.push(fact);
        to.applyExternal(fact);
      });
    replicate(one.engine, two.engine);
    replicate(two.engine, one.engine);
    const got = one.engine.acquire();
    if (!got.ok) throw new Error('nothing admitted');
    got.lease.fail(modelRateLimit);
    expect(sent).toHaveLength(1);
    expect(two.engine.unavailability(A)).toMatchObject({ reason: 'cooling_down', untilMs: NOW + 30_000 });
    expect(picked(two.engine)).toBe(B);
  });

  it('leaves the serialised state exactly as a local observation would', () => {
    const local = setup();
    const remote = setup();
    local.engine.coolDown(A, 5000, 'rate_limited', 'x');
    remote.engine.applyExternal({
      type: 'cooldown',
      model: A,
      untilMs: NOW + 5000,
      reason: 'rate_limited',
      detail: 'x',
    });
    expect(remote.engine.toJSON()).toEqual(local.engine.toJSON());
  });
});

describe('Lease.withdraw (an attempt a coordinator refused)', () => {
  it('frees the slot and takes back the quota count, without a verdict or a cancellation', () => {
    const clock = new ManualClock(NOW);
    const engine = new RotationEngine(
      { rotationOrder: [A], quota: { freeRequestsPerMinute: 2 } },
      { clock, random: seededRandom(1) },
    );
    for (let i = 0; i < 5; i++) {
      const got = engine.acquire();
      if (!got.ok) throw new Error('refused locally');
      got.lease.withdraw();
    }
    const m = engine.metrics();
    expect(m.system.accounts[0]).toMatchObject({ minuteUsed: 0, dayUsed: 0 });
    expect(m.models[0]).toMatchObject({ inFlight: 0, totalRequests: 0, cancelledRequests: 0 });
  });

  it('takes nothing back from a window that has rolled since', async () => {
    const clock = new ManualClock(NOW + 59_000);
    const engine = new RotationEngine({ rotationOrder: [A] }, { clock, random: seededRandom(1) });
    const got = engine.acquire();
    if (!got.ok) throw new Error('refused locally');
    await clock.advance(2000); // a new minute
    expect(engine.acquire().ok && engine.acquire().ok).toBe(true);
    got.lease.withdraw(); // its minute is over: only the day's count is taken back
    expect(engine.metrics().system.accounts[0]).toMatchObject({ minuteUsed: 2, dayUsed: 2 });
  });
});
