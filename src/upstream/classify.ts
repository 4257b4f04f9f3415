/**
 * Turns an upstream's error answer into one `Failure` (see docs/design.md).
 * Pure: no I/O, time comes in as `nowMs`. The four kinds of 429 need opposite reactions
 * (hold the whole account vs. rotate at once), so the scope is read from the message, and
 * reset hints are read from real headers and from `error.metadata.headers` alike.
 */
import type { Failure, FailureBase, RateLimitScope } from '../engine/failure.js';
import { redactSecrets } from './redact-secrets.js';

/** Response headers as undici returns them (lower-case names) or as any record (matched case-insensitively). */
export type HeaderMap = Readonly<Record<string, string | string[] | undefined>>;

const NO_HEADERS: HeaderMap = {};
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Client-visible messages are cut to this length. */
const MAX_MESSAGE_CHARS = 500;

/** Classify a non-2xx HTTP answer. `bodyText` may be anything (JSON, HTML, empty). */
export function classifyHttpError(
  status: number,
  headers: HeaderMap,
  bodyText: string,
  nowMs: number,
): Failure {
  const body = tryParseJson(bodyText);
  const info = readErrorInfo(body);
  if (!info) {
    return classifyStatus(status, status, emptyInfo(nonJsonMessage(status, bodyText)), headers, nowMs);
  }
  return classifyStatus(status, status, info, headers, nowMs);
}

/**
 * Classify an error carried inside a 2xx body or a stream chunk: an `error` object (its `code`
 * a number such as 429 or a string such as `"server_error"`), or a choice that ended with
 * `finish_reason: "error"`. Returns `undefined` when `obj` carries no error at all.
 * `status` is the HTTP status the object arrived with (200 for a stream).
 */
export function classifyBodyError(obj: unknown, status = 200, nowMs: number): Failure | undefined {
  const info = readErrorInfo(obj);
  if (info) {
    const effective = effectiveStatus(info.code, info.errorType);
    return classifyStatus(effective, status, info, NO_HEADERS, nowMs);
  }
  if (hasErrorFinish(obj)) {
    const provider = topLevelProvider(obj);
    return {
      kind: 'server_error',
      status,
      message: 'Upstream ended the generation with finish_reason "error"',
      ...(provider ? { provider } : {}),
    };
  }
  return undefined;
}

/** What an OpenAI/OpenRouter error object tells us, normalised. */
interface ErrorInfo {
  code: number | string | undefined;
  message: string;
  /** `metadata.raw`: the provider's own words (e.g. "... is temporarily rate-limited upstream"). */
  raw: string | undefined;
  errorType: string | undefined;
  limitSource: string | undefined;
  provider: string | undefined;
  metaHeaders: Record<string, unknown> | undefined;
  retryAfterSeconds: number | undefined;
}

function emptyInfo(message: string): ErrorInfo {
  return {
    code: undefined,
    message,
    raw: undefined,
    errorType: undefined,
    limitSource: undefined,
    provider: undefined,
    metaHeaders: undefined,
    retryAfterSeconds: undefined,
  };
}

function readErrorInfo(body: unknown): ErrorInfo | undefined {
  if (!isRecord(body)) return undefined;
  const err = body['error'];
  if (err === undefined || err === null) return undefined;
  if (typeof err === 'string') return { ...emptyInfo(err), provider: topLevelProvider(body) };
  if (!isRecord(err)) return undefined;
  const meta = isRecord(err['metadata']) ? err['metadata'] : undefined;
  const code = err['code'];
  const rawValue = meta?.['raw'];
  const raw =
    typeof rawValue === 'string' ? rawValue : rawValue === undefined ? undefined : safeStringify(rawValue);
  const retryAfter = meta?.['retry_after_seconds'];
  return {
    code: typeof code === 'number' || typeof code === 'string' ? code : undefined,
    message: typeof err['message'] === 'string' ? err['message'] : '',
    raw,
    errorType: stringOr(meta?.['error_type']) ?? stringOr(err['type']),
    limitSource: stringOr(meta?.['limit_source']),
    provider: stringOr(meta?.['provider_name']) ?? topLevelProvider(body),
    metaHeaders: isRecord(meta?.['headers']) ? (meta['headers'] as Record<string, unknown>) : undefined,
    retryAfterSeconds: typeof retryAfter === 'number' && retryAfter >= 0 ? retryAfter : undefined,
  };
}

/**
 * An in-band error has no HTTP status of its own: use its numeric code when it looks like one,
 * else map the string code / `error_type`. Anything unrecognised is a server error.
 */
