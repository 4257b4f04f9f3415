import { describe, expect, it } from 'vitest';
import { AccountLimits } from './account-limits.js';
import { DAY_MS, MINUTE_MS, WindowCounter, windowEndMs } from './quota-window.js';
import { accountSchema } from './scenario-schema.js';

const MIDNIGHT = Date.UTC(2026, 4, 20);

function account(config: Record<string, unknown> = {}): AccountLimits {
  return new AccountLimits(accountSchema.parse(config));
}

describe('quota windows', () => {
  it('end at the next minute boundary and the next 00:00 UTC', () => {
    expect(windowEndMs('minute', MIDNIGHT + 59_999)).toBe(MIDNIGHT + MINUTE_MS);
    expect(windowEndMs('minute', MIDNIGHT + MINUTE_MS)).toBe(MIDNIGHT + 2 * MINUTE_MS);
    expect(windowEndMs('day', MIDNIGHT + 1)).toBe(MIDNIGHT + DAY_MS);
    expect(windowEndMs('day', MIDNIGHT - 1)).toBe(MIDNIGHT);
  });

  it('count per window and forget the count when a new window starts', () => {
    const counter = new WindowCounter('minute');
    counter.add(MIDNIGHT + 10);
    counter.add(MIDNIGHT + 59_999);
    expect(counter.used(MIDNIGHT + 59_999)).toBe(2);
    expect(counter.used(MIDNIGHT + 60_000)).toBe(0);
  });
});

describe('account free-model limits', () => {
  it('admits 20 per minute, refuses the 21st until the next minute boundary', () => {
    const limits = account();
    const t0 = MIDNIGHT + 30_000; // mid-minute: the window is aligned, not rolling
    for (let i = 0; i < 20; i++) expect(limits.admitFree(t0)).toBeUndefined();
    expect(limits.admitFree(t0)).toEqual({ unit: 'minute', limit: 20, resetMs: MIDNIGHT + MINUTE_MS });
    expect(limits.admitFree(MIDNIGHT + MINUTE_MS - 1)).toBeDefined();
    expect(limits.admitFree(MIDNIGHT + MINUTE_MS)).toBeUndefined();
  });

  it('admits 50 per UTC day without credits, 1000 with, refusing with the next midnight as reset', () => {
    for (const [hasCredits, perDay] of [
      [false, 50],
      [true, 1000],
    ] as const) {
      const limits = account({ hasCredits, perMinute: 10_000 });
      for (let i = 0; i < perDay; i++) expect(limits.admitFree(MIDNIGHT + i)).toBeUndefined();
      expect(limits.admitFree(MIDNIGHT + DAY_MS - 1)).toEqual({
        unit: 'day',
        limit: perDay,
        resetMs: MIDNIGHT + DAY_MS,
      });
      expect(limits.admitFree(MIDNIGHT + DAY_MS)).toBeUndefined();
    }
  });

  it('reports the day limit when both windows are full', () => {
    const limits = account();
    limits.setUsage(MIDNIGHT, { minuteUsed: 20, dayUsed: 50 });
    expect(limits.admitFree(MIDNIGHT)?.unit).toBe('day');
  });

  it('does not count refused requests', () => {
    const limits = account();
    limits.setUsage(MIDNIGHT, { minuteUsed: 20 });
    limits.admitFree(MIDNIGHT);
    expect(limits.snapshot(MIDNIGHT).day.used).toBe(0);
  });

  it('enforces nothing when free limits are off', () => {
    const limits = account({ freeLimits: false });
    for (let i = 0; i < 100; i++) expect(limits.admitFree(MIDNIGHT)).toBeUndefined();
    expect(limits.snapshot(MIDNIGHT).day).toMatchObject({ used: 100, remaining: 0 });
  });

  it('snapshots used, remaining and reset per window', () => {
    const limits = account();
    limits.admitFree(MIDNIGHT + 5);
    expect(limits.snapshot(MIDNIGHT + 5)).toEqual({
      hasCredits: false,
      enforced: true,
      minute: { limit: 20, used: 1, remaining: 19, resetMs: MIDNIGHT + MINUTE_MS },
      day: { limit: 50, used: 1, remaining: 49, resetMs: MIDNIGHT + DAY_MS },
    });
    limits.setHasCredits(true);
    expect(limits.snapshot(MIDNIGHT + 5).day.limit).toBe(1000);
  });
});
