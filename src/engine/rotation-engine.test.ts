import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import type { EngineEvent } from './engine-events.js';
import type { EngineOptionsInput } from './engine-options.js';
import type { Lease } from './engine-types.js';
import type { Failure } from './failure.js';
import { seededRandom } from './random.js';
import { RotationEngine } from './rotation-engine.js';

const A = 'a/primary:free';
const B = 'b/second:free';
const C = 'c/third:free';
const PAID = 'p/paid-model';

const serverError: Failure = { kind: 'server_error', message: '503', status: 503 };
const modelRateLimit: Failure = { kind: 'rate_limit', scope: 'model', message: '429', status: 429 };

function setup(options: EngineOptionsInput = {}, start = Date.UTC(2026, 7, 14, 12, 0, 0)) {
  const clock = new ManualClock(start);
  const engine = new RotationEngine(
    {
      rotationOrder: [A, B, C],
      retry: { jitter: false },
      quota: { freeRequestsPerMinute: 0 },
      ...options,
    },
    { clock, random: seededRandom(1) },
  );
  const events: EngineEvent[] = [];
  engine.subscribe((e) => events.push(e));
  return { clock, engine, events };
}

function take(engine: RotationEngine, request = {}): Lease {
  const got = engine.acquire(request);
  if (!got.ok) throw new Error(`nothing admitted: ${JSON.stringify(got.skipped)}`);
  return got.lease;
}

function failTimes(engine: RotationEngine, model: string, n: number, failure: Failure = serverError) {
  for (let i = 0; i < n; i++) engine.recordFailure(model, failure);
}

describe('selection', () => {
  it('picks the primary when all is well and says why others were skipped', () => {
    const { engine } = setup();
    const got = engine.acquire();
    expect(got.ok && got.lease.model).toBe(A);
    expect(got.skipped).toEqual([]);
    expect(engine.currentModel()).toBe(A);
  });

  it('skips models that cannot serve the request, with reasons', () => {
    const { engine } = setup();
    engine.upsertProfile({ id: A, tools: false });
    engine.upsertProfile({ id: B, contextLength: 8000 });
    const got = engine.acquire({ needs: { tools: true, promptTokens: 10_000 } });
    expect(got.ok && got.lease.model).toBe(C);
    expect(got.skipped.map((s) => s.reason)).toEqual(['lacks_tools', 'context_too_small']);
  });

  it('knows the models of its rotation, described ones and tried ones, and no others', () => {
    const { engine } = setup();
    engine.upsertProfile({ id: PAID });
    engine.acquire({ order: ['x/tried:free'] });
    for (const id of [A, B, C, PAID, 'x/tried:free']) expect(engine.hasModel(id)).toBe(true);
    expect(engine.hasModel('nobody/else')).toBe(false);
    expect(engine.knownModels()).toEqual([A, B, C, PAID, 'x/tried:free']);
  });

  it('honours a per-request order and exclusions', () => {
    const { engine } = setup();
    const got = engine.acquire({ order: [C, B], exclude: new Set([C]) });
    expect(got.ok && got.lease.model).toBe(B);
    expect(got.skipped[0]?.reason).toBe('already_tried');
  });

  it('when nothing is available, reports the earliest recovery time', () => {
    const { engine, clock } = setup();
    engine.recordFailure(A, { ...modelRateLimit, retryAfterMs: 5000 });
    engine.recordFailure(B, { ...modelRateLimit, retryAfterMs: 3000 });
    engine.retire(C, 'gone');
    const got = engine.acquire();
    expect(got.ok).toBe(false);
    if (!got.ok) {
      expect(got.retryAtMs).toBe(clock.now() + 3000);
      expect(got.skipped.map((s) => s.reason)).toEqual(['cooling_down', 'cooling_down', 'retired']);
    }
  });
});

