/**
 * Turns one provider's error answer into a `ProviderFailure`: the engine's `Failure` (same kinds,
 * same `rateLimit` scopes, so today's engine can already act on it) plus what only a pooled,
 * multi-provider engine can use — the provider's finer kind (overload vs quota vs too large vs a
 * parameter to strip), the window that is spent and whether it is counted per model or for the
 * whole account. The rules are data (the catalog's `errors`, then `common_errors`); this file only
 * evaluates them and reads the waits. Pure: time comes in as `nowMs`.
 */
import type { Failure, FailureBase, FailureKind, RateLimitScope } from '../engine/failure.js';
import { type HeaderMap, parseRetryAfterMs } from '../upstream/classify.js';
import { redactSecrets } from '../upstream/redact-secrets.js';
import { type ErrorView, readErrorView } from './error-view.js';
import { findGoDurationMs, parseGoDurationMs } from './go-duration.js';
import { headerText } from './header-lookup.js';
import type { ErrorRule, Provider, ProviderCatalog, ProviderErrorKind } from './provider-catalog-schema.js';
import { isLongWindow, type QuotaHolder, type QuotaWindow } from './quota-window.js';
import { limitFor, windowResetAtMs } from './window-reset.js';

/** What the pooled engine needs beyond `Failure`. */
export interface ProviderFailureDetail {
  /** The catalog id of the provider that answered. */
  providerId: string;
  providerKind: ProviderErrorKind;
  /** The spent window (rate limits, too-large requests). */
  window?: QuotaWindow;
  /** Whether that window is counted for one model or the whole provider account. */
  per?: QuotaHolder;
  /** Request parameters to strip or translate (`bad_param`, `unsupported`). */
  params?: string[];
}

export type ProviderFailure = Failure & ProviderFailureDetail;

/** The engine kind nearest to each provider kind (see README: what the engine should add). */
const ENGINE_KIND: Readonly<
  Record<Exclude<ProviderErrorKind, 'rate_limit'>, Exclude<FailureKind, 'rate_limit'>>
> = {
  // Not the account's fault, nor a sign the model is broken: a brief cooldown, no breaker count.
  overloaded: 'overloaded',
  // "Use a model with a bigger budget" is what context_length already means to the engine.
  request_too_large: 'context_length',
  context_length: 'context_length',
  // Rotate without penalty; ideally strip `params` and retry the same provider.
  bad_param: 'unsupported',
  unsupported: 'unsupported',
  request_error: 'request_error',
  model_not_found: 'model_not_found',
  // No free quota for this model on this key: as good as gone.
  no_free_quota: 'model_not_found',
  auth: 'auth',
  // Nothing on this provider will work until the operator fixes it.
  config: 'auth',
  credits: 'credits',
  server_error: 'server_error',
  timeout: 'timeout',
};

/** Client-visible messages are cut to this length. */
const MAX_MESSAGE_CHARS = 500;

/**
 * Classify a provider's non-2xx answer (or an error found in a 200 body or stream: pass its
 * status, 200). `status` is undefined when unknown. `bodyText` may be anything.
 */
export function classifyProviderError(
  catalog: Pick<ProviderCatalog, 'common_errors'>,
  provider: Provider,
  status: number | undefined,
  headers: HeaderMap,
  bodyText: string,
  nowMs: number,
): ProviderFailure {
  const view = readErrorView(bodyText);
  // An error inside a 200 (a stream's `error` event) is judged by the status its body states.
  const ruleStatus =
    status === undefined || (status >= 200 && status < 300) ? (view.bodyStatus ?? status) : status;
  const rule =
    provider.errors.find((r) => ruleMatches(r, ruleStatus, headers, view)) ??
    catalog.common_errors.find((r) => ruleMatches(r, ruleStatus, headers, view));
  const providerKind: ProviderErrorKind = rule?.kind ?? 'server_error';
  const hintMs = waitHintMs(view, headers, nowMs);
  const base: FailureBase = {
    message: clientMessage(view, status),
    ...(status !== undefined ? { status } : {}),
    ...(view.codes[0] !== undefined ? { upstreamCode: view.codes[0] } : {}),
    ...(hintMs !== undefined ? { retryAfterMs: Math.round(hintMs) } : {}),
  };
  const detail: ProviderFailureDetail = { providerId: provider.id, providerKind };

  if (providerKind === 'rate_limit') {
    const window = rule?.window ?? 'requests_unknown';
    const per = rule?.per ?? limitFor(provider, window)?.per ?? 'model';
    const resetAtMs = windowResetAtMs(provider, window, hintMs, nowMs);
    return {
      ...base,
      ...detail,
      kind: 'rate_limit',
      scope: engineScope(window, per),
      window,
      per,
      resetAtMs,
    };
  }
  if (rule?.window !== undefined) detail.window = rule.window;
  if (rule?.per !== undefined) detail.per = rule.per;
  if (providerKind === 'bad_param' || providerKind === 'unsupported') {
    const params = view.rejectedParams.length > 0 ? view.rejectedParams : (rule?.params ?? []);
    if (params.length > 0) detail.params = [...params];
  }
  const kind = ENGINE_KIND[providerKind];
  if (kind === 'timeout') return { ...base, ...detail, kind, phase: 'total' };
  return { ...base, ...detail, kind };
}

