import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../engine/clock.js';
import { RotationEngine } from '../engine/rotation-engine.js';
import {
  type AdaptiveMove,
  type AdaptiveStats,
  adaptiveOrder,
  startAdaptiveRanking,
} from './adaptive-rank.js';

function stats(
  model: string,
  totalRequests: number,
  recentSuccessRate: number,
  latencyP50Ms: number | null,
): AdaptiveStats {
  return { model, totalRequests, recentSuccessRate, latencyP50Ms };
}

describe('adaptiveOrder', () => {
  it('moves a model with clearly better live figures up', () => {
    const result = adaptiveOrder(
      ['a', 'b', 'c'],
      [stats('a', 50, 1, 3_000), stats('b', 50, 1, 2_500), stats('c', 50, 1, 1_000)],
    );
    expect(result.order).toEqual(['c', 'a', 'b']);
    expect(result.changed).toBe(true);
    expect(result.moves).toEqual([
      { model: 'c', from: 2, to: 0 },
      { model: 'a', from: 0, to: 1 },
      { model: 'b', from: 1, to: 2 },
    ]);
  });

  it('puts a better success bucket first whatever the latency', () => {
    const result = adaptiveOrder(['a', 'b'], [stats('a', 50, 0.85, 500), stats('b', 50, 0.99, 4_000)]);
    expect(result.order).toEqual(['b', 'a']);
  });

  it('keeps the order when the one behind is faster by no more than the hysteresis', () => {
    // 2 400 ms is exactly 20 % faster than 3 000 ms: not more, so no overtaking.
    expect(adaptiveOrder(['a', 'b'], [stats('a', 50, 1, 3_000), stats('b', 50, 1, 2_400)]).changed).toBe(
      false,
    );
    expect(adaptiveOrder(['a', 'b'], [stats('a', 50, 1, 3_000), stats('b', 50, 1, 2_399)]).order).toEqual([
      'b',
      'a',
    ]);
    // 0.99 and 0.98 share a bucket: success this close does not reorder either.
    expect(adaptiveOrder(['a', 'b'], [stats('a', 50, 0.98, 1_000), stats('b', 50, 1, 1_000)]).changed).toBe(
      false,
    );
  });

  it('leaves a model with too few samples in its place, and others move around it', () => {
    const result = adaptiveOrder(
      ['a', 'new', 'b'],
      [stats('a', 50, 1, 3_000), stats('new', 5, 1, 100), stats('b', 50, 1, 1_000)],
    );
    expect(result.order).toEqual(['b', 'new', 'a']);
    expect(adaptiveOrder(['a', 'b'], [stats('a', 19, 1, 9_000), stats('b', 19, 1, 100)]).changed).toBe(false);
    expect(adaptiveOrder(['a', 'b'], [stats('a', 20, 1, 9_000), stats('b', 20, 1, 100)]).changed).toBe(true);
  });

  it("falls back to the registry's expected latency when a counted model has no live latency", () => {
    const result = adaptiveOrder(['a', 'b'], [stats('a', 50, 1, 3_000), stats('b', 50, 1, null)], {
      expectedLatencyMs: (model) => (model === 'b' ? 1_000 : undefined),
    });
    expect(result.order).toEqual(['b', 'a']);
    expect(adaptiveOrder(['a', 'b'], [stats('a', 50, 1, 3_000), stats('b', 50, 1, null)]).changed).toBe(
      false,
    );
  });

  const scenario = fc
    .uniqueArray(fc.constantFrom<string>('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), {
      minLength: 0,
      maxLength: 8,
    })
    .chain((order) =>
      fc.record({
        order: fc.constant(order),
        stats: fc.tuple(
          ...order.map((model) =>
            fc.record({
              model: fc.constant(model),
              totalRequests: fc.integer({ min: 0, max: 60 }),
              recentSuccessRate: fc.oneof(
                fc.constantFrom(0, 0.5, 0.8, 0.9, 0.95, 0.98, 1),
                fc.double({ min: 0, max: 1, noNaN: true }),
              ),
              latencyP50Ms: fc.option(fc.integer({ min: 1, max: 20_000 }), { nil: null }),
            }),
          ),
        ),
        ratio: fc.constantFrom(0, 0.1, 0.2, 0.5),
      }),
    );

  it('returns a permutation that never changes again on the same figures (no flapping)', () => {
    fc.assert(
      fc.property(scenario, ({ order, stats: figures, ratio }) => {
        const first = adaptiveOrder(order, figures, { hysteresisRatio: ratio });
        expect([...first.order].sort()).toEqual([...order].sort());
        const again = adaptiveOrder(first.order, figures, { hysteresisRatio: ratio });
        expect(again.changed).toBe(false);
        expect(again.order).toEqual(first.order);
        expect(first.changed).toBe(first.order.join() !== order.join());
      }),
    );
  });

  it('keeps models below minSamples in place and never lets a model overtake without a clear lead', () => {
    fc.assert(
      fc.property(scenario, ({ order, stats: figures, ratio }) => {
        const { order: result } = adaptiveOrder(order, figures, { hysteresisRatio: ratio });
        figures.forEach((s, index) => {
          if (s.totalRequests < 20) expect(result[index]).toBe(s.model);
        });
        // A model ahead of one that was ahead of it before must be clearly better than it, or have
        // been carried by a chain of clearly better neighbours — either way not worse in bucket.
        const bucket = (rate: number) => [0.98, 0.95, 0.9, 0.8, 0.5, 0].findIndex((b) => rate >= b);
        const byModel = new Map(figures.map((s) => [s.model, s]));
        for (let i = 0; i < result.length; i++) {
          for (let j = i + 1; j < result.length; j++) {
            const ahead = byModel.get(result[i]!)!;
            const behind = byModel.get(result[j]!)!;
            if (ahead.totalRequests < 20 || behind.totalRequests < 20) continue;
            if (order.indexOf(ahead.model) > order.indexOf(behind.model)) {
              expect(bucket(ahead.recentSuccessRate)).toBeLessThanOrEqual(bucket(behind.recentSuccessRate));
            }
          }
        }
      }),
    );
  });
});