describe('rate limits', () => {
  it('a model 429 cools that model down and the request moves on at once', () => {
    const { engine, events } = setup();
    take(engine).fail(modelRateLimit);
    expect(take(engine).model).toBe(B);
    expect(engine.currentModel()).toBe(B);
    expect(events.map((e) => e.type)).toEqual(['cooldown_started', 'rotation']);
  });

  it('without a hint the cooldown follows the backoff of consecutive rate limits: 1 s, 2 s, 4 s', () => {
    const { engine, clock } = setup();
    const t0 = clock.now();
    engine.recordFailure(A, modelRateLimit);
    expect(engine.unavailability(A)?.untilMs).toBe(t0 + 1000);
    engine.recordFailure(A, modelRateLimit);
    expect(engine.unavailability(A)?.untilMs).toBe(t0 + 2000);
    engine.recordFailure(A, modelRateLimit);
    expect(engine.unavailability(A)?.untilMs).toBe(t0 + 4000);
  });

  it('a reset hint is honoured to the millisecond', async () => {
    const { engine, clock } = setup({ slowStart: { enabled: false } });
    const resetAtMs = clock.now() + 17_345;
    engine.recordFailure(A, { ...modelRateLimit, resetAtMs });
    await clock.advanceTo(resetAtMs - 1);
    expect(engine.unavailability(A)?.reason).toBe('cooling_down');
    expect(take(engine).model).toBe(B);
    await clock.advanceTo(resetAtMs);
    expect(engine.unavailability(A)).toBeUndefined();
    expect(take(engine).model).toBe(A);
  });

  it('a model hint is capped by maxModelHintMs', () => {
    const { engine, clock } = setup({ maxModelHintMs: 60_000 });
    engine.recordFailure(A, { ...modelRateLimit, resetAtMs: clock.now() + 3_600_000 });
    expect(engine.unavailability(A)?.untilMs).toBe(clock.now() + 60_000);
  });

  it('concurrent reports never shorten a cooldown in force', () => {
    const { engine, clock } = setup();
    engine.recordFailure(A, { ...modelRateLimit, retryAfterMs: 30_000 });
    engine.recordFailure(A, { ...modelRateLimit, retryAfterMs: 1000 });
    expect(engine.unavailability(A)?.untilMs).toBe(clock.now() + 30_000);
  });

  it('an account-wide daily 429 blocks every :free model of the account until the reset, not paid ones', async () => {
    const { engine, clock, events } = setup({ rotationOrder: [A, B, C, PAID] });
    const resetAtMs = Date.UTC(2026, 7, 15);
    take(engine).fail({
      kind: 'rate_limit',
      scope: 'account_day',
      message: 'free-models-per-day',
      resetAtMs,
    });
    const got = engine.acquire();
    expect(got.ok && got.lease.model).toBe(PAID);
    expect(got.skipped.map((s) => s.reason)).toEqual([
      'account_blocked',
      'account_blocked',
      'account_blocked',
    ]);
    expect(got.skipped[0]?.untilMs).toBe(resetAtMs);
    expect(events.some((e) => e.type === 'account_blocked')).toBe(true);
    // The model itself is not blamed.
    expect(engine.metrics().models[0]?.consecutiveRateLimits).toBe(0);
    await clock.advanceTo(resetAtMs - 1);
    expect(engine.unavailability(A)?.reason).toBe('account_blocked');
    await clock.advanceTo(resetAtMs);
    expect(engine.unavailability(A)).toBeUndefined();
    expect(events.slice(-3).map((e) => e.type)).toEqual([
      'account_unblocked',
      'rotation',
      'reset_to_primary',
    ]);
  });

  it('an account daily 429 with a reset already in the past blocks until the next 00:00 UTC', () => {
    const { engine, clock } = setup();
    engine.recordFailure(A, {
      kind: 'rate_limit',
      scope: 'account_day',
      message: 'free-models-per-day',
      resetAtMs: clock.now() - 1,
    });
    expect(engine.unavailability(B)?.untilMs).toBe(Date.UTC(2026, 7, 15));
  });

  it('an account per-minute 429 blocks until the next minute boundary', () => {
    const { engine } = setup({}, Date.UTC(2026, 7, 14, 12, 0, 42));
    engine.recordFailure(A, { kind: 'rate_limit', scope: 'account_minute', message: 'free-models-per-min' });
    expect(engine.unavailability(C)?.untilMs).toBe(Date.UTC(2026, 7, 14, 12, 1));
  });
});

