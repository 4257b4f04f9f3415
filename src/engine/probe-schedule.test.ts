/**
 * The recovery-probe schedule in the engine: open times by outage age and failure kind, and the
 * account's daily probe budget (shares of 50 and 1000 a day, the rotation's top models first).
 * Expected values are worked out by hand from the documented defaults (README "Recovery probes").
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import type { EngineEvent } from './engine-events.js';
import { breakerOptionsSchema, type EngineOptionsInput } from './engine-options.js';
import type { Lease } from './engine-types.js';
import type { Failure } from './failure.js';
import { mayProbe, nominalOpenMs, probeBudgetPerDay, scaledOpenMs } from './probe-schedule.js';
import { seededRandom } from './random.js';
import { RotationEngine } from './rotation-engine.js';

const A = 'a/primary:free';
const B = 'b/second:free';
const C = 'c/third:free';
const PAID = 'p/paid-model';
const NOON = Date.UTC(2026, 7, 14, 12, 0, 0);
const MIDNIGHT = Date.UTC(2026, 7, 15);
const serverError: Failure = { kind: 'server_error', message: '503', status: 503 };
const silent: Failure = { kind: 'timeout', phase: 'first_token', message: 'no first token' };

function setup(options: EngineOptionsInput = {}, order = [A, B, C, PAID], seed = 1) {
  const clock = new ManualClock(NOON);
  const engine = new RotationEngine(
    { rotationOrder: order, retry: { jitter: false }, quota: { freeRequestsPerMinute: 0 }, ...options },
    { clock, random: seededRandom(seed) },
  );
  const events: EngineEvent[] = [];
  engine.subscribe((e) => events.push(e));
  return { clock, engine, events };
}

const model = (engine: RotationEngine, id: string) => engine.metrics().models.find((m) => m.model === id)!;

/** Open `id`'s breaker with five consecutive failures. */
function breakOpen(engine: RotationEngine, id: string, failure: Failure = serverError) {
  for (let i = 0; i < 5; i++) engine.recordFailure(id, failure);
}

/** Wait out the open period and take `id`'s probe; null if it is not admitted (with why). */
async function probe(clock: ManualClock, engine: RotationEngine, id: string): Promise<Lease | null> {
  const until = model(engine, id).breakerOpenUntilMs;
  if (until !== null) await clock.advanceTo(until);
  const got = engine.acquire({ order: [id] });
  return got.ok ? got.lease : null;
}

describe('the schedule as pure functions (defaults)', () => {
  const b = breakerOptionsSchema.parse({});

  it('defaults: 20 s while young (10 min), cap 10 min, silent models ×2, 10 % of the quota', () => {
    expect(b).toMatchObject({
      openBaseMs: 20_000,
      fastProbeForMs: 600_000,
      maxOpenMs: 600_000,
      timeoutOpenFactor: 2,
      probeQuotaShare: 0.1,
      halfOpenMaxProbes: 1,
      forgetAfterMs: 600_000,
    });
  });

  it('20 s at any age under 10 min; then 40 s, 80 s, … doubling to the 10 min cap', () => {
    const young = { sinceMs: 0, lastOpenMs: 20_000 };
    expect(nominalOpenMs(b, young, 0)).toBe(20_000);
    expect(nominalOpenMs(b, young, 599_999)).toBe(20_000);
    expect(nominalOpenMs(b, young, 600_000)).toBe(40_000);
    expect(nominalOpenMs(b, { sinceMs: 0, lastOpenMs: 40_000 }, 700_000)).toBe(80_000);
    expect(nominalOpenMs(b, { sinceMs: 0, lastOpenMs: 320_000 }, 2_000_000)).toBe(600_000);
    expect(nominalOpenMs(b, { sinceMs: 0, lastOpenMs: 600_000 }, 9_000_000)).toBe(600_000);
  });

  it('a timeout doubles the open time, never past the cap; other kinds do not', () => {
    expect(scaledOpenMs(b, 20_000, 'timeout')).toBe(40_000);
    expect(scaledOpenMs(b, 20_000, 'server_error')).toBe(20_000);
    expect(scaledOpenMs(b, 20_000, 'network')).toBe(20_000);
    expect(scaledOpenMs(b, 600_000, 'timeout')).toBe(600_000);
  });

  it('the daily budget: 5 of 50, 100 of 1000, at least 1; unknown: 10 % of what was sent today, at least 5', () => {
    expect(probeBudgetPerDay(b, 50)).toBe(5);
    expect(probeBudgetPerDay(b, 1000)).toBe(100);
    expect(probeBudgetPerDay(b, 1000, 20)).toBe(100);
    expect(probeBudgetPerDay(b, 3)).toBe(1);
    expect(probeBudgetPerDay(b, undefined)).toBe(5);
    expect(probeBudgetPerDay(b, undefined, 50)).toBe(5); // a 50-a-day account can send no more
    expect(probeBudgetPerDay(b, undefined, 649)).toBe(64); // one that sent 649 has the 1000 tier
  });

  it('of 5: the primary may spend all 5, the second 3, the third 2, any lower one 1', () => {
    const allowed = (rank: number) => {
      let spent = 0;
      while (mayProbe(5, spent, rank)) spent++;
      return spent;
    };
    expect([0, 1, 2, 3, 4, 11].map(allowed)).toEqual([5, 3, 2, 1, 1, 1]);
  });
});

