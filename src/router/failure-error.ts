/**
 * Turns the failure that ended a request into rotor's error hierarchy, so callers (and, through
 * `toWireError`, gateway clients) get one consistent, OpenAI-shaped error.
 */
import type { Failure } from '../engine/failure.js';
import {
  type AttemptRecord,
  AuthenticationError,
  InsufficientCreditsError,
  NoModelAvailableError,
  PayloadTooLargeError,
  PermissionDeniedError,
  RateLimitError,
  type RotorError,
  UpstreamError,
  UpstreamRequestError,
} from '../errors.js';

export function errorForFailure(failure: Failure, attempts: AttemptRecord[], nowMs: number): RotorError {
  const options = { attempts };
  switch (failure.kind) {
    case 'request_error':
      if (failure.status === 403)
        return new PermissionDeniedError(failure.message, { ...options, code: 'moderation' });
      if (failure.status === 413) return new PayloadTooLargeError(failure.message, options);
      return new UpstreamRequestError(failure.message, failure.status ?? 400, {
        ...options,
        code: 'invalid_request',
      });
    case 'context_length':
      if (failure.providerKind === 'request_too_large')
        return new PayloadTooLargeError(
          `The request is larger than the whole token budget of every provider tried: ${failure.message}`,
          { ...options, code: 'request_too_large' },
        );
      return new UpstreamRequestError(
        `The prompt is longer than the context window of every model tried: ${failure.message}`,
        400,
        { ...options, code: 'context_length_exceeded', param: 'messages' },
      );
    case 'unsupported':
      return new UpstreamRequestError(`No model tried supports this request: ${failure.message}`, 400, {
        ...options,
        code: 'unsupported_feature',
      });
    case 'auth':
      return new AuthenticationError(
        'The upstream refused rotor’s API key (401). Check OPENROUTER_API_KEY; no model will work without it.',
        { ...options, code: 'upstream_auth_failed' },
      );
    case 'credits':
      return new InsufficientCreditsError(failure.message, { ...options, code: 'insufficient_credits' });
    case 'overloaded': {
      const retryAfterMs = retryAfter(failure, nowMs) ?? 1000;
      return new NoModelAvailableError(`The provider is overloaded: ${failure.message}`, {
        ...options,
        code: 'upstream_overloaded',
        retryAfterMs,
      });
    }
    case 'rate_limit': {
      // Without a hint, the first backoff step: a 429 always says when to come back.
      const retryAfterMs = retryAfter(failure, nowMs) ?? 1000;
      const quota = failure.scope !== 'model';
      return new RateLimitError(failure.message, {
        ...options,
        code: quota ? 'quota_exhausted' : 'rate_limit_exceeded',
        retryAfterMs,
        ...(quota && failure.scope === 'account_day' ? { shouldRetry: false } : {}),
      });
    }
    default:
      return new UpstreamError(`Every attempt failed; the last with ${failure.kind}: ${failure.message}`, {
        ...options,
        code: 'upstream_failed',
      });
  }
}

function retryAfter(failure: Failure, nowMs: number): number | undefined {
  if (failure.resetAtMs !== undefined && failure.resetAtMs > nowMs) return failure.resetAtMs - nowMs;
  return failure.retryAfterMs;
}
