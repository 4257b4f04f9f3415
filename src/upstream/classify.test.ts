import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRouterFixturesDir } from '../../test/repo-fixtures.js';
import type { Failure } from '../engine/failure.js';
import { classifyBodyError, classifyHttpError, parseResetMs, parseRetryAfterMs } from './classify.js';
import { SseParser } from './sse-parser.js';

function findFixtureDir(): string {
  return join(openRouterFixturesDir(), 'errors');
}

const FIXTURE_DIR = findFixtureDir();

interface JsonFixture {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** Classify a fixture file the way the transport would meet it. */
function classifyFixture(file: string, nowMs: number): Failure | undefined {
  const text = readFileSync(join(FIXTURE_DIR, file), 'utf8');
  if (file.endsWith('.sse')) {
    const parser = new SseParser();
    for (const ev of [...parser.push(text), ...parser.end()]) {
      if (ev.type !== 'data') continue;
      const failure = classifyBodyError(JSON.parse(ev.data), 200, nowMs);
      if (failure) return failure;
    }
    return undefined;
  }
  const fx = JSON.parse(text) as JsonFixture;
  if (fx.status >= 200 && fx.status < 300) return classifyBodyError(fx.body, fx.status, nowMs);
  return classifyHttpError(fx.status, fx.headers, JSON.stringify(fx.body), nowMs);
}

/** Before every reset in the fixtures (they date from 2026-05 and 2026-07). */
const EARLY_MS = Date.UTC(2026, 4, 20, 12, 0, 0);
/** After every reset in the fixtures. */
const LATE_MS = Date.UTC(2026, 10, 26, 1, 30, 15);
const NEXT_MIDNIGHT_AFTER_LATE = Date.UTC(2026, 10, 27);

/** Expected classification of each fixture: at EARLY_MS, and the differences at LATE_MS. */
const EXPECTED: Record<string, { early: Partial<Failure> & Pick<Failure, 'kind'>; late?: Partial<Failure> }> =
  {
    '200-inband-upstream-429.json': {
      early: { kind: 'rate_limit', scope: 'model', status: 200, upstreamCode: 429, provider: 'Kluster' },
    },
    '402-insufficient-credits.json': { early: { kind: 'credits', status: 402, upstreamCode: 402 } },
    '429-free-models-per-day.json': {
      early: { kind: 'rate_limit', scope: 'account_day', status: 429, resetAtMs: 1779321600000 },
      late: { resetAtMs: NEXT_MIDNIGHT_AFTER_LATE },
    },
    '429-generic-documented.json': { early: { kind: 'rate_limit', scope: 'model', resetAtMs: undefined } },
    '429-model-cap-qwen3-coder.json': {
      early: { kind: 'rate_limit', scope: 'model', resetAtMs: 1783519380000 },
      late: { resetAtMs: undefined },
    },
    '429-upstream-chutes.json': {
      early: { kind: 'rate_limit', scope: 'model', provider: 'Chutes', retryAfterMs: undefined },
    },
    '429-upstream-venice-retry-after.json': {
      early: { kind: 'rate_limit', scope: 'model', provider: 'Venice', retryAfterMs: 17_000 },
    },
    'stream-midstream-error.sse': {
      early: { kind: 'rate_limit', scope: 'model', status: 200, upstreamCode: 429 },
    },
  };

/** Like toMatchObject, where an `undefined` expectation means "property absent". */
function expectFailure(actual: Failure | undefined, expected: Partial<Failure>): void {
  const present = Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined));
  expect(actual).toMatchObject(present);
  for (const [k, v] of Object.entries(expected)) if (v === undefined) expect(actual).not.toHaveProperty(k);
}

describe('classify: every OpenRouter fixture', () => {
  const files = readdirSync(FIXTURE_DIR).sort();

  it('has an expectation for every fixture file (new fixtures must be classified here)', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((f) => !(f in EXPECTED))).toEqual([]);
  });

  for (const file of files) {
    it(`${file}`, () => {
      const expected = EXPECTED[file];
      if (!expected) return; // reported by the test above
      expectFailure(classifyFixture(file, EARLY_MS), expected.early);
      expectFailure(classifyFixture(file, LATE_MS), { ...expected.early, ...expected.late });
      const early = classifyFixture(file, EARLY_MS);

      // Messages are shown to clients: never an account id.
      const raw = readFileSync(join(FIXTURE_DIR, file), 'utf8');
      for (const id of raw.match(/user_[A-Za-z0-9]+/g) ?? []) {
        if (id === 'user_id') continue;
        expect(early?.message).not.toContain(id);
      }
    });
  }

  it('keeps the provider\'s own words when OpenRouter only says "Provider returned error"', () => {
    expect(classifyFixture('429-upstream-chutes.json', EARLY_MS)?.message).toMatch(
      /^Provider returned error: deepseek\/deepseek-chat-v3-0324:free is temporarily rate-limited upstream/,
    );
  });
});

