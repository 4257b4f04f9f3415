/**
 * Options of `createRotor()`, as one zod schema with every default documented. The engine's own
 * options nest under `engine`; this layer adds upstreams, models, timeouts and budgets.
 */
import { z } from 'zod';
import { engineOptionsSchema } from '../engine/engine-options.js';

export const upstreamSchema = z.object({
  /** Name of the upstream; also the quota account its models share. */
  id: z.string().min(1).default('openrouter'),
  /** OpenAI-compatible base URL, up to and including `/v1` (e.g. `https://openrouter.ai/api/v1`). */
  baseUrl: z.url(),
  /** Bearer key. Never logged, echoed or exported. */
  apiKey: z.string().optional(),
  /** OpenRouter attribution: sent as `HTTP-Referer`. */
  referer: z.string().optional(),
  /** OpenRouter attribution: sent as `X-Title`. */
  title: z.string().optional(),
  /** Extra headers for every request to this upstream. */
  headers: z.record(z.string(), z.string()).optional(),
  /**
   * A pooled provider: the id of its entry in the provider catalog (`registry/providers.yaml`),
   * whose rules then apply to this upstream — error classification, quota headers, limits paced
   * per account (the upstream's id), parameters stripped. Absent (OpenRouter as rotor always
   * spoke to it): none of these.
   */
  provider: z.string().min(1).optional(),
});

export const modelSchema = z.object({
  id: z.string().min(1),
  /** Which upstream serves it (default: the first). */
  upstream: z.string().optional(),
  /**
   * The id the upstream knows it by. Default: the id, minus a leading `<upstream>:` (a pooled
   * provider's pair `groq:llama-3.1-8b-instant` is `llama-3.1-8b-instant` at Groq).
   */
  upstreamId: z.string().min(1).optional(),
  /** Counts against the account's free quota (default: id ends with `:free`). */
  free: z.boolean().optional(),
  /** Context window, tokens. */
  contextLength: z.number().int().positive().optional(),
  /** Longest answer, tokens: a client's `max_tokens` above it is lowered for this model. */
  maxOutputTokens: z.number().int().positive().optional(),
  /** Expected latency of a short answer, ms (the registry's `expected_latency_ms`): the hedge delay's prior. */
  expectedLatencyMs: z.number().positive().optional(),
  tools: z.boolean().optional(),
  vision: z.boolean().optional(),
  systemPrompt: z.boolean().optional(),
});

export const timeoutsSchema = z.object({
  /** TCP/TLS connect, ms. */
  connectMs: z.number().int().positive().default(10_000),
  /** From sending the request to the first data chunk (keep-alive comments do not count), ms. */
  firstTokenMs: z.number().int().positive().default(30_000),
  /** Longest silence between two chunks once streaming, ms. */
  idleMs: z.number().int().positive().default(30_000),
});

/**
 * The retry budget (Finagle-style; see README "Budgets"). Limits *retries* — a same-model retry,
 * or waiting for a model to recover after the request has failed — to `percentOfRequests` % of
 * client requests plus `minRetriesPerSecond`, over a sliding `windowMs`. Failover to another
 * available model is not a retry and never asks it. `enabled: false` allows every retry.
 */
export const retryBudgetSchema = z.strictObject({
  /** Retries as a share of client requests in the window, percent. Default 20. */
  percentOfRequests: z.number().min(0).max(1000).default(20),
  /** Retries always allowed per second, whatever the traffic. Default 10. */
  minRetriesPerSecond: z.number().min(0).default(10),
  /** How long a request's deposit counts, ms (whole seconds). Default 10,000. */
  windowMs: z.number().int().min(1000).max(600_000).default(10_000),
  /** Default true. */
  enabled: z.boolean().default(true),
});

/**
 * Hedged first token (see README "Hedging"). When an attempt has shown no content after its
 * model's hedge delay, the same request starts on the next available model; the first to deliver
 * content wins, the other is cancelled. The delay is learned per model from its time to first
 * token; hedges are bounded per request, by share of all attempts, and by quota left.
 */
