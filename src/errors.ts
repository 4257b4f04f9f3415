/**
 * One error hierarchy for everything rotor reports to a caller, mapped to one wire shape —
 * OpenAI's `{ "error": { "message", "type", "param", "code" } }` — in exactly one place
 * (`toWireError`). Library callers catch these classes; gateway clients see the wire shape.
 */
import { clip, redact } from './redact.js';

/** Why a model was not tried for a request (reported with 503s and in status). */
export interface SkipReason {
  model: string;
  /** Machine-readable reason, e.g. `cooling_down`, `breaker_open`, `account_blocked`, `lacks_tools`. */
  reason: string;
  /** When the model is expected to become available again, epoch ms, if known. */
  untilMs?: number;
  /** Human-readable detail. */
  detail?: string;
  /** The unavailability comes from a rate limit (the model's own, or its account's quota), not from failures. */
  rateLimit?: boolean;
}

/** One upstream attempt made on behalf of a request. */
export interface AttemptRecord {
  model: string;
  /** `success`, a failure kind, or `cancelled`. */
  outcome: string;
  durationMs: number;
  /** Time to the first content chunk, ms (successful attempts). */
  ttftMs?: number;
  status?: number;
  message?: string;
}

export interface RotorErrorOptions {
  /** OpenAI `error.code` (string), e.g. `rate_limit_exceeded`. */
  code?: string | null;
  /** OpenAI `error.param`: the request field at fault, if any. */
  param?: string | null;
  /** Suggested wait before retrying, ms; becomes the `Retry-After` header (rounded up to seconds). */
  retryAfterMs?: number;
  /**
   * false: a client should not retry this by itself (sent as `x-should-retry: false`, which the
   * official OpenAI and Anthropic SDKs obey) — e.g. the daily quota is spent and resets in hours.
   */
  shouldRetry?: boolean;
  /** Every upstream attempt made before giving up. */
  attempts?: AttemptRecord[];
  /** Why models were skipped, when that explains the error. */
  skipped?: SkipReason[];
  cause?: unknown;
}

export abstract class RotorError extends Error {
  /** HTTP status the gateway answers with. */
  abstract readonly status: number;
  /** OpenAI `error.type`. */
  abstract readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly retryAfterMs: number | undefined;
  readonly shouldRetry: boolean | undefined;
  readonly attempts: AttemptRecord[];
  readonly skipped: SkipReason[];

  constructor(message: string, options: RotorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.retryAfterMs = options.retryAfterMs;
    this.shouldRetry = options.shouldRetry;
    this.attempts = options.attempts ?? [];
    this.skipped = options.skipped ?? [];
  }
}

/** 400: malformed JSON, wrong types, missing fields. */
export class InvalidRequestError extends RotorError {
  readonly status = 400;
  readonly type = 'invalid_request_error';
}