const NOW = Date.UTC(2026, 7, 10, 15, 42, 30, 250);
const NEXT_MINUTE = Date.UTC(2026, 7, 10, 15, 43, 0);
const NEXT_MIDNIGHT = Date.UTC(2026, 7, 11);

function errBody(message: string, code: number | string, metadata?: Record<string, unknown>): string {
  return JSON.stringify({ error: { message, code, ...(metadata ? { metadata } : {}) } });
}

describe('classifyHttpError: by status', () => {
  const cases: [number, string, Partial<Failure>][] = [
    [400, errBody('Invalid value for temperature', 400), { kind: 'request_error' }],
    [401, errBody('No auth credentials found', 401), { kind: 'auth' }],
    [402, errBody('Insufficient credits', 402), { kind: 'credits' }],
    [403, errBody('Input was flagged by moderation', 403, { reasons: ['x'] }), { kind: 'request_error' }],
    [404, errBody('No endpoints found for foo/bar:free.', 404), { kind: 'model_not_found' }],
    [404, 'Not Found', { kind: 'model_not_found' }],
    [408, errBody('Request timed out', 408), { kind: 'timeout', phase: 'total' }],
    [413, errBody('Request entity too large', 413), { kind: 'request_error' }],
    [422, errBody('Unprocessable', 422), { kind: 'request_error' }],
    [500, errBody('Internal Server Error', 500), { kind: 'server_error' }],
    [
      502,
      errBody('Provider returned error', 502, { error_type: 'provider_unavailable' }),
      { kind: 'server_error' },
    ],
    [
      503,
      errBody('No instances available', 503, { error_type: 'provider_overloaded' }),
      { kind: 'server_error' },
    ],
    [504, errBody('Gateway timeout', 504, { error_type: 'timeout' }), { kind: 'server_error' }],
    [418, errBody("I'm a teapot", 418), { kind: 'server_error' }],
    [409, '', { kind: 'server_error' }],
  ];
  for (const [status, body, expected] of cases) {
    it(`${status} ${body.slice(0, 60)} → ${expected.kind}`, () => {
      expect(classifyHttpError(status, {}, body, NOW)).toMatchObject({ ...expected, status });
    });
  }

  it('classifies non-JSON bodies by status and keeps HTML out of the message', () => {
    const f = classifyHttpError(502, {}, '<html><body>Bad gateway</body></html>', NOW);
    expect(f).toMatchObject({ kind: 'server_error', status: 502, message: 'Upstream answered HTTP 502' });
    expect(classifyHttpError(429, {}, 'Too Many Requests', NOW)).toMatchObject({
      kind: 'rate_limit',
      scope: 'model',
      message: 'Upstream answered HTTP 429: Too Many Requests',
    });
    expect(classifyHttpError(401, {}, '', NOW).kind).toBe('auth');
  });
});

describe('classifyHttpError: 400 family', () => {
  const contextCases = [
    errBody('Context too long', 400, { error_type: 'context_length_exceeded' }),
    errBody('too long', 'context_length_exceeded'),
    errBody(
      "This endpoint's maximum context length is 131072 tokens. However, you requested about 200000 tokens.",
      400,
    ),
    errBody('Provider returned error', 400, {
      raw: '{"error":"input exceeds the context length of the model"}',
    }),
  ];
  for (const body of contextCases) {
    it(`context_length: ${body.slice(0, 70)}`, () => {
      expect(classifyHttpError(400, {}, body, NOW).kind).toBe('context_length');
    });
  }

  const unsupportedCases: [number, string][] = [
    [
      400,
      errBody('Provider returned error', 400, {
        raw: 'Developer instruction is not enabled for models/gemma-3-27b-it',
      }),
    ],
    [400, errBody('System prompt is not supported by this model', 400)],
    [400, errBody('This model does not support tools', 400)],
    [
      404,
      errBody(
        'No endpoints found that support tool use. To learn more about provider routing, visit: …',
        404,
      ),
    ],
    [404, errBody('No endpoints found that support image input', 404)],
    [404, errBody('No endpoints found matching your data policy (Free model publication).', 404)],
  ];
  for (const [status, body] of unsupportedCases) {
    it(`unsupported (${status}): ${body.slice(0, 70)}`, () => {
      expect(classifyHttpError(status, {}, body, NOW).kind).toBe('unsupported');
    });
  }

  it('400 for an unknown model id is model_not_found', () => {
    expect(classifyHttpError(400, {}, errBody('foo/bar is not a valid model ID', 400), NOW).kind).toBe(
      'model_not_found',
    );
  });
});

