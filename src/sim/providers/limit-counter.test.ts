import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LimitCounter } from './limit-counter.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

describe('fixed windows reset at the clock boundary of their time zone', () => {
  it('counts a UTC minute and forgets it at :00', () => {
    const t0 = Date.UTC(2026, 10, 30, 12, 0, 40);
    const c = new LimitCounter(2, { rule: 'fixed', time_zone: 'UTC' }, 'minute', MINUTE);
    c.add(1, t0);
    c.add(1, t0 + 1000);
    expect(c.used(t0 + 2000)).toBe(2);
    expect(c.waitMs(1, t0 + 2000)).toBe(18_000);
    expect(c.resetAtMs(t0)).toBe(Date.UTC(2026, 10, 30, 12, 1));
    expect(c.used(Date.UTC(2026, 10, 30, 12, 0, 59, 999))).toBe(2);
    expect(c.used(Date.UTC(2026, 10, 30, 12, 1))).toBe(0);
  });

  it('ends a Pacific day at 08:00 UTC in winter and 07:00 UTC in summer', () => {
    const winter = new LimitCounter(20, { rule: 'fixed', time_zone: 'America/Los_Angeles' }, 'day', DAY);
    winter.add(20, Date.UTC(2026, 10, 30, 7, 59)); // 23:59 PST on the 29th
    expect(winter.waitMs(1, Date.UTC(2026, 10, 30, 7, 59))).toBe(MINUTE);
    expect(winter.used(Date.UTC(2026, 10, 30, 8))).toBe(0);
    const summer = new LimitCounter(20, { rule: 'fixed', time_zone: 'America/Los_Angeles' }, 'day', DAY);
    summer.add(20, Date.UTC(2026, 6, 1, 6, 30)); // 23:30 PDT on June 30
    expect(summer.resetAtMs(Date.UTC(2026, 6, 1, 6, 30))).toBe(Date.UTC(2026, 6, 1, 7));
  });

  it('ends a month on the 1st, a week on Monday, a session at the next 5-hour epoch boundary', () => {
    const month = new LimitCounter(10, { rule: 'fixed', time_zone: 'UTC' }, 'month', 30 * DAY);
    month.add(10, Date.UTC(2026, 10, 15));
    expect(month.resetAtMs(Date.UTC(2026, 10, 15))).toBe(Date.UTC(2026, 11, 1));
    expect(month.used(Date.UTC(2026, 10, 30, 23, 59, 59, 999))).toBe(10);
    expect(month.used(Date.UTC(2026, 11, 1))).toBe(0);
    const week = new LimitCounter(10, { rule: 'fixed', time_zone: 'UTC' }, 'week', 7 * DAY);
    week.add(3, Date.UTC(2026, 11, 2)); // a Wednesday
    expect(week.resetAtMs(Date.UTC(2026, 11, 2))).toBe(Date.UTC(2026, 11, 7)); // Monday
    const session = new LimitCounter(10, { rule: 'fixed', time_zone: 'UTC' }, 'session', 5 * 3_600_000);
    session.add(3, Date.UTC(2026, 10, 30, 8, 20)); // sessions start 07:00, 12:00 UTC that day
    expect(session.resetAtMs(Date.UTC(2026, 10, 30, 8, 20))).toBe(Date.UTC(2026, 10, 30, 12));
  });
});

describe('rolling windows drop usage one period after it happened', () => {
  it('waits for the oldest request to leave', () => {
    const t0 = Date.UTC(2026, 10, 30, 12);
    const c = new LimitCounter(2, { rule: 'rolling' }, 'day', DAY);
    c.add(1, t0);
    c.add(1, t0 + 5000);
    expect(c.waitMs(1, t0 + 7000)).toBe(DAY - 7000);
    expect(c.used(t0 + DAY - 1)).toBe(2);
    expect(c.used(t0 + DAY)).toBe(1);
    expect(c.resetAtMs(t0 + 7000)).toBe(t0 + 5000 + DAY);
  });

  it('finds the entry whose leaving makes room for a large amount', () => {
    const t0 = Date.UTC(2026, 10, 30, 12);
    const c = new LimitCounter(200_000, { rule: 'rolling' }, 'day', DAY);
    c.add(150_000, t0);
    c.add(40_000, t0 + 10);
    c.add(5_000, t0 + 20);
    // 195,000 used; 30,000 more fits only once the 150,000 leaves.
    expect(c.waitMs(30_000, t0 + 100)).toBe(DAY - 100);
    expect(c.waitMs(5_000, t0 + 100)).toBe(0);
  });
});

describe('continuous buckets refill at limit/period', () => {
  it('gives back one request of a 14,400/day bucket every 6 s', () => {
    const t0 = Date.UTC(2026, 10, 30, 12);
    const c = new LimitCounter(14_400, { rule: 'continuous' }, 'day', DAY);
    c.add(31, t0);
    // After a 31-request burst the bucket is full again in 31 × 6 s = 186 s (survey: reset "3m6s").
    expect(c.resetAtMs(t0)).toBe(t0 + 186_000);
    expect(c.used(t0 + 6000)).toBeCloseTo(30, 9);
  });

  it("waits deficit × period / limit, as Groq's messages say", () => {
    // continue#10920: TPD 100,000, used 97,050, requested 3,619 → "Please try again in 9m38.016s".
    const t0 = Date.UTC(2026, 10, 30, 12);
    const c = new LimitCounter(100_000, { rule: 'continuous' }, 'day', DAY);
    c.add(97_050, t0);
    expect(c.waitMs(3_619, t0)).toBeCloseTo(578_016, 6);
    expect(c.waitMs(2_950, t0)).toBe(0);
  });

  it('admits exactly when the stated wait has passed (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 1000 }),
        (limit, fill, amount) => {
          fc.pre(amount <= limit);
          const c = new LimitCounter(limit, { rule: 'continuous' }, 'minute', MINUTE);
          c.add(Math.floor(limit * fill), 0);
          const wait = c.waitMs(amount, 0);
          expect(c.waitMs(amount, wait + 1e-6)).toBe(0);
          if (wait > 1) expect(c.waitMs(amount, wait - 1)).toBeGreaterThan(0);
        },
      ),
    );
  });
});

describe('admin pre-spending', () => {
  it('sets the usage of the current window for every rule', () => {
    const t0 = Date.UTC(2026, 10, 30, 12, 0, 30);
    for (const rule of [
      { rule: 'fixed', time_zone: 'UTC' },
      { rule: 'rolling' },
      { rule: 'continuous' },
    ] as const) {
      const c = new LimitCounter(50, rule, 'minute', MINUTE);
      c.add(3, t0);
      c.set(50, t0);
      expect(c.used(t0)).toBe(50);
      expect(c.waitMs(1, t0)).toBeGreaterThan(0);
    }
  });
});