describe('local quota pacing', () => {
  it('admits exactly 20 :free requests per minute and the 21st waits for the next minute', async () => {
    const { engine, clock } = setup(
      { quota: { freeRequestsPerMinute: 20 } },
      Date.UTC(2026, 7, 14, 12, 0, 30),
    );
    for (let i = 0; i < 20; i++) take(engine).succeed();
    const got = engine.acquire();
    expect(got.ok).toBe(false);
    if (!got.ok) {
      expect(got.skipped[0]?.reason).toBe('account_quota');
      expect(got.retryAtMs).toBe(Date.UTC(2026, 7, 14, 12, 1));
    }
    await clock.advanceTo(Date.UTC(2026, 7, 14, 12, 1) - 1);
    expect(engine.acquire().ok).toBe(false);
    await clock.advanceTo(Date.UTC(2026, 7, 14, 12, 1));
    expect(engine.acquire().ok).toBe(true);
  });

  it('a /key report of zero remaining blocks :free traffic until midnight UTC', () => {
    const { engine } = setup();
    engine.setAccountQuota('openrouter', { limit: 50, remaining: 0, used: 50 });
    const snap = engine.metrics().system.accounts[0]!;
    expect(snap.dayLimit).toBe(50);
    expect(snap.dayUsed).toBe(50);
    expect(snap.blockedUntilMs).toBe(Date.UTC(2026, 7, 15));
  });
});

describe('consecutive failures and the breaker', () => {
  it('cools the model down at exactly maxConsecutiveFailures, not before', () => {
    const { engine, clock } = setup();
    failTimes(engine, A, 2);
    expect(engine.unavailability(A)).toBeUndefined();
    failTimes(engine, A, 1);
    expect(engine.unavailability(A)).toMatchObject({ reason: 'cooling_down', untilMs: clock.now() + 1000 });
  });

  it('a success resets the consecutive-failure count', () => {
    const { engine } = setup();
    failTimes(engine, A, 2);
    engine.recordSuccess(A);
    failTimes(engine, A, 2);
    expect(engine.unavailability(A)).toBeUndefined();
    expect(engine.metrics().models[0]?.consecutiveFailures).toBe(2);
  });

  it('opens the breaker at exactly the threshold (≥ 5), not at 4', () => {
    const { engine } = setup();
    failTimes(engine, A, 4);
    expect(engine.metrics().models[0]?.breakerState).toBe('closed');
    failTimes(engine, A, 1);
    expect(engine.metrics().models[0]?.breakerState).toBe('open');
  });

  it('an open breaker admits nothing at open-end − 1 ms and one probe at open-end + 1 ms', async () => {
    const { engine, clock, events } = setup();
    const t0 = clock.now();
    failTimes(engine, A, 5);
    const openUntil = t0 + 20_000; // breaker.openBaseMs, no jitter in this setup
    expect(engine.metrics().models[0]?.breakerOpenUntilMs).toBe(openUntil);
    await clock.advanceTo(openUntil - 1);
    expect(take(engine).model).toBe(B);
    await clock.advanceTo(openUntil + 1);
    const probe = take(engine);
    expect(probe.model).toBe(A);
    expect(probe.isProbe).toBe(true);
    expect(events.some((e) => e.type === 'breaker_half_open')).toBe(true);
  });

  it('half-open admits exactly the configured probes; the rest go to the next model at once', async () => {
    const { engine, clock } = setup({ breaker: { halfOpenMaxProbes: 2 } });
    failTimes(engine, A, 5);
    await clock.advance(30_000);
    const p1 = take(engine);
    const p2 = take(engine);
    const third = engine.acquire();
    expect([p1.model, p2.model]).toEqual([A, A]);
    expect(third.ok && third.lease.model).toBe(B);
    expect(third.skipped[0]?.reason).toBe('half_open_busy');
    p1.release(); // an aborted probe frees its slot without a verdict
    expect(take(engine).model).toBe(A);
  });

  it('a probe success closes the breaker; a failed probe of a young outage re-opens it for the same 20 s', async () => {
    // Not "30 s × times opened" any more: a failed probe early in an outage must not push the next
    // one further out, or a 45 s outage would keep traffic away for a minute and a half.
    const { engine, clock, events } = setup({ slowStart: { enabled: false } });
    failTimes(engine, A, 5);
    await clock.advance(20_000);
    take(engine).fail(serverError);
    let m = engine.metrics().models[0]!;
    expect(m.breakerState).toBe('open');
    expect(m.timesOpened).toBe(2);
    expect(m.breakerOpenUntilMs).toBe(clock.now() + 20_000);
    await clock.advance(20_000);
    take(engine).succeed({ latencyMs: 100 });
    m = engine.metrics().models[0]!;
    expect(m.breakerState).toBe('closed');
    expect(m.consecutiveFailures).toBe(0);
    expect(events.filter((e) => e.type === 'breaker_closed')).toHaveLength(1);
  });

  it('the open time stays at the base while the outage is young, then doubles per failed probe, capped', async () => {
    const { engine, clock } = setup({
      breaker: { openBaseMs: 100_000, maxOpenMs: 250_000, fastProbeForMs: 500_000 },
    });
    failTimes(engine, A, 5);
    // Probes fail at outage ages 300 s (young), 600 s and 900 s (past 500 s: 2 × 100 s, then the cap).
    for (const expected of [100_000, 200_000, 250_000]) {
      await clock.advance(300_000);
      take(engine).fail(serverError);
      expect(engine.metrics().models[0]?.breakerOpenUntilMs).toBe(clock.now() + expected);
    }
  });

  it('request errors, context-length and unsupported features never count against the model', () => {
    const { engine } = setup();
    for (const kind of ['request_error', 'context_length', 'unsupported', 'auth', 'credits'] as const) {
      failTimes(engine, A, 10, { kind, message: kind });
    }
    const m = engine.metrics().models[0]!;
    expect(m.consecutiveFailures).toBe(0);
    expect(m.breakerState).toBe('closed');
    expect(engine.unavailability(A)).toBeUndefined();
  });

  it('a 404 "No endpoints found" retires the model for everyone at once', () => {
    const { engine, events } = setup();
    take(engine).fail({ kind: 'model_not_found', message: 'No endpoints found for a/primary:free.' });
    expect(engine.unavailability(A)?.reason).toBe('retired');
    expect(take(engine).model).toBe(B);
    expect(events.find((e) => e.type === 'model_retired')).toMatchObject({ model: A });
  });
});