describe('classifyHttpError: 429 scope and hints', () => {
  it('free-models-per-min is account_minute, reset at the next minute when not given', () => {
    const f = classifyHttpError(429, {}, errBody('Rate limit exceeded: free-models-per-min. ', 429), NOW);
    expect(f).toMatchObject({ kind: 'rate_limit', scope: 'account_minute', resetAtMs: NEXT_MINUTE });
  });

  it('free-models-per-day-high-balance is account_day, reset at the next 00:00 UTC when not given', () => {
    const f = classifyHttpError(
      429,
      {},
      errBody('Rate limit exceeded: free-models-per-day-high-balance', 429),
      NOW,
    );
    expect(f).toMatchObject({ kind: 'rate_limit', scope: 'account_day', resetAtMs: NEXT_MIDNIGHT });
  });

  it('metadata.limit_source marks the daily free tier even with a bare message', () => {
    const body = errBody('Rate limit exceeded', 429, { limit_source: 'openrouter_free_tier_daily' });
    expect(classifyHttpError(429, {}, body, NOW)).toMatchObject({ scope: 'account_day' });
  });

  it('limit_rpd/ model cap is model scope', () => {
    const body = errBody(
      'Rate limit exceeded: limit_rpd/google/gemma-3/abc. limited to 200 requests per day',
      429,
    );
    expect(classifyHttpError(429, {}, body, NOW)).toMatchObject({ scope: 'model' });
  });

  it('reads X-RateLimit-Reset from a real header, case-insensitively, before metadata', () => {
    const reset = NOW + 5_000;
    const body = errBody('Rate limit exceeded: limit_rpm/x/y', 429, {
      headers: { 'X-RateLimit-Reset': String(NOW + 9_000) },
    });
    expect(classifyHttpError(429, { 'X-RateLimit-Reset': String(reset) }, body, NOW).resetAtMs).toBe(reset);
    expect(classifyHttpError(429, { 'x-ratelimit-reset': String(reset) }, body, NOW).resetAtMs).toBe(reset);
    expect(classifyHttpError(429, {}, body, NOW).resetAtMs).toBe(NOW + 9_000);
    const lower = errBody('Rate limit exceeded', 429, { headers: { 'x-ratelimit-reset': String(reset) } });
    expect(classifyHttpError(429, {}, lower, NOW).resetAtMs).toBe(reset);
  });

  it('accepts an epoch-seconds reset defensively', () => {
    expect(parseResetMs('1779321600')).toBe(1779321600000);
    expect(parseResetMs('1779321600000')).toBe(1779321600000);
    expect(parseResetMs('60')).toBeUndefined();
    expect(parseResetMs('soon')).toBeUndefined();
  });

  describe('a reset time already past is ignored (both sides of the boundary)', () => {
    const day = (resetMs: number) =>
      classifyHttpError(
        429,
        {},
        errBody('Rate limit exceeded: free-models-per-day', 429, {
          headers: { 'X-RateLimit-Reset': String(resetMs) },
        }),
        NOW,
      );
    const minute = (resetMs: number) =>
      classifyHttpError(
        429,
        { 'x-ratelimit-reset': String(resetMs) },
        errBody('Rate limit exceeded: free-models-per-min', 429),
        NOW,
      );
    const model = (resetMs: number) =>
      classifyHttpError(
        429,
        { 'x-ratelimit-reset': String(resetMs) },
        errBody('Rate limit exceeded: limit_rpm/a/b', 429),
        NOW,
      );

    it('1 ms in the future: kept', () => {
      expect(day(NOW + 1).resetAtMs).toBe(NOW + 1);
      expect(minute(NOW + 1).resetAtMs).toBe(NOW + 1);
      expect(model(NOW + 1).resetAtMs).toBe(NOW + 1);
    });
    it('exactly now: replaced by the next boundary (account) or dropped (model)', () => {
      expect(day(NOW).resetAtMs).toBe(NEXT_MIDNIGHT);
      expect(minute(NOW).resetAtMs).toBe(NEXT_MINUTE);
      expect(model(NOW)).not.toHaveProperty('resetAtMs');
    });
    it('1 ms in the past: replaced by the next boundary (account) or dropped (model)', () => {
      expect(day(NOW - 1).resetAtMs).toBe(NEXT_MIDNIGHT);
      expect(minute(NOW - 1).resetAtMs).toBe(NEXT_MINUTE);
      expect(model(NOW - 1)).not.toHaveProperty('resetAtMs');
    });
  });

  it('Retry-After: real header (seconds or HTTP date), then metadata.headers, then retry_after_seconds', () => {
    const meta = { headers: { 'Retry-After': '9' }, retry_after_seconds: 7 };
    const body = errBody('Provider returned error', 429, meta);
    expect(classifyHttpError(429, { 'retry-after': '3' }, body, NOW).retryAfterMs).toBe(3_000);
    expect(classifyHttpError(429, {}, body, NOW).retryAfterMs).toBe(9_000);
    expect(classifyHttpError(429, {}, errBody('x', 429, { retry_after_seconds: 7 }), NOW).retryAfterMs).toBe(
      7_000,
    );
    const date = new Date(NOW + 30_000).toUTCString(); // whole seconds: 15:43:00
    expect(classifyHttpError(429, { 'Retry-After': date }, '', NOW).retryAfterMs).toBe(
      Date.parse(date) - NOW,
    );
    expect(Date.parse(date) - NOW).toBe(29_750);
    expect(classifyHttpError(503, { 'retry-after': '2' }, '', NOW)).toMatchObject({
      kind: 'server_error',
      retryAfterMs: 2_000,
    });
  });

  it('parseRetryAfterMs ignores dates in the past and garbage', () => {
    expect(parseRetryAfterMs(new Date(NOW - 5_000).toUTCString(), NOW)).toBeUndefined();
    expect(parseRetryAfterMs('later', NOW)).toBeUndefined();
    expect(parseRetryAfterMs('0', NOW)).toBe(0);
    expect(parseRetryAfterMs('1.5', NOW)).toBe(1_500);
  });
});

