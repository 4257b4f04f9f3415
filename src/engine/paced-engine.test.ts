/**
 * Pooled providers' quota in the engine, in virtual time: pacing per window type (fixed clock
 * boundary, rolling, continuous refill; requests and tokens), what headers and 429s teach, a
 * spent provider blocking that provider only, overloads, requests too large for a budget.
 * Expected times are written out from the limits, never read back from the code.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import type { Lease, RequestNeeds } from './engine-types.js';
import type { Failure } from './failure.js';
import type { PacedLimit } from './provider-quota.js';
import { seededRandom } from './random.js';
import { RotationEngine } from './rotation-engine.js';

const GROQ_70B = 'groq:llama-3.3-70b-versatile';
const GROQ_8B = 'groq:llama-3.1-8b-instant';
const CEREBRAS = 'cerebras:gpt-oss-120b';

/** 2026-01-15 12:00:00.000 UTC: a whole minute, winter (Los Angeles is UTC−8). */
const NOON = Date.UTC(2026, 0, 15, 12, 0, 0);

function setup(limits: Record<string, PacedLimit[]>, order = [GROQ_70B, GROQ_8B, CEREBRAS], start = NOON) {
  const clock = new ManualClock(start);
  const engine = new RotationEngine(
    { rotationOrder: order, retry: { jitter: false } },
    { clock, random: seededRandom(1) },
  );
  for (const id of order) {
    const [provider, ...rest] = id.split(':');
    engine.upsertProfile({ id, account: provider!, upstreamId: rest.join(':'), free: false });
  }
  for (const [account, l] of Object.entries(limits)) engine.setAccountLimits(account, l);
  return { clock, engine };
}

function take(engine: RotationEngine, needs?: RequestNeeds, order?: string[]): Lease {
  const got = engine.acquire({ ...(needs ? { needs } : {}), ...(order ? { order } : {}) });
  if (!got.ok) throw new Error(`nothing admitted: ${JSON.stringify(got.skipped)}`);
  return got.lease;
}

function skipOf(engine: RotationEngine, model: string, needs?: RequestNeeds) {
  return engine.unavailability(model, needs);
}

