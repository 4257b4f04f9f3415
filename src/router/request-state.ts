/** One request's decisions so far: what it will not try again, what it saw, what it may still spend. */
import type { RequestNeeds } from '../engine/engine-types.js';
import type { Failure } from '../engine/failure.js';
import type { RotorError } from '../errors.js';
import type { LoopMode } from './chat-run.js';

export interface RequestState {
  /** Candidates, in order. */
  readonly order: readonly string[];
  readonly needs: RequestNeeds;
  /** The body sent upstream (before each model's output clamp). */
  readonly body: Record<string, unknown>;
  readonly mode: LoopMode;
  readonly signal: AbortSignal | undefined;
  readonly deadlineAt: number;
  readonly deadlineMs: number;
  readonly maxAttempts: number;
  /** Models this request will not try again. */
  readonly exclude: Set<string>;
  /** Excluded for a rate limit: they come back, for this request, once their cooldown is over. */
  readonly rateLimitedHere: Set<string>;
  readonly retriedSameModel: Set<string>;
  /** Models sent the request again after their context-length answer taught rotor their limit. */
  readonly resentClamped: Set<string>;
  /** Models sent the request again without the parameters their provider rejected. */
  readonly resentStripped: Set<string>;
  readonly failuresSeen: { rateLimit: number; other: number };
  /** Try this model first next time (a same-model retry or a clamped re-send). */
  retryFirst: string | undefined;
  /** The next attempt re-sends at once (no retry pause). */
  resend: boolean;
  lastFailure: Failure | undefined;
  /** An account-level failure (auth, credits) to report if nothing else answers. */
  terminal: RotorError | undefined;
  /** A request error from one attempt while another was still running: reported if that one fails too. */
  deferred: RotorError | undefined;
  /** Hedges this request may still start. */
  hedgesLeft: number;
  /** Race losers rotor stopped: upstream calls without a verdict, which the attempt cap counts. */
  abandonedCalls: number;
}
