/**
 * Why a request ended without an answer, as rotor's error hierarchy: no candidate left, nothing
 * available within the deadline (429 when the account's quota is the cause, else 503), attempts
 * exhausted, deadline passed. Each error carries the attempts made and why models were skipped.
 */
import type { Failure } from '../engine/failure.js';
import {
  type AttemptRecord,
  DeadlineExceededError,
  NoModelAvailableError,
  PayloadTooLargeError,
  RateLimitError,
  type RotorError,
  type SkipReason,
  UpstreamRequestError,
} from '../errors.js';
import { errorForFailure } from './failure-error.js';

const ACCOUNT_REASONS = new Set(['account_blocked', 'account_quota']);
/** Quota windows spent (a pooled provider's per-model window counts too): 429 `quota_exhausted`. */
const QUOTA_REASONS = new Set([...ACCOUNT_REASONS, 'model_quota']);

/** Every candidate is out for good (retired, incapable, already failed for this request). */
export function noCandidate(
  attempts: AttemptRecord[],
  skipped: SkipReason[],
  lastFailure: Failure | undefined,
  terminal: RotorError | undefined,
  nowMs: number,
): RotorError {
  if (terminal) return terminal;
  if (lastFailure) return errorForFailure(lastFailure, attempts, nowMs);
  const options = { attempts: attempts, skipped };
  if (
    skipped.length > 0 &&
    skipped.every((s) => s.reason === 'context_too_small' || s.reason === 'retired')
  ) {
    if (skipped.some((s) => s.reason === 'context_too_small')) {
      return new UpstreamRequestError(
        'The prompt is longer than the context window of every available model',
        400,
        {
          ...options,
          code: 'context_length_exceeded',
          param: 'messages',
        },
      );
    }
  }
  if (
    skipped.some((s) => s.reason === 'budget_too_small') &&
    skipped.every(
      (s) => s.reason === 'budget_too_small' || s.reason === 'context_too_small' || s.reason === 'retired',
    )
  ) {
    return new PayloadTooLargeError(
      'The request is larger than the whole token budget (or context window) of every provider that could serve it',
      { ...options, code: 'request_too_large' },
    );
  }
  const lacks = skipped.filter((s) => s.reason.startsWith('lacks_'));
  if (lacks.length > 0 && skipped.every((s) => s.reason.startsWith('lacks_') || s.reason === 'retired')) {
    const features = [...new Set(lacks.map((s) => s.reason.slice('lacks_'.length).replace('_', ' ')))].join(
      ', ',
    );
    return new UpstreamRequestError(`No model in the rotation supports this request's ${features}`, 400, {
      ...options,
      code: 'unsupported_feature',
    });
  }
  return new NoModelAvailableError(`No model can take this request: ${summarise(skipped)}`, {
    ...options,
    code: 'no_model_available',
  });
}

/**
 * Candidates exist but none frees up in time (or the retry budget refuses the wait): 429 when rate
 * limits are the cause — `quota_exhausted` for the account's quota, `rate_limit_exceeded` for the
 * models' own limits — else 503; `Retry-After` is the earliest recovery. A wait longer than the
 * request's own deadline, or a spent quota, also says `x-should-retry: false`: a client that
 * sleeps out a 19-hour Retry-After by itself is worse off than one that is told.
 */
