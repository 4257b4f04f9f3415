import { describe, expect, it } from 'vitest';
import {
  dayStartMs,
  localQuotaBlock,
  minuteStartMs,
  newAccountState,
  nextMinuteMs,
  nextUtcMidnightMs,
  rollWindows,
} from './account-quota.js';

describe('account quota windows', () => {
  const t = Date.UTC(2026, 7, 14, 23, 59, 59, 999);

  it('aligns to the minute boundary and to 00:00 UTC', () => {
    expect(minuteStartMs(t)).toBe(Date.UTC(2026, 7, 14, 23, 59));
    expect(nextMinuteMs(t)).toBe(Date.UTC(2026, 7, 15, 0, 0));
    expect(dayStartMs(t)).toBe(Date.UTC(2026, 7, 14));
    expect(nextUtcMidnightMs(t)).toBe(Date.UTC(2026, 7, 15));
    expect(nextUtcMidnightMs(Date.UTC(2026, 7, 15))).toBe(Date.UTC(2026, 7, 16));
  });

  it('blocks at exactly the per-minute limit and releases at the next minute', () => {
    const a = newAccountState(t - 30_000);
    a.minute.count = 19;
    expect(localQuotaBlock(a, { perMinute: 20, perDay: undefined }, t)).toBeUndefined();
    a.minute.count = 20;
    expect(localQuotaBlock(a, { perMinute: 20, perDay: undefined }, t)).toEqual({
      scope: 'account_minute',
      untilMs: Date.UTC(2026, 7, 15),
    });
    expect(rollWindows(a, t + 1)).toBe(true);
    expect(a.minute.count).toBe(0);
    expect(localQuotaBlock(a, { perMinute: 20, perDay: undefined }, t + 1)).toBeUndefined();
  });

  it('the daily limit wins over the minute limit and resets at midnight UTC', () => {
    const a = newAccountState(t);
    a.day.count = 50;
    a.minute.count = 20;
    expect(localQuotaBlock(a, { perMinute: 20, perDay: 50 }, t)?.scope).toBe('account_day');
    rollWindows(a, t + 1);
    expect(a.day.count).toBe(0);
  });

  it('an unknown daily limit is not enforced', () => {
    const a = newAccountState(t);
    a.day.count = 10_000;
    expect(localQuotaBlock(a, { perMinute: undefined, perDay: undefined }, t)).toBeUndefined();
  });
});