/** An `invalid_request_error` whose status varies: passed through from upstream, or chosen by the HTTP layer. */
abstract class StatusInvalidRequestError extends RotorError {
  readonly type = 'invalid_request_error';
  constructor(
    message: string,
    readonly status: number,
    options: RotorErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** 400 passed through from upstream: the request cannot be served (e.g. context too long for every model). */
export class UpstreamRequestError extends StatusInvalidRequestError {}

/** 401: missing or wrong client key (gateway), or the upstream key was refused. */
export class AuthenticationError extends RotorError {
  readonly status = 401;
  readonly type = 'authentication_error';
}

/** 402: the upstream account lacks credits. */
export class InsufficientCreditsError extends RotorError {
  readonly status = 402;
  readonly type = 'insufficient_quota';
}

/** 403: moderation or guardrail block. */
export class PermissionDeniedError extends RotorError {
  readonly status = 403;
  readonly type = 'permission_error';
}

/** 404: unknown route or model. */
export class NotFoundError extends RotorError {
  readonly status = 404;
  readonly type = 'not_found_error';
}

/** 405: a known path with a method it does not answer; `allow` becomes the `Allow` header. */
export class MethodNotAllowedError extends RotorError {
  readonly status = 405;
  readonly type = 'invalid_request_error';
  readonly allow: string;
  constructor(message: string, options: RotorErrorOptions & { allow: string }) {
    super(message, options);
    this.allow = options.allow;
  }
}

/** 400/408/431: a request the HTTP parser refused (malformed, too slow, headers too large). */
export class HttpProtocolError extends StatusInvalidRequestError {}

/** 413: request body larger than the configured limit. */
export class PayloadTooLargeError extends RotorError {
  readonly status = 413;
  readonly type = 'invalid_request_error';
}

/** 429: the account's quota is spent (per minute or per day); `retryAfterMs` says until when. */
export class RateLimitError extends RotorError {
  readonly status = 429;
  readonly type = 'rate_limit_error';
}

/** 499-style: the caller went away or aborted; no response is owed. */
export class CancelledError extends RotorError {
  readonly status = 499;
  readonly type = 'cancelled';
}

/** 502: upstream failed in a way no fallback could cover within the attempt budget. */
export class UpstreamError extends RotorError {
  readonly status = 502;
  readonly type = 'upstream_error';
}

/** 503: every candidate model is unavailable; `skipped` says why each was passed over. */
export class NoModelAvailableError extends RotorError {
  readonly status = 503;
  readonly type = 'service_unavailable';
}

/** 503 while the gateway drains on shutdown. */
export class ShuttingDownError extends RotorError {
  readonly status = 503;
  readonly type = 'service_unavailable';
}

/** 504: the request's deadline passed before any model answered. */
export class DeadlineExceededError extends RotorError {
  readonly status = 504;
  readonly type = 'timeout';
}

/** The OpenAI-compatible error body. */
export interface WireError {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
    /** rotor's additions, when they explain the error. */
    rotor?: { retry_after_ms?: number; attempts?: AttemptRecord[]; skipped?: SkipReason[] };
  };
}

/** Longest message a client receives: an echoed value must not turn an error into a megabyte. */
const MAX_MESSAGE_CHARS = 2000;

/** Map any thrown value to a status, wire body and headers. The only place this mapping lives. */
export function toWireError(err: unknown): {
  status: number;
  body: WireError;
  headers: Record<string, string>;
} {
  const e = asRotorError(err);
  const headers = retryAfterHeaders(e);
  const extra: NonNullable<WireError['error']['rotor']> = {};
  if (e.retryAfterMs !== undefined) extra.retry_after_ms = Math.round(e.retryAfterMs);
  if (e.attempts.length)
    extra.attempts = e.attempts.map((a) =>
      a.message === undefined ? a : { ...a, message: redact(a.message) },
    );
  if (e.skipped.length) extra.skipped = e.skipped;
  const body: WireError = {
    error: {
      // Redacted here, the one exit of every error: whatever an upstream or a bug put into it.
      message: redact(clip(e.message, MAX_MESSAGE_CHARS)),
      type: e.type,
      param: e.param,
      code: e.code,
      ...(Object.keys(extra).length ? { rotor: extra } : {}),
    },
  };
  return { status: e.status === 499 ? 499 : e.status, body, headers };
}

/** Any thrown value as a member of the hierarchy: what is not a `RotorError` is an internal error. */
export function asRotorError(err: unknown): RotorError {
  return err instanceof RotorError
    ? err
    : new UpstreamError('Internal error in rotor', { code: 'internal_error', cause: err });
}

/**
 * The headers an error brings whatever its wire shape (OpenAI's or Anthropic's): `Retry-After`
 * (whole seconds, at least 1), `x-should-retry: false` when a client should not retry by itself,
 * `Allow` on a 405.
 */
export function retryAfterHeaders(e: RotorError): Record<string, string> {
  const headers: Record<string, string> = {};
  if (e instanceof MethodNotAllowedError) headers.allow = e.allow;
  if (e.retryAfterMs !== undefined)
    headers['retry-after'] = String(Math.max(1, Math.ceil(e.retryAfterMs / 1000)));
  if (e.shouldRetry === false) headers['x-should-retry'] = 'false';
  return headers;
}
