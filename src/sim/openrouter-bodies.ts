/**
 * OpenRouter's response bodies and headers, one builder per kind. Where a real capture exists
 * (test/fixtures/openrouter/errors/*.json) the builder reproduces it field for field, including
 * `user_id` exactly where the capture has one; the tests compare them. Builders without a capture
 * follow docs/design.md and the public reports quoted beside them.
 */
import { hashString } from './hash.js';
import type { WindowRefusal } from './quota-window.js';

/** A complete answer: status, extra headers, JSON body. */
export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

const NO_HEADERS: Record<string, string> = {};

function error(status: number, error: Record<string, unknown>, extra?: Record<string, unknown>): SimResponse {
  return { status, headers: NO_HEADERS, body: { error, ...extra } };
}

/** `X-RateLimit-*` as OpenRouter puts them both in HTTP headers and in `metadata.headers`. */
function rateLimitHeaders(limit: number, resetMs: number): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(limit),
    'X-RateLimit-Remaining': '0',
    'X-RateLimit-Reset': String(resetMs),
  };
}

/** 401 for a missing or empty bearer key. */
export function noAuthCredentials(): SimResponse {
  return error(401, { message: 'No auth credentials found', code: 401 });
}

/** 401 for a key the simulator was told not to accept. */
export function userNotFound(): SimResponse {
  return error(401, { message: 'User not found.', code: 401 });
}

export function badRequest(message: string): SimResponse {
  return error(400, { message, code: 400 });
}

export function notFoundRoute(): SimResponse {
  return error(404, { message: 'Not Found', code: 404 });
}

/** 404 for an unknown or retired model. */
export function noEndpoints(model: string): SimResponse {
  return error(404, { message: `No endpoints found for ${model}.`, code: 404 });
}

/** 404 when the request has `tools` and the model's providers support none. */
export function noToolEndpoints(): SimResponse {
  return error(404, {
    message:
      'No endpoints found that support tool use. To learn more about provider routing, visit: https://openrouter.ai/docs/provider-routing',
    code: 404,
  });
}

/** 429 for the account's `:free` quota, per minute or per day (`429-free-models-per-day.json`). */
export function freeModelsLimit(
  refusal: WindowRefusal,
  account: { hasCredits: boolean; userId: string },
): SimResponse {
  const headers = rateLimitHeaders(refusal.limit, refusal.resetMs);
  let message: string;
  const metadata: Record<string, unknown> = { headers, provider_name: null };
  if (refusal.unit === 'minute') message = 'Rate limit exceeded: free-models-per-min. ';
  else if (!account.hasCredits)
    message =
      'Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day';
  else {
    message = 'Rate limit exceeded: free-models-per-day-high-balance. ';
    metadata.limit_source = 'openrouter_free_tier_daily';
  }
  return {
    status: 429,
    headers,
    body: { error: { message, code: 429, metadata }, user_id: account.userId },
  };
}

