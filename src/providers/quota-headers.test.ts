import { beforeAll, describe, expect, it } from 'vitest';
import { loadProviderCatalog } from './provider-catalog-file.js';
import type { Provider } from './provider-catalog-schema.js';
import { parseQuotaHeaders } from './quota-headers.js';

const NOW = Date.UTC(2026, 10, 30, 7, 15, 42, 250);

let providers: Map<string, Provider>;
beforeAll(async () => {
  providers = new Map((await loadProviderCatalog()).providers.map((p) => [p.id, p]));
});
const parse = (id: string, headers: Record<string, string | string[]>, nowMs = NOW) =>
  parseQuotaHeaders(providers.get(id)!, headers, nowMs);

describe('Groq: requests headers are the DAY window, tokens the MINUTE window, resets are Go durations', () => {
  it('reads a 200 as Groq documents it', () => {
    expect(
      parse('groq', {
        'x-ratelimit-limit-requests': '14400',
        'x-ratelimit-limit-tokens': '6000',
        'x-ratelimit-remaining-requests': '14370',
        'x-ratelimit-remaining-tokens': '5997',
        'x-ratelimit-reset-requests': '2m59.56s',
        'x-ratelimit-reset-tokens': '7.66s',
      }),
    ).toEqual([
      { window: 'requests_day', limit: 14400, remaining: 14370, resetAtMs: NOW + 179_560 },
      { window: 'tokens_minute', limit: 6000, remaining: 5997, resetAtMs: NOW + 7_660 },
    ]);
  });

  it.each([
    ['370ms', 370],
    ['999ms', 999],
    ['1s', 1_000],
    ['59.999s', 59_999],
    ['1m0s', 60_000],
    ['1m0.001s', 60_001],
    ['59m59.999s', 3_599_999],
    ['1h0m0s', 3_600_000],
    ['1h2m3s', 3_723_000],
    ['3m6s', 186_000],
    ['9m38.016s', 578_016],
    ['0s', 0],
    ['1.5us', 0.0015],
  ])('reset %s is now + %d ms', (text, ms) => {
    const [obs] = parse('groq', { 'x-ratelimit-reset-tokens': text });
    expect(obs).toEqual({ window: 'tokens_minute', resetAtMs: Math.round(NOW + ms) });
  });

  it.each(['', 'soon', '5', '1x', '-1s', '1m-2s', 's', '1 m'])(
    'an unreadable reset %j is left out',
    (text) => {
      expect(
        parse('groq', { 'x-ratelimit-reset-tokens': text, 'x-ratelimit-remaining-tokens': '0' }),
      ).toEqual([{ window: 'tokens_minute', remaining: 0 }]);
    },
  );
});

describe('Cerebras: the minute/hour/day set, resets in seconds', () => {
  it('reads every window of a 200', () => {
    expect(
      parse('cerebras', {
        'x-ratelimit-limit-requests-minute': '5',
        'x-ratelimit-remaining-requests-minute': '4',
        'x-ratelimit-limit-requests-hour': '150',
        'x-ratelimit-remaining-requests-hour': '149',
        'x-ratelimit-limit-requests-day': '2400',
        'x-ratelimit-remaining-requests-day': '2399',
        'x-ratelimit-reset-requests-day': '33011.382867097855',
        'x-ratelimit-limit-tokens-minute': '30000',
        'x-ratelimit-remaining-tokens-minute': '29500',
        'x-ratelimit-reset-tokens-minute': '11.38',
        'x-ratelimit-limit-tokens-day': '1000000',
        'x-ratelimit-remaining-tokens-day': '999500',
      }),
    ).toEqual([
      { window: 'requests_minute', limit: 5, remaining: 4 },
      { window: 'requests_hour', limit: 150, remaining: 149 },
      { window: 'requests_day', limit: 2400, remaining: 2399, resetAtMs: NOW + 33_011_383 },
      { window: 'tokens_minute', limit: 30000, remaining: 29500, resetAtMs: NOW + 11_380 },
      { window: 'tokens_day', limit: 1000000, remaining: 999500 },
    ]);
  });

  it('a 429 carries none of them', () => {
    expect(parse('cerebras', { 'retry-after': '57' })).toEqual([]);
  });
});

