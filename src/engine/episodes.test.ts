/**
 * One episode, one escalation: failures of attempts admitted before a model's health last
 * escalated belong to an incident already counted. A burst of concurrent failures is one event;
 * failures that follow one another in time still step up as before.
 */
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
const serverError: Failure = { kind: 'server_error', message: '503', status: 503 };
const rateLimit: Failure = { kind: 'rate_limit', scope: 'model', message: '429', status: 429 };

function setup(options: EngineOptionsInput = {}) {
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 12, 0, 0));
  const engine = new RotationEngine(
    {
      rotationOrder: [A, B],
      retry: { jitter: false },
      quota: { freeRequestsPerMinute: 0 },
      slowStart: { enabled: false },
      ...options,
    },
    { clock, random: seededRandom(7) },
  );
  const events: EngineEvent[] = [];
  engine.subscribe((e) => events.push(e));
  return { clock, engine, events };
}

function takeA(engine: RotationEngine): Lease {
  const got = engine.acquire({ order: [A] });
  if (!got.ok) throw new Error(`A not admitted: ${JSON.stringify(got.skipped)}`);
  return got.lease;
}

const modelA = (engine: RotationEngine) => engine.metrics().models.find((m) => m.model === A)!;

describe('a burst of concurrent rate limits is one rate-limit event', () => {
  it('150 in-flight 429s: consecutiveRateLimits 1, one cooldown of the first backoff step (1 s)', () => {
    const { engine, events, clock } = setup();
    const leases = Array.from({ length: 150 }, () => takeA(engine));
    for (const l of leases) l.fail(rateLimit);
    expect(modelA(engine)).toMatchObject({ consecutiveRateLimits: 1, rateLimitedRequests: 150 });
    expect(events.filter((e) => e.type === 'cooldown_started')).toHaveLength(1);
    expect(modelA(engine).cooldownUntilMs).toBe(clock.now() + 1000);
  });

  it('sequential 429s (each attempt admitted after the last was counted) still step up 1 s, 2 s, 4 s', async () => {
    const { engine, clock } = setup();
    for (const expectedMs of [1000, 2000, 4000]) {
      const lease = takeA(engine);
      lease.fail(rateLimit);
      expect(modelA(engine).cooldownUntilMs).toBe(clock.now() + expectedMs);
      await clock.advance(expectedMs);
    }
    expect(modelA(engine).consecutiveRateLimits).toBe(3);
  });

  it('both sides of the boundary: admitted just before the counted 429 → not counted; just after → counted', async () => {
    const { engine, clock } = setup();
    const first = takeA(engine);
    const before = takeA(engine); // admitted before `first` is counted
    first.fail(rateLimit);
    await clock.advance(1000); // the cooldown is over; A admits again
    const after = takeA(engine); // admitted after `first` was counted
    before.fail(rateLimit);
    expect(modelA(engine).consecutiveRateLimits).toBe(1);
    expect(modelA(engine).cooldownUntilMs).toBeNull(); // a stale 429 does not start a new cooldown
    after.fail(rateLimit);
    expect(modelA(engine).consecutiveRateLimits).toBe(2);
    expect(modelA(engine).cooldownUntilMs).toBe(clock.now() + 2000);
  });

  it('a stale 429 with a server reset hint lengthens the cooldown in force, without stepping the backoff', () => {
    const { engine, clock } = setup();
    const [a, b] = [takeA(engine), takeA(engine)];
    a.fail(rateLimit);
    b.fail({ ...rateLimit, retryAfterMs: 9000 });
    expect(modelA(engine)).toMatchObject({ consecutiveRateLimits: 1, cooldownUntilMs: clock.now() + 9000 });
  });
});

