import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlidingCount } from './sliding-count.js';

describe('SlidingCount', () => {
  it('always equals the events of the last whole seconds of the window, for any adds and waits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 3 })), {
          maxLength: 80,
        }),
        (windowS, steps) => {
          let now = Date.UTC(2026, 10, 30, 12);
          const count = new SlidingCount(windowS * 1000, () => now);
          const events: Array<{ second: number; n: number }> = [];
          for (const [waitMs, n] of steps) {
            now += waitMs;
            count.add(n);
            events.push({ second: Math.floor(now / 1000), n });
            const current = Math.floor(now / 1000);
            // Expected by hand: events whose second is within the window's buckets.
            const expected = events.filter((e) => e.second > current - windowS).reduce((a, e) => a + e.n, 0);
            expect(count.total()).toBe(expected);
          }
        },
      ),
      { numRuns: 300, seed: 3 },
    );
  });
});