describe('open times in the engine', () => {
  it('with jitter (±20 %), every opening of a young outage lasts 16–24 s, so a recovery waits < 25 s for its probe', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 }), async (seed) => {
        const { engine, clock } = setup({ retry: { jitter: true } }, [PAID], seed);
        breakOpen(engine, PAID);
        const start = clock.now();
        while (clock.now() - start < 590_000) {
          const open = model(engine, PAID).breakerOpenUntilMs! - clock.now();
          expect(open).toBeGreaterThanOrEqual(16_000);
          expect(open).toBeLessThanOrEqual(24_000);
          (await probe(clock, engine, PAID))!.fail(serverError);
        }
      }),
      { numRuns: 30, seed: 15 },
    );
  });

  it('a silent model (timeouts) waits twice as long between probes: 40 s, then 80 s past the young phase', async () => {
    const { engine, clock } = setup({}, [PAID]);
    breakOpen(engine, PAID, silent);
    expect(model(engine, PAID).breakerOpenUntilMs).toBe(clock.now() + 40_000);
    (await probe(clock, engine, PAID))!.fail(silent);
    expect(model(engine, PAID).breakerOpenUntilMs).toBe(clock.now() + 40_000);
    await clock.advance(600_000); // past the young phase (the probe slot stays half-open meanwhile)
    (await probe(clock, engine, PAID))!.fail(silent);
    expect(model(engine, PAID).breakerOpenUntilMs).toBe(clock.now() + 80_000);
    // The kind of the failure that re-opens it counts: a 5xx probe failure is back to the plain time.
    (await probe(clock, engine, PAID))!.fail(serverError);
    expect(model(engine, PAID).breakerOpenUntilMs).toBe(clock.now() + 80_000);
  });

  it('closed for 10 min, the outage is forgotten: the next one starts young (20 s) again', async () => {
    const { engine, clock } = setup({ slowStart: { enabled: false } }, [PAID]);
    breakOpen(engine, PAID);
    await clock.advance(700_000); // half-open since 20 s; the outage is 700 s old
    (await probe(clock, engine, PAID))!.fail(serverError);
    expect(model(engine, PAID).breakerOpenUntilMs).toBe(clock.now() + 40_000);
    (await probe(clock, engine, PAID))!.succeed();
    await clock.advance(60_000); // closed 1 min: a new failure streak continues the old outage
    breakOpen(engine, PAID);
    expect(model(engine, PAID).breakerOpenUntilMs).toBe(clock.now() + 80_000);
    (await probe(clock, engine, PAID))!.succeed();
    await clock.advance(600_000); // closed 10 min: forgotten
    breakOpen(engine, PAID);
    expect(model(engine, PAID).breakerOpenUntilMs).toBe(clock.now() + 20_000);
    expect(model(engine, PAID).outageSinceMs).toBe(clock.now());
  });

  it('the snapshot shows the next probe time, the outage start and probes today', async () => {
    const { engine, clock } = setup({}, [PAID]);
    const t0 = clock.now();
    expect(model(engine, PAID)).toMatchObject({ nextProbeAtMs: null, outageSinceMs: null, probesToday: 0 });
    breakOpen(engine, PAID);
    expect(model(engine, PAID)).toMatchObject({ nextProbeAtMs: t0 + 20_000, outageSinceMs: t0 });
    await clock.advance(25_000);
    // Half-open is applied when the engine is next consulted: the probe has been due since then.
    expect(model(engine, PAID)).toMatchObject({ breakerState: 'half_open', nextProbeAtMs: t0 + 25_000 });
    (await probe(clock, engine, PAID))!.fail(serverError);
    expect(model(engine, PAID)).toMatchObject({
      nextProbeAtMs: t0 + 45_000,
      outageSinceMs: t0,
      probesToday: 1,
    });
  });
});