describe('pacing per window type', () => {
  it('fixed minute: the third request of a 2-per-minute window waits for the next wall-clock minute', async () => {
    const { clock, engine } = setup({
      groq: [
        { window: 'requests_minute', per: 'model', limit: 2, reset: { rule: 'fixed', timeZone: 'UTC' } },
      ],
    });
    await clock.advance(30_000); // 12:00:30
    take(engine, undefined, [GROQ_70B]).succeed();
    take(engine, undefined, [GROQ_70B]).succeed();
    const skip = skipOf(engine, GROQ_70B);
    expect(skip).toMatchObject({
      reason: 'model_quota',
      rateLimit: true,
      untilMs: Date.UTC(2026, 0, 15, 12, 1, 0),
    });
    // Per model: the other Groq model has its own window.
    expect(skipOf(engine, GROQ_8B)).toBeUndefined();
    expect(engine.acquire().ok && engine.currentModel()).toBe(GROQ_8B);
    await clock.advance(30_000); // 12:01:00
    expect(skipOf(engine, GROQ_70B)).toBeUndefined();
    expect(engine.currentModel()).toBe(GROQ_70B);
  });

  it('fixed day in America/Los_Angeles: a spent daily window resets at midnight Pacific', () => {
    const { engine } = setup(
      {
        gemini: [
          {
            window: 'requests_day',
            per: 'model',
            limit: 1,
            reset: { rule: 'fixed', timeZone: 'America/Los_Angeles' },
          },
        ],
      },
      ['gemini:gemini-2.5-flash'],
    );
    take(engine).succeed();
    // 12:00 UTC on Jan 15 is 04:00 PST; the next Pacific midnight is Jan 16 08:00 UTC.
    expect(skipOf(engine, 'gemini:gemini-2.5-flash')).toMatchObject({
      untilMs: Date.UTC(2026, 0, 16, 8, 0, 0),
    });
  });

  it('continuous refill: 30 per minute admits 30 at once, then one every 2 s', async () => {
    const { clock, engine } = setup({
      groq: [{ window: 'requests_minute', per: 'model', limit: 30, reset: { rule: 'continuous' } }],
    });
    for (let i = 0; i < 30; i++) take(engine, undefined, [GROQ_70B]).succeed();
    expect(skipOf(engine, GROQ_70B)).toMatchObject({ reason: 'model_quota', untilMs: NOON + 2000 });
    await clock.advance(1999);
    expect(skipOf(engine, GROQ_70B)).toBeDefined();
    await clock.advance(1);
    expect(skipOf(engine, GROQ_70B)).toBeUndefined();
    take(engine, undefined, [GROQ_70B]).succeed();
    expect(skipOf(engine, GROQ_70B)).toMatchObject({ untilMs: NOON + 4000 });
  });

  it('rolling: a request stops counting one period after it was made (one 1 s bucket late, never early)', async () => {
    const { clock, engine } = setup(
      {
        'github-models': [{ window: 'requests_minute', per: 'model', limit: 3, reset: { rule: 'rolling' } }],
      },
      ['github-models:gpt-4o'],
    );
    const model = 'github-models:gpt-4o';
    take(engine).succeed(); // t = 0
    await clock.advance(20_000);
    take(engine).succeed(); // t = 20 s
    await clock.advance(20_000);
    take(engine).succeed(); // t = 40 s
    await clock.advance(5_000);
    // The first request (bucket [0, 1 s)) stops counting at 0 + 1 s + 60 s.
    expect(skipOf(engine, model)).toMatchObject({ untilMs: NOON + 61_000 });
    await clock.advance(15_500); // t = 60.5 s: the first request may have been made at 0.999 s
    expect(skipOf(engine, model)).toBeDefined();
    await clock.advance(500); // t = 61 s
    expect(skipOf(engine, model)).toBeUndefined();
    take(engine).succeed();
    // Now the t = 20 s request is the oldest: free again at 20 + 1 + 60 = 81 s.
    expect(skipOf(engine, model)).toMatchObject({ untilMs: NOON + 81_000 });
  });

  it('tokens: prompt + max_tokens is the estimate, and usage corrects it', async () => {
    const { clock, engine } = setup({
      groq: [{ window: 'tokens_minute', per: 'model', limit: 10_000, reset: { rule: 'continuous' } }],
    });
    const needs = { promptTokens: 3000, outputTokens: 2000 }; // 5,000 each
    const first = take(engine, needs, [GROQ_70B]);
    take(engine, needs, [GROQ_70B]).succeed();
    // 10,000 of 10,000 used: a third needs 5,000 to refill at 10,000/min = 30 s.
    expect(skipOf(engine, GROQ_70B, needs)).toMatchObject({ reason: 'model_quota', untilMs: NOON + 30_000 });
    // A request with no max_tokens is estimated at its prompt alone: 3,000 → 18 s.
    expect(skipOf(engine, GROQ_70B, { promptTokens: 3000 })).toMatchObject({ untilMs: NOON + 18_000 });
    // The first answer really used 1,000 tokens: 6,000 used, 5,000 more fit after 1,000 refill (6 s).
    first.reportUsage(1000);
    first.succeed();
    expect(skipOf(engine, GROQ_70B, needs)).toMatchObject({ untilMs: NOON + 6000 });
    await clock.advance(6000);
    expect(skipOf(engine, GROQ_70B, needs)).toBeUndefined();
  });

  it('a provider that reserves output (Cerebras, 16,384) is charged it when the request sets no limit', () => {
    const { engine } = setup({});
    engine.setAccountLimits(
      'cerebras',
      [{ window: 'tokens_minute', per: 'model', limit: 60_000, reset: { rule: 'continuous' } }],
      { reservedOutputTokens: 16_384 },
    );
    // 1,000 + 16,384 = 17,384 each: three fit in 60,000 (52,152), the fourth waits.
    for (let i = 0; i < 3; i++) take(engine, { promptTokens: 1000 }, [CEREBRAS]).succeed();
    expect(skipOf(engine, CEREBRAS, { promptTokens: 1000 })).toMatchObject({ reason: 'model_quota' });
    // A request that sets its own limit is charged that instead: 1,000 + 500 fits in what is left.
    expect(skipOf(engine, CEREBRAS, { promptTokens: 1000, outputTokens: 500 })).toBeUndefined();
  });

  it('a request larger than a whole token window is never sent there', () => {
    const { engine } = setup({
      groq: [
        {
          window: 'tokens_minute',
          per: 'model',
          limit: 8000,
          byModel: { 'llama-3.1-8b-instant': 6000 },
          reset: { rule: 'continuous' },
        },
      ],
    });
    const needs = { promptTokens: 7000 };
    const got = engine.acquire({ needs });
    expect(got.ok && got.lease.model).toBe(GROQ_70B);
    expect(skipOf(engine, GROQ_8B, needs)).toMatchObject({ reason: 'budget_too_small' });
    expect(skipOf(engine, GROQ_8B, needs)?.untilMs).toBeUndefined();
  });

  it('a 413 "larger than the whole budget" teaches the pair never to take a request that large', () => {
    const { engine } = setup({ groq: [] });
    const needs = { promptTokens: 7000 };
    const lease = take(engine, needs, [GROQ_70B]);
    lease.fail({
      kind: 'context_length',
      providerKind: 'request_too_large',
      providerId: 'groq',
      window: 'tokens_minute',
      per: 'model',
      message: 'Request too large',
      status: 413,
    });
    expect(skipOf(engine, GROQ_70B, needs)).toMatchObject({ reason: 'budget_too_small' });
    expect(skipOf(engine, GROQ_70B, { promptTokens: 6999 })).toBeUndefined();
    expect(skipOf(engine, GROQ_8B, needs)).toBeUndefined();
  });
});

