/**
 * Every engine option, with its unit and default, as one zod schema: the schema is the type.
 * Defaults follow the seed (docs/design.md) where it had one, and Envoy/Resilience4j practice elsewhere.
 */
import { z } from 'zod';

export const retryOptionsSchema = z.object({
  /** Retries after the first attempt (seed: 5 → at most 6 attempts per request). */
  maxRetries: z.number().int().min(0).max(100).default(5),
  /** First backoff step, ms. */
  baseDelayMs: z.number().min(0).default(1000),
  /** Cap of any computed backoff, ms. */
  maxDelayMs: z.number().min(0).default(60_000),
  /** Growth factor per step. */
  exponentialBase: z.number().min(1).default(2),
  /** Spread delays by ±jitterRatio. */
  jitter: z.boolean().default(true),
  /** Half-width of the jitter band (0.2 = ±20 %). */
  jitterRatio: z.number().min(0).max(1).default(0.2),
});

/**
 * The breaker and its recovery-probe schedule (see `probe-schedule.ts` and README "Recovery probes"):
 * short open periods while an outage is young, doubling ones after, and a daily probe budget for
 * models that spend the account's free quota.
 */
export const breakerOptionsSchema = z.object({
  /**
   * Open time of each opening while the outage is young, ms (±`retry.jitterRatio`). 20 s keeps a
   * recovered model's wait for its probe under 30 s with jitter and a request every few seconds.
   */
  openBaseMs: z.number().min(0).default(20_000),
  /** How long an outage counts as young (every opening lasts `openBaseMs`), from its first opening, ms. */
  fastProbeForMs: z.number().min(0).default(600_000),
  /** Cap of the open time, ms: past the young phase each failed probe doubles it up to this. */
  maxOpenMs: z.number().min(0).default(600_000),
  /** Open times of a breaker opened by a timeout (a silent model) are this many times longer. */
  timeoutOpenFactor: z.number().min(1).default(2),
  /**
   * Share of the account's daily free-model limit that probes of its `:free` models may spend in a
   * UTC day (0.1 of 50 = 5 probes, of 1000 = 100), the rotation's top models first; at least one.
   */
  probeQuotaShare: z.number().min(0).max(1).default(0.1),
  /** Probe requests admitted at once while half-open (Resilience4j: a fixed number of permits). */
  halfOpenMaxProbes: z.number().int().min(1).default(1),
  /** Closed this long without re-opening, the outage is over: the next opening starts a new one, ms. */
  forgetAfterMs: z.number().min(0).default(600_000),
});

export const slowStartOptionsSchema = z.object({
  /** Ramp a recovered model's admitted concurrency instead of flooding it. */
  enabled: z.boolean().default(true),
  /** Concurrency admitted right after recovery. Doubles on each success. */
  initialConcurrency: z.number().int().min(1).default(1),
  /** Once the ramp reaches this concurrency, the limit is lifted. */
  maxConcurrency: z.number().int().min(1).default(32),
});

export const quotaOptionsSchema = z.object({
  /** Account-wide `:free` requests per minute (OpenRouter: 20). Counted locally; 0 disables local pacing. */
  freeRequestsPerMinute: z.number().int().min(0).default(20),
  /**
   * Account-wide `:free` requests per day (OpenRouter: 50, or 1000 with ≥ 10 credits bought). Unset means
   * unknown: not enforced locally until learned (from `/key` or a daily 429).
   */
  freeRequestsPerDay: z.number().int().min(0).optional(),
});

export const engineOptionsSchema = z.object({
  /** Default rotation order, primary first. */
  rotationOrder: z.array(z.string().min(1)).default([]),
  /** Consecutive transient failures that cool a model down for the backoff delay (seed: 3). */
  maxConsecutiveFailures: z.number().int().min(1).default(3),
  /** Consecutive transient failures that open a model's breaker; opens at ≥ this (seed: 5). */
  circuitBreakerThreshold: z.number().int().min(1).default(5),
  retry: retryOptionsSchema.default(retryOptionsSchema.parse({})),
  breaker: breakerOptionsSchema.default(breakerOptionsSchema.parse({})),
  slowStart: slowStartOptionsSchema.default(slowStartOptionsSchema.parse({})),
  quota: quotaOptionsSchema.default(quotaOptionsSchema.parse({})),
  /** Longest cooldown a model-scoped server hint may impose, ms (protects against absurd reset times). */
  maxModelHintMs: z.number().min(0).default(600_000),
  /** Longest block an account-scoped hint may impose, ms (a day reset is < 24 h away). */
  maxAccountHintMs: z.number().min(0).default(86_400_000),
  /** Outcomes in the sliding success-rate window, per model. */
  successWindowSize: z.number().int().min(1).default(100),
  /** Latency samples kept per model for percentiles. */
  latencyWindowSize: z.number().int().min(1).default(256),
  /** Recent events kept in memory for status and dashboards. */
  eventsKept: z.number().int().min(0).default(200),
  /** Account of models not otherwise described. */
  defaultAccount: z.string().min(1).default('openrouter'),
});

/** Options as callers write them (everything optional). */
export type EngineOptionsInput = z.input<typeof engineOptionsSchema>;
/** Options with every default filled in. */
export type EngineOptions = z.output<typeof engineOptionsSchema>;
export type BreakerOptions = z.output<typeof breakerOptionsSchema>;
export type SlowStartOptions = z.output<typeof slowStartOptionsSchema>;
export type QuotaOptions = z.output<typeof quotaOptionsSchema>;