describe('slow start', () => {
  it('a recovered model admits 1, then 2, then 4 concurrent requests', async () => {
    const { engine, clock } = setup({
      slowStart: { enabled: true, initialConcurrency: 1, maxConcurrency: 8 },
    });
    engine.recordFailure(A, modelRateLimit);
    await clock.advance(1000);
    const first = take(engine);
    expect(first.model).toBe(A);
    const second = engine.acquire();
    expect(second.ok && second.lease.model).toBe(B);
    expect(second.skipped[0]?.reason).toBe('slow_start_busy');
    first.succeed();
    const batch = [take(engine), take(engine)];
    expect(batch.map((l) => l.model)).toEqual([A, A]);
    expect(take(engine).model).toBe(B);
    for (const l of batch) l.succeed();
    // 2 → 4 → 8: the limit reaches maxConcurrency and is lifted.
    expect(engine.metrics().models[0]?.slowStartLimit).toBeNull();
  });
});

describe('rotation events', () => {
  it('100 simultaneous failures of the primary produce one rotation event, not 100', () => {
    const { engine, events } = setup();
    const leases = Array.from({ length: 100 }, () => take(engine));
    expect(new Set(leases.map((l) => l.model))).toEqual(new Set([A]));
    for (const l of leases) l.fail(modelRateLimit);
    expect(events.filter((e) => e.type === 'rotation')).toHaveLength(1);
    expect(engine.metrics().system.totalRotations).toBe(1);
    expect(engine.currentModel()).toBe(B);
  });

  it('100 simultaneous 5xx failures are one incident: one counted failure, no cooldown, no breaker', () => {
    const { engine, events } = setup();
    const leases = Array.from({ length: 100 }, () => take(engine));
    for (const l of leases) l.fail(serverError);
    expect(engine.metrics().models[0]).toMatchObject({ consecutiveFailures: 1, failedRequests: 100 });
    expect(events.filter((e) => e.type === 'rotation')).toHaveLength(0);
    expect(events.filter((e) => e.type === 'breaker_opened')).toHaveLength(0);
    expect(engine.currentModel()).toBe(A);
  });

  it('counts a reset to primary when the primary recovers, with rotationsTo per model', async () => {
    const { engine, clock, events } = setup({ slowStart: { enabled: false } });
    engine.recordFailure(A, { ...modelRateLimit, retryAfterMs: 5000 });
    await clock.advance(5000);
    expect(engine.currentModel()).toBe(A);
    const s = engine.metrics();
    expect(s.system.totalRotations).toBe(2);
    expect(s.system.resetsToPrimary).toBe(1);
    expect(s.models.find((m) => m.model === B)?.rotationsTo).toBe(1);
    expect(s.models.find((m) => m.model === A)?.rotationsTo).toBe(1);
    expect(events.filter((e) => e.type === 'rotation').map((e) => e.type === 'rotation' && e.to)).toEqual([
      B,
      A,
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'reset_to_primary', model: A, atMs: clock.now() });
  });
});