function effectiveStatus(code: number | string | undefined, errorType: string | undefined): number {
  if (typeof code === 'number' && code >= 400 && code <= 599) return code;
  if (typeof code === 'string' && /^[45]\d\d$/.test(code)) return Number(code);
  for (const name of [code, errorType]) {
    if (typeof name !== 'string') continue;
    const mapped = STATUS_BY_ERROR_NAME[name];
    if (mapped !== undefined) return mapped;
  }
  return 500;
}

const STATUS_BY_ERROR_NAME: Readonly<Record<string, number>> = {
  rate_limit_exceeded: 429,
  rate_limit_error: 429,
  too_many_requests: 429,
  context_length_exceeded: 400,
  invalid_request_error: 400,
  content_policy_violation: 403,
  moderation: 403,
  authentication_error: 401,
  invalid_api_key: 401,
  insufficient_quota: 402,
  insufficient_credits: 402,
  model_not_found: 404,
  timeout: 504,
  provider_overloaded: 503,
  provider_unavailable: 502,
  server_error: 500,
};

const CONTEXT_LENGTH =
  /context[_ -]?length|context window|maximum context|prompt is too long|input is too long|reduce the length of the messages/i;

/** The model (or every provider of it) cannot serve this request's features. Rotate without penalty. */
const UNSUPPORTED: readonly RegExp[] = [
  /developer instruction is not enabled/i,
  /system (prompt|message|role|instruction)s? (is |are )?not (supported|enabled|allowed)/i,
  /does not support (system|tools?\b|tool use|tool calling|function calling|images?\b|image input|vision)/i,
  /(tool use|tool calling|function calling|tools) (is |are )?not supported/i,
  // "No endpoints found that support tool use" / "...that support image input" /
  // "...that can handle the requested parameters" / "...matching your data policy":
  // this model cannot serve this request; another may. (Plain "No endpoints found for X" means gone.)
  /no endpoints found (that|matching|which)/i,
  /no allowed providers are available/i,
];

/** A 400 that really means "no such model" (OpenRouter answers 400 for a malformed or unknown id). */
const MODEL_UNKNOWN = /is not a valid model id|model .{0,80}(does not exist|not found)/i;

function classifyStatus(
  status: number,
  reportedStatus: number,
  info: ErrorInfo,
  headers: HeaderMap,
  nowMs: number,
): Failure {
  const base: FailureBase = {
    status: reportedStatus,
    message: clientMessage(info),
    ...(info.code !== undefined ? { upstreamCode: info.code } : {}),
    ...(info.provider ? { provider: info.provider } : {}),
    ...retryAfterHint(headers, info, nowMs),
  };
  if (status === 429) return rateLimitFailure(base, info, headers, nowMs);
  if (status === 401) return { ...base, kind: 'auth' };
  if (status === 402) return { ...base, kind: 'credits' };
  if (status === 408) return { ...base, kind: 'timeout', phase: 'total' };
  if (status === 400 || status === 404 || status === 413 || status === 422) {
    const text = searchText(info);
    if (
      info.code === 'context_length_exceeded' ||
      info.errorType === 'context_length_exceeded' ||
      CONTEXT_LENGTH.test(text)
    ) {
      return { ...base, kind: 'context_length' };
    }
    if (UNSUPPORTED.some((re) => re.test(text))) return { ...base, kind: 'unsupported' };
    if (status === 404 || info.code === 'model_not_found' || MODEL_UNKNOWN.test(text)) {
      return { ...base, kind: 'model_not_found' };
    }
    return { ...base, kind: 'request_error' };
  }
  if (status === 403) return { ...base, kind: 'request_error' };
  return { ...base, kind: 'server_error' };
}

/**
 * The scope decides between "hold the whole account" and "rotate at once". OpenRouter labels
 * its account-wide limits (`free-models-per-day`, `free-models-per-min`); everything else —
 * a model cap (`limit_rpm/…`, `limit_rpd/…`), an exhausted provider pool ("Provider returned
 * error" / "temporarily rate-limited upstream") and the bare generic "Rate limit exceeded" —
 * is treated as the model's. For the generic body that is the safe, cheap reaction: rotating
 * costs one attempt, while wrongly blocking the account would stall every request until a
 * reset we do not even know.
 */
function rateLimitFailure(base: FailureBase, info: ErrorInfo, headers: HeaderMap, nowMs: number): Failure {
  const text = searchText(info);
  const source = info.limitSource ?? '';
  let scope: RateLimitScope = 'model';
  if (/free-models-per-day/i.test(text) || /daily|per_day/i.test(source)) scope = 'account_day';
  else if (/free-models-per-min/i.test(text) || /minute|per_min/i.test(source)) scope = 'account_minute';

  let resetAtMs = parseResetMs(headerValue(headers, info.metaHeaders, 'x-ratelimit-reset'));
  // A reset already past is stale (clock skew, a replayed body): never act on it. Account limits
  // reset on known boundaries, so fall back to those; a model's own cap has no such boundary.
  if (resetAtMs !== undefined && resetAtMs <= nowMs) resetAtMs = undefined;
  if (resetAtMs === undefined) {
    if (scope === 'account_minute') resetAtMs = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    else if (scope === 'account_day') resetAtMs = Math.floor(nowMs / DAY_MS) * DAY_MS + DAY_MS;
  }
  return { ...base, kind: 'rate_limit', scope, ...(resetAtMs !== undefined ? { resetAtMs } : {}) };
}

