/**
 * The seed's retry schedule as pure functions: `delay(n) = min(maxDelayMs, baseDelayMs · exponentialBase^n)`,
 * with ±`jitterRatio` jitter when on (the band never exceeds the cap). Randomness comes in as an argument.
 */
import type { Random } from './random.js';

export interface RetryOptions {
  /** Retries after the first attempt (seed: 5, so at most 6 attempts). */
  maxRetries: number;
  /** Delay for n = 0, ms (seed: 1000). */
  baseDelayMs: number;
  /** Upper bound of any computed delay, ms (seed: 60000). */
  maxDelayMs: number;
  /** Growth factor per step (seed: 2). */
  exponentialBase: number;
  /** Whether to spread delays by ±jitterRatio (seed: true). */
  jitter: boolean;
  /** Half-width of the jitter band as a fraction of the delay (seed: 0.2, i.e. ±20 %). */
  jitterRatio: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxRetries: 5,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  exponentialBase: 2,
  jitter: true,
  jitterRatio: 0.2,
};

/** The un-jittered delay for step `n` (0-based), capped at `maxDelayMs`. */
export function nominalDelayMs(n: number, options: RetryOptions): number {
  const step = Math.max(0, Math.floor(n));
  const raw = options.baseDelayMs * options.exponentialBase ** step;
  return Math.min(options.maxDelayMs, Number.isFinite(raw) ? raw : options.maxDelayMs);
}

/** The jitter band `[low, high]` for step `n`; `high` never exceeds `maxDelayMs`. */
export function delayBandMs(n: number, options: RetryOptions): [number, number] {
  const nominal = nominalDelayMs(n, options);
  if (!options.jitter) return [nominal, nominal];
  return [
    nominal * (1 - options.jitterRatio),
    Math.min(options.maxDelayMs, nominal * (1 + options.jitterRatio)),
  ];
}

/** The delay for step `n` (0-based), jittered inside its band. */
export function backoffDelayMs(n: number, options: RetryOptions, random: Random): number {
  const [low, high] = delayBandMs(n, options);
  if (low === high) return low;
  return Math.round(low + (high - low) * random());
}

/**
 * A server's hint wins over the computed delay, but is capped: a reset time (absolute, epoch ms)
 * first, else a relative Retry-After. Returns undefined when there is no usable hint.
 */
export function hintedDelayMs(
  hints: { resetAtMs?: number | undefined; retryAfterMs?: number | undefined },
  nowMs: number,
  capMs: number,
): number | undefined {
  if (hints.resetAtMs !== undefined && hints.resetAtMs > nowMs)
    return Math.min(capMs, hints.resetAtMs - nowMs);
  if (hints.retryAfterMs !== undefined && hints.retryAfterMs >= 0) return Math.min(capMs, hints.retryAfterMs);
  return undefined;
}
