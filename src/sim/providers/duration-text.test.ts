import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGoDurationMs } from '../../providers/go-duration.js';
import { decimalSeconds, formatGoDuration, wholeSeconds } from './duration-text.js';

describe('Go durations as Groq writes them', () => {
  it.each([
    [578_016, '9m38.016s'],
    [592_272, '9m52.272s'],
    [345_600, '5m45.6s'],
    [186_000, '3m6s'],
    [179_560, '2m59.56s'],
    [1_724, '1.724s'],
    [370, '370ms'],
    [60_000, '1m0s'],
    [3_600_000, '1h0m0s'],
    [21_600_000, '6h0m0s'],
    [0, '0s'],
    [0.2, '1ms'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
  });

  it('reads back through rotor parser, never shorter than the wait (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 40 * 86_400_000, noNaN: true }), (ms) => {
        const back = parseGoDurationMs(formatGoDuration(ms))!;
        expect(back).toBeGreaterThanOrEqual(ms);
        expect(back - ms).toBeLessThan(1);
      }),
    );
  });
});

describe('seconds', () => {
  it('writes decimal seconds without trailing zeros, rounded up to the ms', () => {
    expect(decimalSeconds(33_011_382.8)).toBe('33011.383');
    expect(decimalSeconds(12_000)).toBe('12');
    expect(decimalSeconds(500)).toBe('0.5');
    expect(wholeSeconds(5_564)).toBe(6);
    expect(wholeSeconds(0)).toBe(0);
  });
});