describe('what responses teach', () => {
  it('headers set the count and the limit; a spent fixed window is blocked until the reported reset', () => {
    const { engine } = setup(
      {
        mistral: [
          { window: 'requests_minute', per: 'model', limit: 100, reset: { rule: 'fixed', timeZone: 'UTC' } },
        ],
      },
      ['mistral:mistral-small'],
    );
    const model = 'mistral:mistral-small';
    engine.observeQuota(model, [{ window: 'requests_minute', limit: 5, remaining: 1 }]);
    expect(skipOf(engine, model)).toBeUndefined();
    take(engine).succeed(); // 5 of 5
    expect(skipOf(engine, model)).toMatchObject({ untilMs: NOON + 60_000 });
    const quota = engine.metrics().system.quotas.find((q) => q.model === model)!;
    expect(quota).toMatchObject({ limit: 5, used: 5, remaining: 0, rule: 'fixed' });
  });

  it('a window only the headers name (no catalog limit) blocks when they say none is left', () => {
    const { engine } = setup({ cerebras: [] }, [CEREBRAS]);
    engine.observeQuota(CEREBRAS, [
      { window: 'requests_day', limit: 2400, remaining: 0, resetAtMs: NOON + 3_600_000 },
    ]);
    expect(skipOf(engine, CEREBRAS)).toMatchObject({ reason: 'model_quota', untilMs: NOON + 3_600_000 });
  });

  it('"none left" with a reset blocks even when no limit is known', () => {
    const { engine } = setup({ nvidia: [] }, ['nvidia:meta/llama-3.3-70b-instruct']);
    engine.observeQuota('nvidia:meta/llama-3.3-70b-instruct', [
      { window: 'requests_unknown', remaining: 0, resetAtMs: NOON + 45_000 },
    ]);
    expect(skipOf(engine, 'nvidia:meta/llama-3.3-70b-instruct')).toMatchObject({ untilMs: NOON + 45_000 });
  });

  it('advisory figures teach no limit', () => {
    const { engine } = setup({ 'github-models': [] }, ['github-models:gpt-4o']);
    engine.observeQuota('github-models:gpt-4o', [
      { window: 'requests_minute', limit: 20_000, remaining: 0, advisory: true },
    ]);
    expect(skipOf(engine, 'github-models:gpt-4o')).toBeUndefined();
  });

  it('headers reach an account that is not paced (OpenRouter) without effect', () => {
    const { engine } = setup({}, ['a/model:free']);
    engine.observeQuota('a/model:free', [
      { window: 'requests_minute', limit: 1, remaining: 0, resetAtMs: NOON + 1000 },
    ]);
    expect(skipOf(engine, 'a/model:free')).toBeUndefined();
  });
});