export function unavailable(
  attempts: AttemptRecord[],
  skipped: SkipReason[],
  retryAfterMs: number,
  nowMs: number,
  deadlineMs: number,
  why = 'for longer than this request can wait',
): RotorError {
  const temporary = skipped.filter((s) => s.untilMs !== undefined);
  const options = { attempts: attempts, skipped, ...retryOptions(retryAfterMs, deadlineMs) };
  if (temporary.length > 0 && temporary.every((s) => QUOTA_REASONS.has(s.reason))) {
    const first = temporary[0]!;
    const resetMs = Math.min(...temporary.map((s) => s.untilMs as number));
    const reset = `${new Date(resetMs).toISOString()} (in ${formatDuration(resetMs - nowMs)})`;
    // With pooled providers, one line per provider account: each detail starts with `<account>: `.
    const details = [...new Set(temporary.map((s) => s.detail ?? s.reason))];
    const accounts = new Set(details.map((d) => d.split(':')[0]));
    const message =
      accounts.size > 1
        ? `Every provider's free quota is spent (${details.join('; ')}); the first resets at ${reset}.`
        : `The upstream account's free-model quota is spent (${first.detail ?? first.reason}); it resets at ${reset}.`;
    // An account's quota (OpenRouter's day, a provider account's window) is spent until its reset:
    // SDKs should not sleep it out. A model's window alone says so only past the deadline.
    const accountSpent = temporary.some((s) => ACCOUNT_REASONS.has(s.reason));
    return new RateLimitError(message, {
      ...options,
      code: 'quota_exhausted',
      ...(accountSpent ? { shouldRetry: false } : {}),
    });
  }
  if (temporary.length > 0 && temporary.every((s) => s.rateLimit)) {
    return new RateLimitError(
      `Every model is rate-limited ${why}: ${summarise(skipped)}. The first is expected back in ${formatDuration(retryAfterMs)}.`,
      { ...options, code: 'rate_limit_exceeded' },
    );
  }
  return new NoModelAvailableError(`Every model is unavailable ${why}: ${summarise(skipped)}`, {
    ...options,
    code: 'no_model_available',
  });
}

/**
 * Every model the request tried failed, and nothing else is left to try: 429 when only rate limits
 * were met (`rate_limit_exceeded`), else 503 (`no_model_available`) — never a bare 502 — with
 * `Retry-After` = the earliest recovery and each model's reason.
 */
export function failedEverywhere(
  attempts: AttemptRecord[],
  skipped: SkipReason[],
  lastFailure: Failure | undefined,
  limits: { byRateLimits: boolean; retryAfterMs: number; deadlineMs: number; why: string },
): RotorError {
  const options = { attempts, skipped, ...retryOptions(limits.retryAfterMs, limits.deadlineMs) };
  const last = lastFailure ? ` Last failure: ${lastFailure.kind}: ${lastFailure.message}` : '';
  if (limits.byRateLimits)
    return new RateLimitError(`Every model tried is rate-limited (${limits.why}).${last}`, {
      ...options,
      code: 'rate_limit_exceeded',
    });
  return new NoModelAvailableError(
    `No model answered (${limits.why}); the models tried are failing.${last}`,
    {
      ...options,
      code: 'no_model_available',
    },
  );
}

/** The earliest time a skipped model is expected back, epoch ms; undefined if none will by time alone. */
export function earliestRecoveryMs(skipped: readonly SkipReason[]): number | undefined {
  let atMs: number | undefined;
  for (const s of skipped) if (s.untilMs !== undefined) atMs = Math.min(atMs ?? s.untilMs, s.untilMs);
  return atMs;
}

/** `Retry-After`, and `x-should-retry: false` when the wait is longer than the request's own deadline. */
function retryOptions(
  retryAfterMs: number,
  deadlineMs: number,
): { retryAfterMs: number; shouldRetry?: false } {
  const ms = Math.max(0, retryAfterMs);
  return ms > deadlineMs ? { retryAfterMs: ms, shouldRetry: false } : { retryAfterMs: ms };
}

export function deadlineError(
  attempts: AttemptRecord[],
  deadlineMs: number,
  lastFailure: Failure | undefined,
): RotorError {
  const last = lastFailure ? ` Last failure: ${lastFailure.kind}: ${lastFailure.message}` : '';
  return new DeadlineExceededError(
    `No model answered within the request deadline of ${deadlineMs} ms.${last}`,
    {
      attempts: attempts,
      code: 'deadline_exceeded',
    },
  );
}

function summarise(skipped: SkipReason[]): string {
  if (skipped.length === 0) return 'no candidates';
  const counts = new Map<string, number>();
  for (const s of skipped) counts.set(s.reason, (counts.get(s.reason) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n} ${reason.replaceAll('_', ' ')}`).join(', ');
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 120) return `${s} s`;
  const m = Math.ceil(s / 60);
  if (m < 120) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
