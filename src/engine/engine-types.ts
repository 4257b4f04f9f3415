/** The engine's request-facing types: what a model can do, what a request needs, and the lease of an admitted attempt. */
import type { SkipReason } from '../errors.js';
import type { Clock } from './clock.js';
import type { Failure } from './failure.js';
import type { Random } from './random.js';

/** What rotor knows about a model's abilities. Unknown (undefined) abilities are assumed present. */
export interface ModelProfile {
  id: string;
  /** Counts against the account's free-model quota. Default: the id ends with `:free`. */
  free?: boolean;
  /** The upstream account the model is reached through. Default: `defaultAccount`. */
  account?: string;
  /**
   * The id the upstream knows the model by, when it differs from the engine's id (a pooled
   * provider's pair `groq:llama-3.3-70b-versatile` is `llama-3.3-70b-versatile` at Groq).
   */
  upstreamId?: string;
  /** Context window, tokens. */
  contextLength?: number;
  /** Longest answer the model may produce, tokens (OpenRouter: `top_provider.max_completion_tokens`). */
  maxOutputTokens?: number;
  /** Expected latency of a short answer, ms (from the registry): a prior until rotor has measured the model. */
  expectedLatencyMs?: number;
  tools?: boolean;
  vision?: boolean;
  systemPrompt?: boolean;
}

/** What one request needs from a model. */
export interface RequestNeeds {
  tools?: boolean;
  vision?: boolean;
  systemPrompt?: boolean;
  /** Estimated prompt size, tokens. */
  promptTokens?: number;
  /** The answer's ceiling the request asks for (`max_tokens`), tokens: with the prompt, a token window's estimate. */
  outputTokens?: number;
}

export interface AcquireRequest {
  /** Candidates in order; defaults to the engine's rotation order. */
  order?: readonly string[];
  needs?: RequestNeeds;
  /** Models this request must not use again (already failed for it). */
  exclude?: ReadonlySet<string>;
}

export interface AttemptTiming {
  /** Whole attempt duration, ms. */
  latencyMs?: number;
  /** Time to first token, ms. */
  ttftMs?: number;
}

/** An admitted attempt. Settle it exactly once: `succeed`, `fail`, or `release` (no verdict). */
export interface Lease {
  readonly model: string;
  readonly account: string;
  /** Admitted as a half-open probe. */
  readonly isProbe: boolean;
  readonly startedAtMs: number;
  /** The model's episode when the attempt was admitted (see `ModelEntry.epoch`). */
  readonly epoch: number;
  succeed(timing?: AttemptTiming): void;
  fail(failure: Failure, timing?: AttemptTiming): void;
  /**
   * The attempt ended without a verdict on the model: the client's doing (its deadline, its
   * disconnect, a shutdown, a hedge loser). Counted as cancelled; health is left untouched.
   */
  release(): void;
  /**
   * The tokens the attempt really used (`usage.total_tokens`): corrects the estimate it was
   * counted with in the provider's token windows. Call before settling.
   */
  reportUsage(totalTokens: number): void;
  /**
   * The attempt was never sent (e.g. another replica's coordinator refused it): frees the slot and
   * takes back its count against the account's free quota. No verdict, and not a cancellation.
   */
  withdraw(): void;
}

export type Acquisition =
  | { ok: true; lease: Lease; skipped: SkipReason[] }
  | {
      ok: false;
      skipped: SkipReason[];
      /** Earliest time a skipped candidate becomes available, epoch ms; undefined if none will by time alone. */
      retryAtMs?: number;
      /** Some candidate is only busy (probe or slow-start slots taken) and may free up any moment. */
      busy: boolean;
    };

export interface RotationEngineDeps {
  clock?: Clock;
  random?: Random;
}