describe('429s per provider', () => {
  const groqDay: Failure = {
    kind: 'rate_limit',
    scope: 'account_day',
    providerId: 'groq',
    providerKind: 'rate_limit',
    window: 'requests_day',
    per: 'account',
    resetAtMs: NOON + 5 * 3_600_000,
    message: 'daily quota spent',
    status: 429,
  };

  it("a provider's spent day blocks that provider only: the next acquisition takes the next provider", () => {
    const { engine } = setup({ groq: [], cerebras: [] });
    take(engine).fail(groqDay);
    const got = engine.acquire();
    expect(got.ok && got.lease.model).toBe(CEREBRAS);
    expect(got.skipped).toEqual([
      expect.objectContaining({ model: GROQ_70B, reason: 'account_blocked', untilMs: NOON + 5 * 3_600_000 }),
      expect.objectContaining({ model: GROQ_8B, reason: 'account_blocked', untilMs: NOON + 5 * 3_600_000 }),
    ]);
    expect(engine.metrics().system.quotas).toContainEqual(
      expect.objectContaining({
        account: 'groq',
        window: 'requests_day',
        blockedUntilMs: NOON + 5 * 3_600_000,
      }),
    );
  });

  it("a model's day window parks that pair until the reset; the provider's other models go on", () => {
    const { engine } = setup({ groq: [] });
    take(engine).fail({ ...groqDay, scope: 'model', per: 'model' });
    expect(skipOf(engine, GROQ_70B)).toMatchObject({ reason: 'model_quota', untilMs: NOON + 5 * 3_600_000 });
    expect(engine.metrics().models[0]).toMatchObject({ cooldownUntilMs: NOON + 5 * 3_600_000 });
    expect(skipOf(engine, GROQ_8B)).toBeUndefined();
  });

  it("a model's minute window cools the pair down until the hint and steps no breaker", () => {
    const { engine } = setup({ groq: [] });
    take(engine).fail({
      ...groqDay,
      scope: 'model',
      per: 'model',
      window: 'requests_minute',
      resetAtMs: NOON + 7000,
    });
    expect(skipOf(engine, GROQ_70B)).toMatchObject({ reason: 'cooling_down', untilMs: NOON + 7000 });
    expect(engine.metrics().models[0]).toMatchObject({ consecutiveFailures: 0, breakerState: 'closed' });
  });

  it('overloaded: a brief cooldown of the pair, no failure count, not rate-limit flavoured', () => {
    const { engine } = setup({ cerebras: [] }, [CEREBRAS, GROQ_70B]);
    for (let i = 0; i < 6; i++) {
      engine.recordFailure(CEREBRAS, {
        kind: 'overloaded',
        providerId: 'cerebras',
        message: 'queue_exceeded',
      });
    }
    const m = engine.metrics().models.find((x) => x.model === CEREBRAS)!;
    expect(m).toMatchObject({ consecutiveFailures: 0, breakerState: 'closed', cooldownReason: 'overloaded' });
    const skip = skipOf(engine, CEREBRAS)!;
    expect(skip.rateLimit).toBeUndefined();
    // Six in a row without jitter: 1, 2, 4, 8, 16, 32 s; the cooldown in force is the last one.
    expect(skip.untilMs).toBe(NOON + 32_000);
  });
});