/** `Retry-After` (seconds or HTTP date) from the real header, then `metadata.headers`, then `metadata.retry_after_seconds`. */
function retryAfterHint(headers: HeaderMap, info: ErrorInfo, nowMs: number): { retryAfterMs?: number } {
  const fromHeader = parseRetryAfterMs(headerValue(headers, info.metaHeaders, 'retry-after'), nowMs);
  if (fromHeader !== undefined) return { retryAfterMs: fromHeader };
  if (info.retryAfterSeconds !== undefined)
    return { retryAfterMs: Math.round(info.retryAfterSeconds * 1000) };
  return {};
}

/** Real header first, then the copy OpenRouter puts in `error.metadata.headers`. Names match case-insensitively. */
function headerValue(
  headers: HeaderMap,
  metaHeaders: Record<string, unknown> | undefined,
  lowerName: string,
): string | undefined {
  const real = findCaseInsensitive(headers, lowerName);
  const realValue = Array.isArray(real) ? real[0] : real;
  if (typeof realValue === 'string' && realValue.trim() !== '') return realValue;
  if (!metaHeaders) return undefined;
  const meta = findCaseInsensitive(metaHeaders, lowerName);
  if (typeof meta === 'string' && meta.trim() !== '') return meta;
  if (typeof meta === 'number') return String(meta);
  return undefined;
}

function findCaseInsensitive(record: Readonly<Record<string, unknown>>, lowerName: string): unknown {
  const direct = record[lowerName];
  if (direct !== undefined) return direct;
  for (const key of Object.keys(record)) {
    if (key.toLowerCase() === lowerName) return record[key];
  }
  return undefined;
}

/**
 * `X-RateLimit-Reset` is epoch milliseconds on OpenRouter. Defensively accept epoch seconds
 * (other providers) and ignore small numbers, which would be relative and are not documented.
 */
export function parseResetMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.trim());
  if (!Number.isFinite(n)) return undefined;
  if (n >= 1e12) return Math.round(n);
  if (n >= 1e9) return Math.round(n * 1000);
  return undefined;
}

/** `Retry-After: 17` or `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`; a date already past is ignored. */
export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const dateMs = Date.parse(v);
  if (Number.isNaN(dateMs) || dateMs <= nowMs) return undefined;
  return dateMs - nowMs;
}

/** Everything the rules look at: message, the provider's raw words, typed error name. */
function searchText(info: ErrorInfo): string {
  let s = info.message;
  if (info.raw) s += ` ${info.raw}`;
  if (info.errorType) s += ` ${info.errorType}`;
  if (typeof info.code === 'string') s += ` ${info.code}`;
  return s;
}

/**
 * The upstream's message, plus the provider's raw words when OpenRouter only says
 * "Provider returned error"; secrets and user ids removed; bounded in length.
 */
function clientMessage(info: ErrorInfo): string {
  let msg = info.message.trim() || 'Upstream error';
  const raw = info.raw?.trim();
  if (raw && !msg.includes(raw)) msg = `${msg}: ${raw}`;
  msg = redactSecrets(msg);
  return msg.length > MAX_MESSAGE_CHARS ? `${msg.slice(0, MAX_MESSAGE_CHARS)}…` : msg;
}

/** Non-JSON bodies: keep a short plain-text snippet (not HTML pages) so operators see what happened. */
function nonJsonMessage(status: number, bodyText: string): string {
  const text = bodyText.trim().replace(/\s+/g, ' ');
  if (text === '' || text.startsWith('<')) return `Upstream answered HTTP ${status}`;
  return `Upstream answered HTTP ${status}: ${text.slice(0, 200)}`;
}

function hasErrorFinish(obj: unknown): boolean {
  if (!isRecord(obj) || !Array.isArray(obj['choices'])) return false;
  for (const c of obj['choices']) if (isRecord(c) && c['finish_reason'] === 'error') return true;
  return false;
}

function topLevelProvider(obj: unknown): string | undefined {
  return isRecord(obj) ? stringOr(obj['provider']) : undefined;
}

function tryParseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function safeStringify(v: unknown): string | undefined {
  try {
    return JSON.stringify(v);
  } catch {
    return undefined;
  }
}

function stringOr(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
