import { beforeAll, describe, expect, it } from 'vitest';
import { describeLimit } from './describe-limit.js';
import { loadProviderCatalog } from './provider-catalog-file.js';
import type { ProviderCatalog } from './provider-catalog-schema.js';
import { isKnownTimeZone, nextBoundaryMs } from './quota-window.js';

describe('nextBoundaryMs: the next clock boundary in a time zone', () => {
  it.each([
    // [now, period, zone, expected]
    [Date.UTC(2026, 10, 30, 7, 15, 59, 999), 'minute', 'UTC', Date.UTC(2026, 10, 30, 7, 16)],
    [Date.UTC(2026, 10, 30, 7, 16), 'minute', 'UTC', Date.UTC(2026, 10, 30, 7, 17)],
    [Date.UTC(2026, 10, 30, 7, 15, 42, 999), 'second', 'UTC', Date.UTC(2026, 10, 30, 7, 15, 43)],
    [Date.UTC(2026, 10, 30, 7, 15, 49, 999), '10_seconds', 'UTC', Date.UTC(2026, 10, 30, 7, 15, 50)],
    [Date.UTC(2026, 10, 30, 7, 15, 50), '10_seconds', 'UTC', Date.UTC(2026, 10, 30, 7, 16)],
    [Date.UTC(2026, 10, 30, 7, 59, 59, 999), 'hour', 'UTC', Date.UTC(2026, 10, 30, 8)],
    [Date.UTC(2026, 10, 30, 23, 59, 59, 999), 'day', 'UTC', Date.UTC(2026, 11, 1)],
    [Date.UTC(2026, 11, 1), 'day', 'UTC', Date.UTC(2026, 11, 2)],
    // Los Angeles: PST (UTC−8) in winter, PDT (UTC−7) in summer.
    [Date.UTC(2026, 11, 1, 7, 59, 59, 999), 'day', 'America/Los_Angeles', Date.UTC(2026, 11, 1, 8)],
    [Date.UTC(2026, 11, 1, 8), 'day', 'America/Los_Angeles', Date.UTC(2026, 11, 2, 8)],
    [Date.UTC(2026, 6, 15, 6, 59, 59, 999), 'day', 'America/Los_Angeles', Date.UTC(2026, 6, 15, 7)],
    // The night DST ends (Sun 2026-11-01): midnight was PDT, the next one is PST.
    [Date.UTC(2026, 10, 1, 7), 'day', 'America/Los_Angeles', Date.UTC(2026, 10, 2, 8)],
    // The night DST starts (Sun 2026-03-08): midnight Sunday is PST, Monday's is PDT.
    [Date.UTC(2026, 2, 8, 8), 'day', 'America/Los_Angeles', Date.UTC(2026, 2, 9, 7)],
    // Half-hour zone: India's hours start at :30 UTC.
    [Date.UTC(2026, 10, 30, 7, 29, 59), 'hour', 'Asia/Kolkata', Date.UTC(2026, 10, 30, 7, 30)],
    [Date.UTC(2026, 10, 30, 7, 30), 'hour', 'Asia/Kolkata', Date.UTC(2026, 10, 30, 8, 30)],
    // Weeks start on Monday; Mon 2026-11-30, Sun 2026-12-06.
    [Date.UTC(2026, 11, 6, 23, 59, 59, 999), 'week', 'UTC', Date.UTC(2026, 11, 7)],
    [Date.UTC(2026, 10, 30), 'week', 'UTC', Date.UTC(2026, 11, 7)],
    // Months, across a year end.
    [Date.UTC(2026, 11, 31, 23, 59, 59, 999), 'month', 'UTC', Date.UTC(2027, 0, 1)],
    [Date.UTC(2027, 0, 1), 'month', 'UTC', Date.UTC(2027, 1, 1)],
  ] as const)('%d %s %s → %d', (now, period, zone, expected) => {
    expect(nextBoundaryMs(now, period, zone)).toBe(expected);
  });

  it('sessions are aligned to the epoch', () => {
    const fiveHoursMs = 18_000_000;
    expect(nextBoundaryMs(Date.UTC(2026, 10, 30, 11, 59, 59, 999), 'session', 'UTC', fiveHoursMs)).toBe(
      Date.UTC(2026, 10, 30, 12),
    );
    expect(nextBoundaryMs(Date.UTC(2026, 10, 30, 12), 'session', 'UTC', fiveHoursMs)).toBe(
      Date.UTC(2026, 10, 30, 17),
    );
    expect(nextBoundaryMs(0, 'session', 'UTC')).toBeUndefined();
    expect(nextBoundaryMs(0, 'unknown', 'UTC')).toBeUndefined();
  });

  it('knows real time zones only', () => {
    expect(isKnownTimeZone('America/Los_Angeles')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus')).toBe(false);
  });
});

describe('limits in words', () => {
  let catalog: ProviderCatalog;
  beforeAll(async () => {
    catalog = await loadProviderCatalog();
  });
  const limit = (id: string, window: string) =>
    catalog.providers.find((p) => p.id === id)!.limits.find((l) => l.window === window)!;

  it.each([
    ['groq', 'requests_day', 'llama-3.1-8b-instant', '14,400 requests/day per model, refills continuously'],
    ['groq', 'requests_day', undefined, '1,000 requests/day per model, refills continuously'],
    [
      'gemini',
      'requests_day',
      undefined,
      '20 requests/day per model, resets at midnight America/Los_Angeles',
    ],
    ['cloudflare', 'neurons_day', undefined, '10,000 neurons/day per account, resets at midnight UTC'],
    [
      'openrouter',
      'requests_minute',
      undefined,
      '20 requests/min per account, resets at the start of each minute',
    ],
    ['github-models', 'requests_day', undefined, '150 requests/day per model, rolling window'],
    ['github-models', 'concurrency', undefined, '5 requests at once per model, refills continuously'],
    [
      'mistral',
      'requests_second',
      undefined,
      '1 request/second per model, resets at the start of each second',
    ],
    [
      'mistral',
      'tokens_month',
      undefined,
      '1,000,000,000 tokens/month per model, resets on the 1st, 00:00 UTC',
    ],
    [
      'ollama-cloud',
      'usage_session',
      undefined,
      'unknown usage/session (5 h) per account, resets at each session boundary',
    ],
    ['ollama-cloud', 'usage_week', undefined, 'unknown usage/week per account, resets Monday 00:00 UTC'],
  ])('%s %s %s: %s', (id, window, model, words) => {
    expect(describeLimit(limit(id, window), model)).toBe(words);
  });
});
