/**
 * The closed set of ways an upstream attempt can fail, as the engine sees them. The upstream
 * layer classifies every HTTP status, body and stream fault into exactly one of these (see
 * docs/design.md); the engine decides what each means for the model's health.
 */

import type { QuotaWindow } from '../providers/quota-window.js';

/** Who a 429 applies to: one model (its cap or its provider pool), or the whole account. */
export type RateLimitScope = 'model' | 'account_minute' | 'account_day';

/** When a timeout fired: before headers/connection, before the first data chunk, between chunks, or the overall deadline. */
export type TimeoutPhase = 'connect' | 'first_token' | 'idle' | 'total';

export type FailureKind =
  /** 429 of any scope. */
  | 'rate_limit'
  /** 5xx, an error inside a 200, a malformed or truncated stream. Transient; counts against the model. */
  | 'server_error'
  /**
   * The provider is busy (Cerebras `queue_exceeded`, Gemini 503, Mistral "service tier capacity
   * exceeded"): not the account's fault and no sign the model is broken. The (provider, model)
   * pair cools down briefly and the request fails over; no breaker count.
   */
  | 'overloaded'
  /** No answer in time. `phase` says when. A silent model (connect/first_token) is failed over, not retried. */
  | 'timeout'
  /** Connection refused or reset before an answer. Transient; counts against the model. */
  | 'network'
  /** 404 "No endpoints found": the model is gone. Retire it; no penalty otherwise. */
  | 'model_not_found'
  /** 400 context_length_exceeded: try a model with a larger context; no penalty. */
  | 'context_length'
  /** The model cannot serve this request's features (e.g. no system prompt). Rotate; no penalty. */
  | 'unsupported'
  /** 400/403/413/422: the request itself is the problem. Never the model's fault; goes back to the client. */
  | 'request_error'
  /** 401: the key is invalid. No model will work. */
  | 'auth'
  /** 402: not enough credits. */
  | 'credits';

export const FAILURE_KINDS: readonly FailureKind[] = [
  'rate_limit',
  'server_error',
  'overloaded',
  'timeout',
  'network',
  'model_not_found',
  'context_length',
  'unsupported',
  'request_error',
  'auth',
  'credits',
] as const;

/** Hints and context every failure may carry. */
export interface FailureBase {
  /** Human-readable reason, safe to show to clients (no secrets, no user ids). */
  message: string;
  /** HTTP status seen, when there was one (200 for errors inside a 200). */
  status?: number;
  /** The upstream's own error code (`error.code`, number or string), if any. */
  upstreamCode?: number | string;
  /** Absolute time the limit resets, epoch ms (from `X-RateLimit-Reset`). */
  resetAtMs?: number;
  /** Relative wait the server asked for, ms (from `Retry-After` / `retry_after_seconds`). */
  retryAfterMs?: number;
  /** The upstream provider named in the error, if any. */
  provider?: string;
  /** Low-level detail (addresses, library messages) for debugging; never sent to clients. */
  detail?: string;
  /** The catalog provider that answered (pooled providers only; see `src/providers`). */
  providerId?: string;
  /**
   * The provider's finer kind (`classifyProviderError`): e.g. `request_too_large` (kind
   * `context_length`: never retry there) or `bad_param` (kind `unsupported`: strip `params`, resend).
   */
  providerKind?: string;
  /** The quota window spent (rate limits) or exceeded (too-large requests), e.g. `requests_day`. */
  window?: QuotaWindow;
  /** Whether `window` is counted for one model or the whole provider account. */
  per?: 'model' | 'account';
  /** Request parameters the provider rejected (`bad_param`, `unsupported`). */
  params?: string[];
}

export type Failure =
  | (FailureBase & { kind: 'rate_limit'; scope: RateLimitScope })
  | (FailureBase & { kind: 'timeout'; phase: TimeoutPhase })
  | (FailureBase & { kind: Exclude<FailureKind, 'rate_limit' | 'timeout'> });

/** Failures caused by the request, not the model: returned to the caller at once, never retried. */
export function isRequestFault(f: Failure): boolean {
  return f.kind === 'request_error';
}

/**
 * Failures that no other model on the same account can fix (fail fast). An account is one
 * provider's: a spent provider account blocks that provider only, and the request moves on to
 * the next provider.
 */
export function isAccountFault(f: Failure): boolean {
  return f.kind === 'auth' || f.kind === 'credits' || (f.kind === 'rate_limit' && f.scope !== 'model');
}

/** Failures that count against the model's health (consecutive failures, breaker). */
export function isTransientModelFault(f: Failure): boolean {
  return f.kind === 'server_error' || f.kind === 'timeout' || f.kind === 'network';
}