describe('Mistral: -req-minute and -tokens-month, the minute resets on the wall clock', () => {
  it('reads a non-stream 200 and fills in the fixed boundaries', () => {
    expect(
      parse('mistral', {
        'x-ratelimit-limit-req-minute': '23',
        'x-ratelimit-remaining-req-minute': '0',
        'x-ratelimit-limit-tokens-minute': '356250',
        'x-ratelimit-remaining-tokens-minute': '350000',
        'x-ratelimit-limit-tokens-month': '1000000000',
        'x-ratelimit-remaining-tokens-month': '999000000',
        'x-ratelimit-tokens-query-cost': '6250',
      }),
    ).toEqual([
      { window: 'requests_minute', limit: 23, remaining: 0, resetAtMs: Date.UTC(2026, 10, 30, 7, 16) },
      { window: 'tokens_minute', limit: 356250, remaining: 350000, resetAtMs: Date.UTC(2026, 10, 30, 7, 16) },
      { window: 'tokens_month', limit: 1000000000, remaining: 999000000, resetAtMs: Date.UTC(2026, 11, 1) },
    ]);
  });

  it('59.999 s past the minute resets a millisecond later; on the minute, a full minute later', () => {
    const headers = { 'x-ratelimit-remaining-req-minute': '0' };
    expect(parse('mistral', headers, Date.UTC(2026, 10, 30, 7, 15, 59, 999))[0]!.resetAtMs).toBe(
      Date.UTC(2026, 10, 30, 7, 16),
    );
    expect(parse('mistral', headers, Date.UTC(2026, 10, 30, 7, 16))[0]!.resetAtMs).toBe(
      Date.UTC(2026, 10, 30, 7, 17),
    );
  });
});

describe('GitHub Models: advisory figures on 200s, the named counter on 429s', () => {
  it('a 200 is advisory', () => {
    expect(
      parse('github-models', {
        'x-ratelimit-limit-requests': '20000',
        'x-ratelimit-remaining-requests': '19999',
        'x-ratelimit-limit-tokens': '2000000',
        'x-ratelimit-remaining-tokens': '1999000',
        'x-ratelimit-renewalperiod-requests': '60',
      }),
    ).toEqual([
      { window: 'requests_minute', limit: 20000, remaining: 19999, advisory: true },
      { window: 'tokens_minute', limit: 2000000, remaining: 1999000, advisory: true },
    ]);
  });

  it('a 429 names its window in x-ratelimit-type and its wait in -timeremaining', () => {
    expect(
      parse('github-models', {
        'x-ratelimit-type': 'UserByModelByDay',
        'x-ratelimit-timeremaining': '85841',
      }),
    ).toEqual([{ window: 'requests_day', resetAtMs: NOW + 85_841_000 }]);
    expect(
      parse('github-models', { 'X-RateLimit-Type': 'UserByMinute', 'X-RateLimit-TimeRemaining': '55' }),
    ).toEqual([{ window: 'requests_minute', resetAtMs: NOW + 55_000 }]);
  });

  it('an unknown counter name is ignored', () => {
    expect(
      parse('github-models', { 'x-ratelimit-type': 'SomethingNew', 'x-ratelimit-timeremaining': '5' }),
    ).toEqual([]);
  });
});

describe('OpenRouter: X-RateLimit-Reset is epoch milliseconds', () => {
  it('reads the three headers, whatever their case', () => {
    expect(
      parse('openrouter', {
        'X-RateLimit-Limit': '50',
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': '1796083200000',
      }),
    ).toEqual([{ window: 'requests_unknown', limit: 50, remaining: 0, resetAtMs: 1796083200000 }]);
  });

  it('accepts epoch seconds too, and an array value (undici repeats)', () => {
    expect(parse('openrouter', { 'x-ratelimit-reset': ['1796083200', '1'] })).toEqual([
      { window: 'requests_unknown', resetAtMs: 1796083200000 },
    ]);
  });
});

describe('providers without quota headers', () => {
  it.each(['gemini', 'nvidia', 'cloudflare', 'ollama'])('%s reports nothing', (id) => {
    expect(parse(id, { 'x-ratelimit-remaining-requests': '3', 'retry-after': '5' })).toEqual([]);
  });

  it('a negative or non-numeric count is left out', () => {
    expect(
      parse('groq', { 'x-ratelimit-remaining-requests': '-1', 'x-ratelimit-limit-requests': 'lots' }),
    ).toEqual([]);
  });
});
