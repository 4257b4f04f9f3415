/**
 * Adaptive ranking: the gateway re-orders its rotation from what it observes — each model's
 * recent success rate and latency p50 — with the rules of `rotor rank` (success bucket first,
 * then latency). Live figures move a little with every request, so the order has hysteresis: a
 * model overtakes the one ahead of it only when it is in a strictly better success bucket, or in
 * the same bucket and more than `hysteresisRatio` faster. A model with fewer than `minSamples`
 * requests keeps its place: a handful of requests is noise, not evidence.
 *
 * `adaptiveOrder` is pure. Re-applying it to its own result with the same figures changes nothing
 * (no flapping): it only swaps neighbours where the one behind is clearly better, until no such
 * pair is left, and "clearly better" implies strictly better by (bucket, latency), so it ends.
 */
import type { Clock } from '../engine/clock.js';
import type { ModelMetricsSnapshot } from '../engine/metrics-snapshot.js';
import { bucketOf, DEFAULT_SUCCESS_BUCKETS } from './rank.js';

/** The live figures adaptive ranking reads. */
export type AdaptiveStats = Pick<
  ModelMetricsSnapshot,
  'model' | 'totalRequests' | 'recentSuccessRate' | 'latencyP50Ms'
>;

export interface AdaptiveRankOptions {
  /** Requests a model needs before its live figures count; below that it keeps its place. Default 20. */
  minSamples?: number;
  /**
   * In the same success bucket, how much faster a model must be to overtake the one ahead, as a
   * fraction of the latter's latency (0.2: more than 20 % faster). Default 0.2.
   */
  hysteresisRatio?: number;
  /** Lower bounds of the success-rate buckets, best first. Default `rotor rank`'s. */
  successBuckets?: readonly number[];
  /** The registry's expected latency, ms, for a counted model without a live latency figure. */
  expectedLatencyMs?: (model: string) => number | undefined;
}

/** A model that changed place; indexes are 0-based positions in the rotation. */
export interface AdaptiveMove {
  model: string;
  from: number;
  to: number;
}

export interface AdaptiveOrder {
  order: string[];
  changed: boolean;
  /** Every model whose position changed, in its new order. */
  moves: AdaptiveMove[];
}

interface Standing {
  model: string;
  bucket: number;
  /** ms; null = unknown, which ranks last in its bucket. */
  latencyMs: number | null;
}

export function adaptiveOrder(
  current: readonly string[],
  stats: readonly AdaptiveStats[],
  options: AdaptiveRankOptions = {},
): AdaptiveOrder {
  const minSamples = options.minSamples ?? 20;
  const ratio = options.hysteresisRatio ?? 0.2;
  const buckets = options.successBuckets ?? DEFAULT_SUCCESS_BUCKETS;
  const byModel = new Map(stats.map((s) => [s.model, s]));

  // Counted models are re-ordered among the positions they hold; the others stay where they are.
  const slots: number[] = [];
  const standings: Standing[] = [];
  current.forEach((model, index) => {
    const s = byModel.get(model);
    if (s === undefined || s.totalRequests < minSamples) return;
    slots.push(index);
    standings.push({
      model,
      bucket: bucketOf(s.recentSuccessRate ?? 1, buckets),
      latencyMs: s.latencyP50Ms ?? options.expectedLatencyMs?.(model) ?? null,
    });
  });

  for (let swapped = true; swapped; ) {
    swapped = false;
    for (let i = 1; i < standings.length; i++) {
      if (overtakes(standings[i]!, standings[i - 1]!, ratio)) {
        [standings[i - 1], standings[i]] = [standings[i]!, standings[i - 1]!];
        swapped = true;
      }
    }
  }

  const order = [...current];
  slots.forEach((slot, i) => {
    order[slot] = standings[i]!.model;
  });
  const moves: AdaptiveMove[] = [];
  order.forEach((model, to) => {
    const from = current.indexOf(model);
    if (from !== to) moves.push({ model, from, to });
  });
  return { order, changed: moves.length > 0, moves };
}

/** `behind` is clearly better than `ahead`: a better bucket, or the same and more than `ratio` faster. */
function overtakes(behind: Standing, ahead: Standing, ratio: number): boolean {
  if (behind.bucket !== ahead.bucket) return behind.bucket < ahead.bucket;
  if (behind.latencyMs === null) return false;
  if (ahead.latencyMs === null) return true;
  return behind.latencyMs < ahead.latencyMs * (1 - ratio);
}

/** What adaptive ranking needs of a rotor (`createRotor()`'s result has it). */
export interface RankableRotor {
  readonly engine: {
    readonly rotationOrder: readonly string[];
    metrics(): { models: AdaptiveStats[] };
    setRotationOrder(order: readonly string[]): void;
  };
}

export interface AdaptiveRankingOptions extends AdaptiveRankOptions {
  /** How often to re-rank, ms. Default 60 000. */
  intervalMs?: number;
  /** For the time stamp given to `onChange`. Default: `Date.now`. */
  clock?: Pick<Clock, 'now'>;
  /** Called after the rotation order was changed. */
  onChange?: (moves: AdaptiveMove[], change: { atMs: number; order: readonly string[] }) => void;
  /** Called when a tick throws (it never stops the timer). Default: ignore. */
  onError?: (error: unknown) => void;
}

export interface AdaptiveRanking {
  /** Re-rank now; applies and returns the result. The timer calls this every `intervalMs`. */
  tick(): AdaptiveOrder;
  /** Stops the timer. */
  stop(): void;
}

/**
 * Re-ranks the rotor's rotation every `intervalMs` from its own metrics. The timer is `unref`'d,
 * so it never keeps a process alive; call `stop()` on shutdown.
 */
export function startAdaptiveRanking(
  rotor: RankableRotor,
  options: AdaptiveRankingOptions = {},
): AdaptiveRanking {
  const now = options.clock ? () => options.clock!.now() : Date.now;
  const tick = (): AdaptiveOrder => {
    const { engine } = rotor;
    const result = adaptiveOrder(engine.rotationOrder, engine.metrics().models, options);
    if (result.changed) {
      engine.setRotationOrder(result.order);
      options.onChange?.(result.moves, { atMs: now(), order: result.order });
    }
    return result;
  };
  const timer = setInterval(() => {
    try {
      tick();
    } catch (err) {
      options.onError?.(err);
    }
  }, options.intervalMs ?? 60_000);
  timer.unref();
  return { tick, stop: () => clearInterval(timer) };
}