/** A stable uuid-shaped id per model, for the `limit_rpm/<slug>/<uuid>` message. */
function capUuid(model: string): string {
  const hex = [0, 1, 2, 3].map((i) => hashString(model, i).toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** 429 for OpenRouter's own cap on one model (`429-model-cap-qwen3-coder.json`). */
export function modelCap(model: string, slug: string, refusal: WindowRefusal): SimResponse {
  const kind = refusal.unit === 'minute' ? 'limit_rpm' : 'limit_rpd';
  const headers = rateLimitHeaders(refusal.limit, refusal.resetMs);
  const message =
    `Rate limit exceeded: ${kind}/${slug}/${capUuid(model)}. High demand for ${model} on OpenRouter - ` +
    `limited to ${refusal.limit} requests per ${refusal.unit}. Please retry shortly.`;
  return {
    status: 429,
    headers,
    body: { error: { message, code: 429, metadata: { headers, provider_name: null } } },
  };
}

/**
 * 429 from the model's exhausted upstream pool (`429-upstream-chutes.json`); with a retry hint,
 * the newer shape with `retry_after_seconds` and `Retry-After` (`429-upstream-venice-retry-after.json`).
 */
export function upstreamRateLimit(
  model: string,
  provider: string,
  userId: string,
  retryAfterSecondsRaw?: number,
): SimResponse {
  const metadata: Record<string, unknown> = {
    raw: `${model} is temporarily rate-limited upstream. Please retry shortly, or add your own key to accumulate your rate limits: https://openrouter.ai/settings/integrations`,
    provider_name: provider,
  };
  let headers = NO_HEADERS;
  if (retryAfterSecondsRaw !== undefined) {
    const seconds = Math.ceil(retryAfterSecondsRaw);
    headers = { 'Retry-After': String(seconds) };
    metadata.is_byok = false;
    metadata.retry_after_seconds = seconds;
    metadata.retry_after_seconds_raw = Math.round(retryAfterSecondsRaw * 1000) / 1000;
    metadata.headers = headers;
  }
  return {
    status: 429,
    headers,
    body: { error: { message: 'Provider returned error', code: 429, metadata }, user_id: userId },
  };
}

/** 429 with the bare documented body (`429-generic-documented.json`). */
export function genericRateLimit(): SimResponse {
  return error(429, {
    code: 429,
    message: 'Rate limit exceeded',
    metadata: { error_type: 'rate_limit_exceeded' },
  });
}

/** 402 (`402-insufficient-credits.json`). */
export function insufficientCredits(
  requestedTokens: number,
  affordableTokens: number,
  userId: string,
): SimResponse {
  return error(
    402,
    {
      message: `This request requires more credits, or fewer max_tokens. You requested up to ${requestedTokens} tokens, but can only afford ${affordableTokens}. To increase, visit https://openrouter.ai/settings/credits and upgrade to a paid account`,
      code: 402,
      metadata: { provider_name: null },
    },
    { user_id: userId },
  );
}

/** 400 when prompt + max_tokens exceed the model's context (wording as OpenRouter returns it). */
export function contextLengthExceeded(
  contextLength: number,
  inputTokens: number,
  outputTokens: number,
): SimResponse {
  return error(400, {
    message: `This endpoint's maximum context length is ${contextLength} tokens. However, you requested about ${inputTokens + outputTokens} tokens (${inputTokens} of text input, ${outputTokens} in the output). Please reduce the length of either one, or use the "middle-out" transform to compress your prompt automatically.`,
    code: 400,
    metadata: { provider_name: null, error_type: 'context_length_exceeded' },
  });
}

/** 403 moderation flag, with `reasons` and `flagged_input` as OpenRouter documents. */
export function moderation(
  model: string,
  provider: string,
  reasons: string[],
  flaggedInput: string,
): SimResponse {
  return error(403, {
    code: 403,
    message: `${model} requires moderation on ${provider}. Your input was flagged for "${reasons.join(', ')}". No credits were charged.`,
    metadata: {
      reasons,
      flagged_input: flaggedInput.slice(0, 100),
      provider_name: provider,
      model_slug: model,
    },
  });
}

/** 500 from OpenRouter itself; 502/503 passed on from the provider. */
export function serverError(status: 500 | 502 | 503, provider: string): SimResponse {
  if (status === 500) return error(500, { message: 'Internal Server Error', code: 500 });
  const [raw, errorType] =
    status === 502
      ? [
          'upstream connect error or disconnect/reset before headers. reset reason: connection termination',
          'provider_unavailable',
        ]
      : ['Service Unavailable: the model is overloaded, please try again later', 'provider_overloaded'];
  return error(status, {
    message: 'Provider returned error',
    code: status,
    metadata: { raw, provider_name: provider, error_type: errorType },
  });
}

/** 400 from Google AI Studio for a system/developer message to a Gemma model. */
export function systemPromptUnsupported(model: string, provider: string): SimResponse {
  const name = model
    .replace(/:free$/, '')
    .split('/')
    .pop();
  const raw = `${JSON.stringify(
    {
      error: {
        code: 400,
        message: `Developer instruction is not enabled for models/${name}`,
        status: 'INVALID_ARGUMENT',
      },
    },
    null,
    2,
  )}\n`;
  return error(400, {
    message: 'Provider returned error',
    code: 400,
    metadata: { raw, provider_name: provider },
  });
}

/** Identity of one generation, shared by its body and all its chunks. */
export interface GenerationMeta {
  id: string;
  model: string;
  provider: string;
  /** Unix seconds. */
  created: number;
}

/** An error object as OpenRouter puts it inside a 200 body or a stream chunk. */
export interface InBandError {
  code: number | string;
  message: string;
  metadata?: Record<string, unknown>;
}

/** HTTP 200 whose body carries an error instead of choices (`200-inband-upstream-429.json`). */
export function errorIn200(meta: GenerationMeta, error: InBandError): Record<string, unknown> {
  return {
    id: meta.id,
    provider: meta.provider,
    model: meta.model,
    object: 'chat.completion',
    created: meta.created,
    choices: null,
    error,
  };
}

/** The chunk that ends a stream with an error (`stream-midstream-error.sse`). */
export function midstreamErrorChunk(meta: GenerationMeta, error: InBandError): Record<string, unknown> {
  return {
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    provider: meta.provider,
    error,
    choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
  };
}

/** `GET /key`: key info with the free-model daily counter. */
export function keyInfo(
  key: string,
  account: {
    hasCredits: boolean;
    enforced?: boolean;
    day: { limit: number; used: number; remaining: number };
  },
): Record<string, unknown> {
  const label = key.length > 14 ? `${key.slice(0, 10)}...${key.slice(-3)}` : key;
  return {
    data: {
      label,
      limit: null,
      limit_remaining: null,
      limit_reset: null,
      include_byok_in_limit: false,
      usage: 0,
      usage_daily: 0,
      usage_weekly: 0,
      usage_monthly: 0,
      byok_usage: 0,
      byok_usage_daily: 0,
      byok_usage_weekly: 0,
      byok_usage_monthly: 0,
      is_free_tier: !account.hasCredits,
      is_provisioning_key: false,
      rate_limit: { requests: -1, interval: '10s', note: 'This field is deprecated and safe to ignore.' },
      // With the simulator's free limits off there is no daily limit to report (usage still counts).
      free_model_daily_requests: {
        limit: account.enforced === false ? null : account.day.limit,
        remaining: account.enforced === false ? null : account.day.remaining,
        used: account.day.used,
      },
    },
  };
}