describe('state', () => {
  it('paced windows survive a save and restore', () => {
    const limits = {
      groq: [
        { window: 'requests_minute', per: 'model', limit: 2, reset: { rule: 'fixed', timeZone: 'UTC' } },
      ],
    } satisfies Record<string, PacedLimit[]>;
    const a = setup(limits);
    take(a.engine, undefined, [GROQ_70B]).succeed();
    take(a.engine, undefined, [GROQ_70B]).succeed();
    const saved = JSON.parse(JSON.stringify(a.engine.toJSON()));
    const b = setup(limits);
    b.engine.restoreState(saved);
    expect(skipOf(b.engine, GROQ_70B)).toMatchObject({ untilMs: NOON + 60_000 });
  });
});

describe('quota left, for hedges', () => {
  it('is the tightest window’s share: 10 per minute, 8 used → 0.2; blocked → 0; unpaced and not free → 1', async () => {
    const { engine } = setup({
      groq: [
        { window: 'requests_minute', per: 'model', limit: 10, reset: { rule: 'fixed', timeZone: 'UTC' } },
        { window: 'requests_day', per: 'model', limit: 1000, reset: { rule: 'fixed', timeZone: 'UTC' } },
      ],
    });
    expect(engine.quotaLeft(GROQ_70B)).toBe(1);
    for (let i = 0; i < 8; i++) take(engine, undefined, [GROQ_70B]).succeed();
    expect(engine.quotaLeft(GROQ_70B)).toBeCloseTo(0.2, 10);
    expect(engine.quotaLeft(GROQ_8B)).toBe(1); // per model: the other model's windows are untouched
    const lease = take(engine, undefined, [GROQ_70B]);
    lease.fail({
      kind: 'rate_limit',
      scope: 'account_day',
      message: 'daily quota spent',
      retryAfterMs: 3_600_000,
    });
    expect(engine.quotaLeft(GROQ_70B)).toBe(0);
    expect(engine.quotaLeft(CEREBRAS)).toBe(1);
  });
});

describe('requests in flight at once (GitHub Models: 5 per model)', () => {
  it('the limit-th+1 concurrent request is busy (polled, not failed) until one finishes; other models are free', () => {
    const { engine } = setup({
      groq: [{ window: 'concurrency', per: 'model', limit: 2, reset: { rule: 'continuous' } }],
    });
    const a = take(engine, undefined, [GROQ_70B]);
    take(engine, undefined, [GROQ_70B]);
    const third = engine.acquire({ order: [GROQ_70B] });
    expect(third).toMatchObject({
      ok: false,
      busy: true,
      skipped: [{ model: GROQ_70B, reason: 'concurrency_busy' }],
    });
    expect(take(engine, undefined, [GROQ_8B]).model).toBe(GROQ_8B); // per model: its own count
    a.succeed();
    expect(take(engine, undefined, [GROQ_70B]).model).toBe(GROQ_70B);
  });

  it('per account: every model of the account counts toward one limit', () => {
    const { engine } = setup({
      groq: [{ window: 'concurrency', per: 'account', limit: 2, reset: { rule: 'continuous' } }],
    });
    take(engine, undefined, [GROQ_70B]);
    take(engine, undefined, [GROQ_8B]);
    expect(engine.acquire({ order: [GROQ_70B, GROQ_8B] })).toMatchObject({ ok: false, busy: true });
    expect(take(engine, undefined, [CEREBRAS]).model).toBe(CEREBRAS);
  });
});