describe('event sequence', () => {
  it('numbers events from 1, strictly increasing, in the order they were emitted', () => {
    const { engine, events } = setup();
    engine.recordFailure(A, modelRateLimit);
    engine.retire(C, 'gone');
    engine.restore(C, 'back');
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(engine.recentEvents().map((e) => e.seq)).toEqual(events.map((e) => e.seq));
  });
});

describe('metrics', () => {
  it('tracks the seed per-model metrics and percentiles', () => {
    const { engine, clock } = setup();
    for (const ms of [100, 200, 300, 400]) take(engine).succeed({ latencyMs: ms, ttftMs: ms / 10 });
    take(engine).fail(serverError, { latencyMs: 1000 });
    engine.recordRequest({ attempts: 1, succeeded: true });
    engine.recordRequest({ attempts: 2, succeeded: true });
    const m = engine.metrics().models[0]!;
    expect(m).toMatchObject({
      totalRequests: 5,
      successfulRequests: 4,
      failedRequests: 1,
      rateLimitedRequests: 0,
      averageExecutionTimeMs: 400,
      successRate: 0.8,
      lastUsedMs: clock.now(),
      latencyP50Ms: 200,
      latencyP95Ms: 400,
      ttftP50Ms: 20,
    });
    const s = engine.metrics().system;
    expect(s.requests).toMatchObject({
      total: 2,
      firstTrySucceeded: 1,
      firstTrySuccessRate: 0.5,
      meanAttempts: 1.5,
    });
    expect(s).toMatchObject({ currentModel: A, currentIndex: 0, primaryModel: A });
  });
});

// ── properties over random outcome sequences ──────────────────────────────────────────────

type Step =
  | { op: 'acquire' }
  | { op: 'succeed'; i: number; latencyMs: number }
  | { op: 'fail'; i: number; failure: Failure }
  | { op: 'release'; i: number }
  | { op: 'advance'; ms: number };

const failureArb: fc.Arbitrary<Failure> = fc.oneof(
  fc.constant<Failure>(serverError),
  fc.constant<Failure>({ kind: 'timeout', phase: 'first_token', message: 'slow' }),
  fc.constant<Failure>({ kind: 'network', message: 'reset' }),
  fc.constant<Failure>(modelRateLimit),
  fc.integer({ min: 0, max: 120_000 }).map<Failure>((ms) => ({ ...modelRateLimit, retryAfterMs: ms })),
  fc.constant<Failure>({ kind: 'rate_limit', scope: 'account_minute', message: 'per-min' }),
  fc.constant<Failure>({ kind: 'request_error', message: 'bad' }),
  fc.constant<Failure>({ kind: 'context_length', message: 'long' }),
);

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Step>({ op: 'acquire' }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('succeed' as const),
      i: fc.nat(),
      latencyMs: fc.integer({ min: 1, max: 9999 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('fail' as const), i: fc.nat(), failure: failureArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('release' as const), i: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 90_000 }) }),
  },
);

