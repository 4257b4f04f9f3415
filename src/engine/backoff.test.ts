import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_RETRY, delayBandMs, hintedDelayMs, nominalDelayMs } from './backoff.js';
import { seededRandom } from './random.js';

describe('backoff', () => {
  it("follows the seed's schedule: 1 s, 2 s, 4 s, 8 s, 16 s … capped at 60 s", () => {
    const steps = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => nominalDelayMs(n, DEFAULT_RETRY));
    expect(steps).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  });

  it('without jitter returns exactly the nominal delay', () => {
    const options = { ...DEFAULT_RETRY, jitter: false };
    expect(backoffDelayMs(3, options, () => 0.99)).toBe(8000);
  });

  it('every jittered delay lies inside ±20 % of nominal and never above the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 120_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 0.9999999, noNaN: true }),
        (n, baseDelayMs, maxDelayMs, exponentialBase, r) => {
          const options = { ...DEFAULT_RETRY, baseDelayMs, maxDelayMs, exponentialBase };
          const d = backoffDelayMs(n, options, () => r);
          const nominal = nominalDelayMs(n, options);
          const [low, high] = delayBandMs(n, options);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeGreaterThanOrEqual(Math.floor(low));
          expect(d).toBeLessThanOrEqual(Math.ceil(high));
          expect(d).toBeLessThanOrEqual(maxDelayMs);
          expect(low).toBeCloseTo(nominal * 0.8, 6);
          expect(nominal).toBeLessThanOrEqual(
            Math.min(maxDelayMs, baseDelayMs * exponentialBase ** n) + 1e-6,
          );
        },
      ),
    );
  });

  it('is reproducible with a seeded random', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = [0, 1, 2, 3].map((n) => backoffDelayMs(n, DEFAULT_RETRY, a));
    const ys = [0, 1, 2, 3].map((n) => backoffDelayMs(n, DEFAULT_RETRY, b));
    expect(xs).toEqual(ys);
  });

  describe('server hints', () => {
    const now = 1_000_000;
    it('a reset time wins and is capped', () => {
      expect(hintedDelayMs({ resetAtMs: now + 17_000 }, now, 60_000)).toBe(17_000);
      expect(hintedDelayMs({ resetAtMs: now + 600_000 }, now, 60_000)).toBe(60_000);
    });
    it('a reset time in the past is ignored in favour of Retry-After', () => {
      expect(hintedDelayMs({ resetAtMs: now - 1, retryAfterMs: 5000 }, now, 60_000)).toBe(5000);
      expect(hintedDelayMs({ resetAtMs: now }, now, 60_000)).toBeUndefined();
      expect(hintedDelayMs({ resetAtMs: now + 1 }, now, 60_000)).toBe(1);
    });
    it('no hint, no delay', () => {
      expect(hintedDelayMs({}, now, 60_000)).toBeUndefined();
    });
  });
});