describe('a burst of concurrent failures counts toward the breaker once per attempt window', () => {
  it('the breaker still opens at exactly 5 sequential failures (4: closed)', () => {
    const { engine } = setup({ maxConsecutiveFailures: 100 });
    for (let i = 0; i < 4; i++) takeA(engine).fail(serverError);
    expect(modelA(engine).breakerState).toBe('closed');
    takeA(engine).fail(serverError);
    expect(modelA(engine).breakerState).toBe('open');
  });

  it('five waves of 40 concurrent failures open the breaker; one wave of 200 does not', () => {
    const wave = setup({ maxConsecutiveFailures: 100 });
    const leases = Array.from({ length: 200 }, () => takeA(wave.engine));
    for (const l of leases) l.fail(serverError);
    expect(modelA(wave.engine)).toMatchObject({ consecutiveFailures: 1, breakerState: 'closed' });

    const waves = setup({ maxConsecutiveFailures: 100 });
    for (let w = 0; w < 5; w++) {
      const batch = Array.from({ length: 40 }, () => takeA(waves.engine));
      for (const l of batch) l.fail(serverError);
    }
    expect(modelA(waves.engine)).toMatchObject({ consecutiveFailures: 5, breakerState: 'open' });
  });

  it('an attempt admitted before the breaker opened does not re-open it while half-open; a probe does', async () => {
    const { engine, clock, events } = setup({ breaker: { openBaseMs: 1000 }, maxConsecutiveFailures: 100 });
    const stale = takeA(engine);
    for (let i = 0; i < 5; i++) engine.recordFailure(A, serverError);
    expect(modelA(engine).breakerState).toBe('open');
    await clock.advance(1500);
    expect(modelA(engine).breakerState).toBe('half_open');
    const probe = takeA(engine);
    expect(probe.isProbe).toBe(true);
    stale.fail(serverError);
    expect(modelA(engine).breakerState).toBe('half_open');
    const opened = events.filter((e) => e.type === 'breaker_opened').length;
    probe.fail(serverError);
    expect(modelA(engine).breakerState).toBe('open');
    expect(events.filter((e) => e.type === 'breaker_opened')).toHaveLength(opened + 1);
  });
});

describe('cancelled attempts never touch health', () => {
  it('release() after failures and after a cooldown leaves every counter as it was', () => {
    const { engine } = setup();
    takeA(engine).fail(serverError);
    const before = modelA(engine);
    const leases = Array.from({ length: 50 }, () => takeA(engine));
    for (const l of leases) l.release();
    const after = modelA(engine);
    expect(after).toMatchObject({
      consecutiveFailures: before.consecutiveFailures,
      consecutiveRateLimits: before.consecutiveRateLimits,
      breakerState: before.breakerState,
      cooldownUntilMs: before.cooldownUntilMs,
      failedRequests: before.failedRequests,
      cancelledRequests: 50,
    });
  });
});

/**
 * Over any interleaving of admissions, failures and time: the escalations counted never exceed
 * the longest causal chain of failures (a failure can only be "after" another if its attempt was
 * admitted after that one failed) — computed here from the schedule, not by the engine.
 */
describe('escalations are bounded by the causal depth of the failures (any interleaving)', () => {
  const op = fc.oneof(
    fc.constant({ type: 'admit' as const }),
    fc.record({ type: fc.constant('fail' as const), pick: fc.nat(), rateLimit: fc.boolean() }),
    fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3000 }) }),
  );

  it('holds for 300 random schedules', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 80 }), async (ops) => {
        const { engine, clock } = setup({ maxConsecutiveFailures: 1000, circuitBreakerThreshold: 1000 });
        // Each open attempt with `base`: the depth of the deepest failure settled before it was admitted.
        const open: Array<{ lease: Lease; base: number }> = [];
        let deepest = 0;
        let failures = 0;
        for (const o of ops) {
          if (o.type === 'advance') await clock.advance(o.ms);
          else if (o.type === 'admit') {
            const got = engine.acquire({ order: [A] });
            if (got.ok) open.push({ lease: got.lease, base: deepest });
          } else if (open.length > 0) {
            const [{ lease, base }] = open.splice(o.pick % open.length, 1) as [
              { lease: Lease; base: number },
            ];
            lease.fail(o.rateLimit ? rateLimit : serverError);
            failures++;
            deepest = Math.max(deepest, base + 1);
          }
        }
        const m = modelA(engine);
        const escalations = m.consecutiveFailures + m.consecutiveRateLimits;
        expect(escalations).toBeLessThanOrEqual(deepest);
        if (failures > 0) expect(escalations).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 300, seed: 12 },
    );
  });
});