describe('classifyHttpError: messages are safe to show', () => {
  it('never contains an API key or a user id', () => {
    const body = JSON.stringify({
      error: {
        message: 'Incorrect API key provided: sk-or-v1-0123456789abcdef for user_2abcDEF9',
        code: 401,
      },
      user_id: 'user_2abcDEF9',
    });
    const f = classifyHttpError(401, {}, body, NOW);
    expect(f.kind).toBe('auth');
    // At most the key's prefix and last four characters (the one redaction rule, src/redact.ts).
    expect(f.message).not.toMatch(/0123456789ab|user_2abc/);
    expect(f.message).toContain('sk-or-v1-…cdef');
  });

  it('bounds the message length', () => {
    const f = classifyHttpError(500, {}, errBody('x'.repeat(5_000), 500), NOW);
    expect(f.message.length).toBeLessThanOrEqual(501);
  });
});

describe('classifyBodyError', () => {
  it('returns undefined for a body without error', () => {
    expect(classifyBodyError({ choices: [{ finish_reason: 'stop' }] }, 200, NOW)).toBeUndefined();
    expect(classifyBodyError(null, 200, NOW)).toBeUndefined();
    expect(classifyBodyError('x', 200, NOW)).toBeUndefined();
  });

  it('string code "server_error" is a server error', () => {
    const f = classifyBodyError({ error: { code: 'server_error', message: 'boom' } }, 200, NOW);
    expect(f).toMatchObject({
      kind: 'server_error',
      status: 200,
      upstreamCode: 'server_error',
      message: 'boom',
    });
  });

  it('finish_reason "error" without an error object is a server error', () => {
    const f = classifyBodyError(
      { provider: 'X', choices: [{ index: 0, delta: {}, finish_reason: 'error' }] },
      200,
      NOW,
    );
    expect(f).toMatchObject({ kind: 'server_error', status: 200, provider: 'X' });
  });

  it('numeric 429 inside a 200 follows the 429 rules, scope included', () => {
    const f = classifyBodyError(
      { error: { code: 429, message: 'Rate limit exceeded: free-models-per-min' } },
      200,
      NOW,
    );
    expect(f).toMatchObject({
      kind: 'rate_limit',
      scope: 'account_minute',
      status: 200,
      resetAtMs: NEXT_MINUTE,
    });
  });

  it('maps other in-band codes through the status rules', () => {
    expect(
      classifyBodyError({ error: { code: 400, message: 'maximum context length exceeded' } }, 200, NOW)?.kind,
    ).toBe('context_length');
    expect(
      classifyBodyError({ error: { code: 'rate_limit_exceeded', message: 'slow down' } }, 200, NOW)?.kind,
    ).toBe('rate_limit');
    expect(
      classifyBodyError({ error: { code: 502, message: 'Provider returned error' } }, 200, NOW)?.kind,
    ).toBe('server_error');
    expect(classifyBodyError({ error: { code: 'weird', message: '?' } }, 200, NOW)?.kind).toBe(
      'server_error',
    );
    expect(classifyBodyError({ error: 'plain string error' }, 200, NOW)).toMatchObject({
      kind: 'server_error',
      message: 'plain string error',
    });
  });
});