describe('startAdaptiveRanking', () => {
  const [A, B, C] = ['p/a', 'p/b', 'p/c'];

  function engineWith(
    figures: Record<string, { ok: number; failed?: number; latencyMs: number }>,
  ): RotationEngine {
    const engine = new RotationEngine({ rotationOrder: [A, B, C] }, { clock: new ManualClock() });
    for (const [model, { ok, failed = 0, latencyMs }] of Object.entries(figures)) {
      for (let i = 0; i < ok + failed; i++) {
        const got = engine.acquire({ order: [model] });
        if (!got.ok) throw new Error(`cannot acquire ${model}`);
        if (i < ok) got.lease.succeed({ latencyMs, ttftMs: latencyMs / 2 });
        else got.lease.fail({ kind: 'request_error', message: 'x' }, { latencyMs });
      }
    }
    return engine;
  }

  it('applies a better order to the engine and stays stable under repeated ticks', () => {
    const engine = engineWith({
      [A]: { ok: 30, latencyMs: 4_000 },
      [B]: { ok: 30, latencyMs: 3_500 },
      [C]: { ok: 30, latencyMs: 900 },
    });
    const changes: AdaptiveMove[][] = [];
    const ranking = startAdaptiveRanking(
      { engine },
      { intervalMs: 3_600_000, clock: engine.clock, onChange: (moves) => changes.push(moves) },
    );
    try {
      expect(ranking.tick().changed).toBe(true);
      expect(engine.rotationOrder).toEqual([C, A, B]);
      for (let i = 0; i < 5; i++) expect(ranking.tick().changed).toBe(false);
      expect(engine.rotationOrder).toEqual([C, A, B]);
      expect(changes).toEqual([
        [
          { model: C, from: 2, to: 0 },
          { model: A, from: 0, to: 1 },
          { model: B, from: 1, to: 2 },
        ],
      ]);
    } finally {
      ranking.stop();
    }
  });

  it('leaves the order alone while the figures are too few', () => {
    const engine = engineWith({ [A]: { ok: 5, latencyMs: 4_000 }, [C]: { ok: 5, latencyMs: 100 } });
    const ranking = startAdaptiveRanking({ engine });
    try {
      expect(ranking.tick().changed).toBe(false);
      expect(engine.rotationOrder).toEqual([A, B, C]);
    } finally {
      ranking.stop();
    }
  });
});