describe('the daily probe budget of a free account', () => {
  it('50 a day: five probes of the primary, then it is skipped until 00:00 UTC, said once', async () => {
    const { engine, clock, events } = setup({ quota: { freeRequestsPerMinute: 0, freeRequestsPerDay: 50 } });
    breakOpen(engine, A);
    for (let i = 0; i < 5; i++) (await probe(clock, engine, A))!.fail(serverError);
    expect(events.filter((e) => e.type === 'probe_budget_spent')).toEqual([
      expect.objectContaining({ account: 'openrouter', spent: 5, budget: 5, untilMs: MIDNIGHT }),
    ]);
    expect(await probe(clock, engine, A)).toBeNull();
    expect(engine.unavailability(A)).toMatchObject({ reason: 'probe_budget_spent', untilMs: MIDNIGHT });
    expect(engine.acquire().ok && engine.currentModel()).toBe(B);
    expect(model(engine, A)).toMatchObject({ breakerState: 'half_open', nextProbeAtMs: MIDNIGHT });
    expect(engine.metrics().system.accounts[0]).toMatchObject({ probes: { budget: 5, spent: 5 } });
    await clock.advanceTo(MIDNIGHT - 1);
    expect(engine.unavailability(A)?.reason).toBe('probe_budget_spent');
    await clock.advanceTo(MIDNIGHT);
    const next = await probe(clock, engine, A);
    expect(next?.isProbe).toBe(true);
    next!.succeed();
    expect(engine.currentModel()).toBe(A);
  });

  it('the budget goes to the top of the rotation: the second model gets 3 of 5, leaving 2 for the primary', async () => {
    const { engine, clock } = setup({ quota: { freeRequestsPerMinute: 0, freeRequestsPerDay: 50 } });
    breakOpen(engine, A);
    breakOpen(engine, B);
    for (let i = 0; i < 3; i++) (await probe(clock, engine, B))!.fail(serverError);
    expect(await probe(clock, engine, B)).toBeNull();
    expect(engine.unavailability(B)).toMatchObject({
      reason: 'probe_budget_spent',
      detail: expect.stringContaining('2 of 5 recovery probes left today, kept for models above this one'),
    });
    for (let i = 0; i < 2; i++) (await probe(clock, engine, A))!.fail(serverError);
    expect(await probe(clock, engine, A)).toBeNull();
  });

  it('1000 a day, learned from GET /key: 100 probes; paid models have no budget', async () => {
    // Every opening 20 s (a day-long young phase), so the 100 probes fit in this afternoon.
    const { engine, clock } = setup({ breaker: { fastProbeForMs: 86_400_000 } });
    engine.setAccountQuota('openrouter', { limit: 1000, remaining: 1000, used: 0 });
    breakOpen(engine, A);
    breakOpen(engine, PAID);
    for (let i = 0; i < 100; i++) (await probe(clock, engine, A))!.fail(serverError);
    expect(await probe(clock, engine, A)).toBeNull();
    expect(engine.metrics().system.accounts[0]).toMatchObject({ probes: { budget: 100, spent: 100 } });
    for (let i = 0; i < 10; i++) (await probe(clock, engine, PAID))!.fail(serverError);
    expect(model(engine, PAID).probesToday).toBe(10);
  });

  it('an unknown daily limit: 5, or 10 % of the free requests sent today if more; the learned limit wins', async () => {
    const { engine, clock } = setup();
    breakOpen(engine, A); // 5 failures, recorded without leases: not counted as sent
    for (let i = 0; i < 5; i++) (await probe(clock, engine, A))!.fail(serverError);
    expect(await probe(clock, engine, A)).toBeNull();
    expect(engine.unavailability(A)?.reason).toBe('probe_budget_spent');
    // 55 more free requests served by B today: 60 sent (with the 5 probes), so 6 probes.
    for (let i = 0; i < 55; i++) {
      const got = engine.acquire({ order: [B] });
      if (got.ok) got.lease.succeed();
    }
    expect(engine.metrics().system.accounts[0]).toMatchObject({
      dayUsed: 60,
      probes: { budget: 6, spent: 5 },
    });
    expect(engine.unavailability(A)).toBeUndefined();
    engine.setAccountQuota('openrouter', { limit: 50, remaining: 0, used: 60 });
    expect(engine.metrics().system.accounts[0]).toMatchObject({ probes: { budget: 5, spent: 5 } });
  });

  it('a probe withdrawn before it was sent (another replica holds it) is not spent; the last one in flight is busy, not spent', async () => {
    const { engine, clock } = setup({ quota: { freeRequestsPerMinute: 0, freeRequestsPerDay: 50 } });
    breakOpen(engine, A);
    for (let i = 0; i < 4; i++) (await probe(clock, engine, A))!.fail(serverError);
    const fifth = (await probe(clock, engine, A))!;
    expect(engine.unavailability(A)?.reason).toBe('half_open_busy');
    fifth.withdraw();
    expect(model(engine, A).probesToday).toBe(4);
    expect(engine.unavailability(A)).toBeUndefined();
  });

  it('an operator reset does not refill the budget', async () => {
    const { engine, clock } = setup({ quota: { freeRequestsPerMinute: 0, freeRequestsPerDay: 50 } });
    breakOpen(engine, A);
    for (let i = 0; i < 3; i++) (await probe(clock, engine, A))!.fail(serverError);
    engine.resetHealth(A);
    expect(model(engine, A)).toMatchObject({ breakerState: 'closed', probesToday: 3 });
  });

  it('replicas share the schedule: the earlier outage start and the higher probe count of the day', async () => {
    const { engine, clock, events } = setup({ quota: { freeRequestsPerMinute: 0, freeRequestsPerDay: 50 } });
    const dayStart = Date.UTC(2026, 7, 14);
    await clock.advance(700_000);
    engine.applyExternal({
      type: 'breaker_open',
      model: A,
      untilMs: clock.now() + 40_000,
      timesOpened: 3,
      outageSinceMs: NOON,
      probes: { dayStartMs: dayStart, count: 4 },
    });
    expect(model(engine, A)).toMatchObject({ outageSinceMs: NOON, probesToday: 4 });
    const last = (await probe(clock, engine, A))!;
    last.fail(serverError);
    // The outage is 740 s old here (past the young phase): 2 × 20 s; and the budget (5) is spent.
    expect(model(engine, A).breakerOpenUntilMs).toBe(clock.now() + 40_000);
    expect(events.filter((e) => e.type === 'breaker_opened').at(-1)).toMatchObject({
      outageSinceMs: NOON,
      probes: { dayStartMs: dayStart, count: 5 },
    });
    expect(events.some((e) => e.type === 'probe_budget_spent')).toBe(true);
    // A fact of another day's count changes nothing today.
    engine.applyExternal({
      type: 'breaker_open',
      model: B,
      untilMs: clock.now() + 10_000,
      timesOpened: 1,
      probes: { dayStartMs: dayStart - 86_400_000, count: 9 },
    });
    expect(model(engine, B).probesToday).toBe(0);
  });
});
