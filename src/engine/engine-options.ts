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

export const breakerOptionsSchema = z.object({
  /** Open time for the first opening, ms; multiplied by the number of times opened (Envoy: 30 s). */
  openBaseMs: z.number().min(0).default(30_000),
  /** Cap of the open time, ms (Envoy: 300 s). */
  maxOpenMs: z.number().min(0).default(300_000),
  /** Probe requests admitted at once while half-open (Resilience4j: a fixed number of permits). */
  halfOpenMaxProbes: z.number().int().min(1).default(1),
  /** Closed this long without re-opening, the "times opened" count starts again from zero, ms. */
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
