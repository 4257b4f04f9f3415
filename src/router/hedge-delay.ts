/**
 * How long an attempt may stay without content before rotor hedges it: the model's observed
 * time-to-first-token p95 × a margin, kept within [minDelayMs, maxDelayMs]. Until the model has
 * enough samples, the registry's expected latency × the margin stands in; a model rotor knows
 * nothing about gets the longest delay (hedges cost quota; no reason to spend it on a guess).
 */
import type { RotationEngine } from '../engine/rotation-engine.js';
import type { HedgingOptions } from './rotor-options.js';

export interface HedgeDelayInput {
  /** First-token samples the p95 rests on. */
  samples: number;
  ttftP95Ms: number | undefined;
  /** The registry's expected latency of a short answer, ms. */
  expectedLatencyMs: number | undefined;
}

export type HedgeDelayOptions = Pick<
  HedgingOptions,
  'minDelayMs' | 'maxDelayMs' | 'p95Margin' | 'minSamples'
>;

export function hedgeDelayMs(input: HedgeDelayInput, o: HedgeDelayOptions): number {
  const basis =
    input.samples >= o.minSamples && input.ttftP95Ms !== undefined
      ? input.ttftP95Ms
      : input.expectedLatencyMs;
  if (basis === undefined) return o.maxDelayMs;
  return Math.round(Math.min(o.maxDelayMs, Math.max(o.minDelayMs, basis * o.p95Margin)));
}

/** Refresh a model's delay after this many new samples (a p95 sorts the window). */
const REFRESH_EVERY_SAMPLES = 8;

/** Each model's current hedge delay, recomputed as its first-token samples come in. */
export class HedgeDelays {
  private readonly cache = new Map<string, { added: number; delayMs: number }>();

  constructor(
    private readonly engine: RotationEngine,
    private readonly options: HedgeDelayOptions,
  ) {}

  delayMs(model: string): number {
    const { added, kept } = this.engine.ttftSamples(model);
    const cached = this.cache.get(model);
    // Exact while the model is still learning (few samples); then every few samples.
    if (
      cached &&
      (cached.added === added ||
        (kept > this.options.minSamples && added - cached.added < REFRESH_EVERY_SAMPLES))
    )
      return cached.delayMs;
    const delayMs = this.compute(model, kept);
    this.cache.set(model, { added, delayMs });
    return delayMs;
  }

  private compute(model: string, kept: number): number {
    return hedgeDelayMs(
      {
        samples: kept,
        ttftP95Ms: kept >= this.options.minSamples ? this.engine.ttftPercentile(model, 95) : undefined,
        expectedLatencyMs: this.engine.profile(model).expectedLatencyMs,
      },
      this.options,
    );
  }

  /**
   * The delays in force, for status: the cached one where there is one (reading must not refresh
   * the cache — that would change when requests see a new delay), else computed without caching.
   */
  snapshot(models: readonly string[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of models)
      out[m] = this.cache.get(m)?.delayMs ?? this.compute(m, this.engine.ttftSamples(m).kept);
    return out;
  }
}
