import { describe, expect, it } from 'vitest';
import { seededRandom } from '../engine/random.js';
import { FaultSchedule } from './fault-schedule.js';
import { parseFaults } from './scenario-schema.js';

function schedule(faults: unknown[], seed = 1): FaultSchedule {
  const s = new FaultSchedule(seededRandom(seed));
  s.set(parseFaults(faults));
  return s;
}

describe('fault schedule', () => {
  it('hits only inside its window: from inclusive, to exclusive', () => {
    const s = schedule([{ model: 'm', kind: 'server_error', status: 503, from: '10s', to: '70s' }]);
    expect(s.match('m', 9_999, false)).toBeUndefined();
    expect(s.match('m', 10_000, false)?.kind).toBe('server_error');
    expect(s.match('m', 69_999, false)?.kind).toBe('server_error');
    expect(s.match('m', 70_000, false)).toBeUndefined();
  });

  it('matches its model or every model for "*"', () => {
    const s = schedule([{ model: 'a', kind: 'model_gone' }, { kind: 'no_response' }]);
    expect(s.match('a', 0, false)?.kind).toBe('model_gone');
    expect(s.match('b', 0, false)?.kind).toBe('no_response');
  });

  it('tries faults in order, skipping spent ones and the other stream mode', () => {
    const s = schedule([
      { kind: 'missing_done', stream: true },
      { kind: 'connection_reset', maxHits: 2 },
      { kind: 'rate_limited' },
    ]);
    expect(s.match('m', 0, true)?.kind).toBe('missing_done');
    expect(s.match('m', 0, false)?.kind).toBe('connection_reset');
    expect(s.match('m', 0, false)?.kind).toBe('connection_reset');
    expect(s.match('m', 0, false)?.kind).toBe('rate_limited');
    expect(s.list().map((f) => f.hits)).toEqual([1, 2, 1]);
  });

  it('draws probabilities from the seeded random: same seed, same hits', () => {
    const hits = (seed: number) => {
      const s = schedule([{ kind: 'server_error', probability: 0.3 }], seed);
      return Array.from({ length: 200 }, (_, i) => (s.match('m', i, false) ? 1 : 0));
    };
    expect(hits(5)).toEqual(hits(5));
    expect(hits(5)).not.toEqual(hits(6));
    const rate = hits(5).reduce((a: number, b) => a + b, 0) / 200;
    expect(rate).toBeGreaterThan(0.2);
    expect(rate).toBeLessThan(0.4);
  });

  it('assigns ids, removes by id, and knows when a model is retired', () => {
    const s = schedule([
      { id: 'gone', model: 'a', kind: 'model_gone', from: '5s' },
      { kind: 'missing_done' },
    ]);
    expect(s.list().map((f) => f.id)).toEqual(['gone', 'fault-1']);
    expect(s.isGone('a', 4_999)).toBe(false);
    expect(s.isGone('a', 5_000)).toBe(true);
    expect(s.isGone('b', 5_000)).toBe(false);
    expect(s.remove('gone')).toBe(true);
    expect(s.remove('gone')).toBe(false);
    expect(s.isGone('a', 5_000)).toBe(false);
  });
});