export const hedgingSchema = z.strictObject({
  /** Default true. */
  enabled: z.boolean().default(true),
  /** Hedges one request may start. Default 1. */
  maxPerRequest: z.number().int().min(0).max(5).default(1),
  /** Hedged attempts as a share of all upstream attempts over `shareWindowMs`, 0..1. Default 0.1. */
  maxShare: z.number().min(0).max(1).default(0.1),
  /**
   * The window of that share, ms (whole seconds). Default 600,000 (10 min): long enough that a
   * quiet gateway's slow minutes can use the share its quick ones left (the tail benchmark: with a
   * 1-minute window most slow attempts found the share spent).
   */
  shareWindowMs: z.number().int().min(1000).max(3_600_000).default(600_000),
  /** Shortest hedge delay, ms. Default 2,000. */
  minDelayMs: z.number().int().min(0).default(2_000),
  /** Longest hedge delay (also the delay of a model rotor knows nothing about), ms. Default 10,000. */
  maxDelayMs: z.number().int().min(0).default(10_000),
  /** The delay is the model's observed time-to-first-token p95 × this. Default 1.5. */
  p95Margin: z.number().min(1).default(1.5),
  /** First-token samples needed before the p95 is trusted; before that, the registry's expected latency × margin. Default 20. */
  minSamples: z.number().int().min(1).default(20),
  /** No hedge onto a model with less than this share of its quota left (a free account's minute or day, a pooled provider's tightest window), 0..1. Default 0.2. */
  minQuotaLeft: z.number().min(0).max(1).default(0.2),
});

/** What happens to a stream that breaks after content reached the client (see README "Streaming"). */
export const streamingSchema = z.strictObject({
  /**
   * Ask the next model to continue the partial text (assistant prefill) and splice its answer into
   * the same stream. Plain text only, never inside a tool call. Default false: the stream ends with
   * an in-band error.
   */
  continueAfterCut: z.boolean().default(false),
});

export const rotorOptionsSchema = z.object({
  /** Upstreams, OpenRouter first. Default: OpenRouter's public API (with no key). */
  upstreams: z
    .array(upstreamSchema)
    .min(1)
    .default([{ id: 'openrouter', baseUrl: 'https://openrouter.ai/api/v1' }]),
  /** Known models and their abilities. Models only named in the rotation are assumed capable. */
  models: z.array(modelSchema).default([]),
  /** Rotation order, primary first. Default: the engine's `rotationOrder` (seed defaults if unset there). */
  rotation: z.array(z.string().min(1)).optional(),
  engine: engineOptionsSchema.default(engineOptionsSchema.parse({})),
  timeouts: timeoutsSchema.default(timeoutsSchema.parse({})),
  /** Deadline covering every attempt and wait of one request, ms; callers may shorten it. */
  deadlineMs: z.number().int().positive().default(120_000),
  /** Longest a request waits for a model (or the account quota) to become available, ms. */
  maxQueueWaitMs: z.number().int().min(0).default(60_000),
  /** While candidates are only busy (probe or slow-start slots), poll this often, ms. */
  busyPollMs: z.number().int().positive().default(50),
  /** One same-model retry after a first transient error (5xx, reset), after about this long, ms (±20 %). */
  sameModelRetryDelayMs: z.number().int().min(0).default(250),
  /** The retry budget (see `retryBudgetSchema`). */
  retryBudget: retryBudgetSchema.default(retryBudgetSchema.parse({})),
  /** Hedged first token (see `hedgingSchema`). */
  hedging: hedgingSchema.default(hedgingSchema.parse({})),
  /** Cut streams (see `streamingSchema`). */
  streaming: streamingSchema.default(streamingSchema.parse({})),
});

export type RotorOptionsInput = z.input<typeof rotorOptionsSchema>;
export type RotorOptions = z.output<typeof rotorOptionsSchema>;
export type UpstreamOptions = z.output<typeof upstreamSchema>;
export type ModelOptions = z.output<typeof modelSchema>;
export type HedgingOptions = z.output<typeof hedgingSchema>;
export type TimeoutsOptions = z.output<typeof timeoutsSchema>;