/**
 * Today's engine knows three scopes. A model's window maps to `model`; an account's to
 * `account_day` when it lasts hours or more, else `account_minute`.
 */
function engineScope(window: QuotaWindow, per: QuotaHolder): RateLimitScope {
  if (per === 'model') return 'model';
  return isLongWindow(window) ? 'account_day' : 'account_minute';
}

function ruleMatches(
  rule: ErrorRule,
  status: number | undefined,
  headers: HeaderMap,
  view: ErrorView,
): boolean {
  const w = rule.when;
  if (w.status !== undefined && !statusMatches(w.status, status)) return false;
  if (w.code !== undefined) {
    const wanted = Array.isArray(w.code) ? w.code : [w.code];
    if (!view.codes.some((c) => wanted.includes(c))) return false;
  }
  if (w.type !== undefined && view.type !== w.type) return false;
  if (w.param !== undefined && view.param !== w.param) return false;
  if (w.text !== undefined && !new RegExp(w.text, 'i').test(view.text)) return false;
  if (w.quota_id !== undefined) {
    const re = new RegExp(w.quota_id, 'i');
    if (!view.quotaIds.some((id) => re.test(id))) return false;
  }
  if (w.headers !== undefined) {
    for (const [name, pattern] of Object.entries(w.headers)) {
      const value = headerText(headers, name) ?? metaHeader(view, name);
      if (value === undefined || !new RegExp(pattern, 'i').test(value)) return false;
    }
  }
  return true;
}

function statusMatches(want: number | number[] | '4xx' | '5xx', status: number | undefined): boolean {
  if (status === undefined) return false;
  if (want === '4xx') return status >= 400 && status < 500;
  if (want === '5xx') return status >= 500 && status < 600;
  return Array.isArray(want) ? want.includes(status) : want === status;
}

/**
 * The server's own wait, ms, most specific first: the message ("try again in 9m38.016s",
 * "Please retry in 56.5s", "Please wait 85841 seconds"), Gemini's `retryDelay`, then the
 * `Retry-After` and GitHub's `x-ratelimit-timeremaining` headers.
 */
function waitHintMs(view: ErrorView, headers: HeaderMap, nowMs: number): number | undefined {
  const fromMessage =
    findGoDurationMs(view.text, /(?:try again|retry) in/) ??
    secondsIn(/Please wait (\d+(?:\.\d+)?) seconds/i, view.text);
  if (fromMessage !== undefined) return fromMessage;
  if (view.retryDelay !== undefined) {
    const delay = parseGoDurationMs(view.retryDelay);
    if (delay !== undefined) return delay;
  }
  const retryAfter = headerText(headers, 'retry-after') ?? metaHeader(view, 'retry-after');
  const fromRetryAfter = parseRetryAfterMs(retryAfter, nowMs);
  if (fromRetryAfter !== undefined) return fromRetryAfter;
  return secondsIn(/^(\d+(?:\.\d+)?)$/, headerText(headers, 'x-ratelimit-timeremaining') ?? '');
}

function secondsIn(re: RegExp, text: string): number | undefined {
  const m = re.exec(text);
  return m ? Number(m[1]) * 1000 : undefined;
}

function metaHeader(view: ErrorView, name: string): string | undefined {
  return view.metaHeaders ? headerText(view.metaHeaders, name) : undefined;
}

/** The provider's message, secrets and ids removed, bounded; a status line when the body said nothing. */
function clientMessage(view: ErrorView, status: number | undefined): string {
  let msg = view.message.replace(/\s+/g, ' ').trim();
  if (msg === '' || msg.startsWith('<')) msg = `Upstream answered HTTP ${status ?? 'error'}`;
  msg = redactSecrets(msg);
  return msg.length > MAX_MESSAGE_CHARS ? `${msg.slice(0, MAX_MESSAGE_CHARS)}…` : msg;
}