async function run(engine: RotationEngine, clock: ManualClock, steps: Step[], log: string[]) {
  const open: Lease[] = [];
  for (const step of steps) {
    if (step.op === 'acquire') {
      const got = engine.acquire();
      log.push(got.ok ? `+${got.lease.model}${got.lease.isProbe ? '?' : ''}` : `-${got.retryAtMs ?? 'x'}`);
      if (got.ok) open.push(got.lease);
    } else if (step.op === 'advance') {
      await clock.advance(step.ms);
    } else if (open.length > 0) {
      const [lease] = open.splice(step.i % open.length, 1);
      if (step.op === 'succeed') lease!.succeed({ latencyMs: step.latencyMs });
      else if (step.op === 'fail') lease!.fail(step.failure, { latencyMs: 5 });
      else lease!.release();
    }
  }
  return open;
}

describe('properties', () => {
  it('counters stay consistent and no gauge goes negative, for any outcome sequence', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { maxLength: 80 }), fc.integer(), async (steps, seed) => {
        const clock = new ManualClock(Date.UTC(2026, 0, 1));
        const engine = new RotationEngine(
          { rotationOrder: [A, B, C], quota: { freeRequestsPerMinute: 20 } },
          { clock, random: seededRandom(seed) },
        );
        await run(engine, clock, steps, []);
        const snap = engine.metrics();
        for (const m of snap.models) {
          expect(m.totalRequests).toBe(m.successfulRequests + m.failedRequests);
          expect(m.rateLimitedRequests).toBeLessThanOrEqual(m.failedRequests);
          for (const v of [m.inFlight, m.consecutiveFailures, m.consecutiveRateLimits, m.cancelledRequests]) {
            expect(v).toBeGreaterThanOrEqual(0);
          }
          if (m.totalRequests === 0) expect(m.successRate).toBeNull();
          else {
            expect(m.successRate).toBeGreaterThanOrEqual(0);
            expect(m.successRate).toBeLessThanOrEqual(1);
          }
        }
        for (const a of snap.system.accounts) {
          expect(a.minuteRemaining ?? 0).toBeGreaterThanOrEqual(0);
          expect(a.minuteUsed).toBeLessThanOrEqual(20);
        }
        expect(snap.system.totalRotations).toBeGreaterThanOrEqual(snap.system.resetsToPrimary);
      }),
      { numRuns: 150 },
    );
  });

  it('serialise → restore gives identical decisions afterwards', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { maxLength: 60 }),
        fc.array(
          stepArb.filter((s) => s.op !== 'release'),
          { maxLength: 40 },
        ),
        fc.integer(),
        async (before, after, seed) => {
          const options: EngineOptionsInput = {
            rotationOrder: [A, B, C],
            quota: { freeRequestsPerMinute: 20 },
          };
          const clock = new ManualClock(Date.UTC(2026, 0, 1));
          const original = new RotationEngine(options, { clock, random: seededRandom(seed) });
          const pending = await run(original, clock, before, []);
          for (const l of pending) l.release(); // in-flight work does not survive a restart
          const saved = JSON.parse(JSON.stringify(original.toJSON()));

          const clock2 = new ManualClock(clock.now());
          const restored = new RotationEngine(options, { clock: clock2, random: seededRandom(seed + 1) });
          restored.restoreState(saved);
          expect(restored.toJSON()).toEqual({ ...original.toJSON(), savedAtMs: clock2.now() });

          // Same future, same random stream: the same decisions.
          const r1 = seededRandom(99);
          const r2 = seededRandom(99);
          const o1 = new RotationEngine(options, { clock, random: r1 });
          const o2 = new RotationEngine(options, { clock: clock2, random: r2 });
          o1.restoreState(saved);
          o2.restoreState(saved);
          const log1: string[] = [];
          const log2: string[] = [];
          await run(o1, clock, after, log1);
          await run(o2, clock2, after, log2);
          expect(log2).toEqual(log1);
          expect(o2.toJSON()).toEqual(o1.toJSON());
        },
      ),
      { numRuns: 100 },
    );
  });
});
