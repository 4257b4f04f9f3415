/**
 * Cerebras (PROVIDERS.md §3; fixtures in test/fixtures/providers/cerebras/). Flat error bodies
 * `{message,type,param,code}`; minute/hour/day only in the message words. Limits per model in
 * continuous buckets; tokens are charged at admission as prompt + `max_completion_tokens`
 * (16,384 when the request gives none, capped at the model's output limit), which is what makes a
 * 30K TPM free key admit fewer than two requests a minute. 200s (stream or not) carry the
 * minute/hour/day header set; 429s carry only `retry-after`.
 *
 * Difference kept small on purpose: real 429s say `retry-after: 57`–`60` whatever the wait; the
 * simulator states the true wait of its bucket.
 */
import { decimalSeconds, wholeSeconds } from './duration-text.js';
import {
  openAiModelList,
  type ProviderDialect,
  remainingText,
  requestedMaxTokens,
  response,
  viewOf,
} from './provider-dialect.js';
import type { QuotaView } from './provider-quota.js';

/** What Cerebras reserves for the answer when the request sets no limit (dcdpr/jp PR#1085). */
export const CEREBRAS_DEFAULT_RESERVATION = 16_384;

function flat(status: number, message: string, type: string, param: string | null, code: string | null) {
  return response(status, { message, type, param, code });
}

const PERIODS = ['minute', 'hour', 'day'] as const;

function quotaHeaders(quota: readonly QuotaView[], nowMs: number): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const metric of ['requests', 'tokens'] as const) {
    for (const period of PERIODS) {
      const view = viewOf(quota, `${metric}_${period}`);
      if (!view) continue;
      headers[`x-ratelimit-limit-${metric}-${period}`] = String(view.limit);
      headers[`x-ratelimit-remaining-${metric}-${period}`] = remainingText(view);
    }
  }
  // Resets as decimal seconds, for the two windows Cerebras reports them on.
  const requestsDay = viewOf(quota, 'requests_day');
  if (requestsDay) headers['x-ratelimit-reset-requests-day'] = decimalSeconds(requestsDay.resetAtMs - nowMs);
  const tokensMinute = viewOf(quota, 'tokens_minute');
  if (tokensMinute)
    headers['x-ratelimit-reset-tokens-minute'] = decimalSeconds(tokensMinute.resetAtMs - nowMs);
  return headers;
}

export const cerebrasDialect: ProviderDialect = {
  streamUsage: 'include_usage',

  charge(ctx) {
    const reserved = Math.min(
      requestedMaxTokens(ctx.request) ?? CEREBRAS_DEFAULT_RESERVATION,
      ctx.model.maxCompletionTokens,
    );
    const tokens = ctx.promptTokens + reserved;
    return {
      tokensRequested: tokens,
      tokensCharged: tokens,
      neurons: 0,
      usage: ctx.promptTokens + ctx.completionTokens,
    };
  },

  successHeaders: (ctx, quota) => quotaHeaders(quota, ctx.nowMs),

  rateLimited(_ctx, refusal) {
    const period = refusal.window.slice(refusal.window.indexOf('_') + 1);
    const body = refusal.window.startsWith('tokens_')
      ? flat(
          429,
          `Tokens per ${period} limit exceeded - too many tokens processed.`,
          'too_many_tokens_error',
          'quota',
          'token_quota_exceeded',
        )
      : flat(
          429,
          `Requests per ${period} limit exceeded - too many requests sent.`,
          'too_many_requests_error',
          'quota',
          'request_quota_exceeded',
        );
    body.headers = { 'retry-after': String(wholeSeconds(refusal.waitMs)) };
    return body;
  },

  unauthorized: () => flat(401, 'Wrong API Key', 'invalid_request_error', 'api_key', 'wrong_api_key'),
  badRequest: (message) => flat(400, message, 'invalid_request_error', null, 'wrong_api_format'),
  modelNotFound: () =>
    flat(
      404,
      'Model does not exist or you do not have access to it.',
      'not_found_error',
      'model',
      'model_not_found',
    ),
  contextLength: (ctx, requested) =>
    flat(
      400,
      `Please reduce the length of the messages or completion. Current length is ${requested} while limit is ${ctx.model.contextLength}`,
      'invalid_request_error',
      'messages',
      'context_length_exceeded',
    ),
  toolsUnsupported: (ctx) =>
    flat(
      400,
      `Model ${ctx.model.id} does not support tools.`,
      'invalid_request_error',
      'tools',
      'wrong_api_format',
    ),
  serverError: (status) =>
    flat(
      status,
      status === 500 ? 'Internal server error' : 'Service unavailable',
      'server_error',
      null,
      null,
    ),
  // Provider capacity, not the account's quota; `x-should-retry: false` despite being the most retryable case (survey 2026-07-26).
  overloaded: () => {
    const body = flat(
      429,
      "We're experiencing high traffic right now! Please try again soon.",
      'too_many_requests_error',
      'queue',
      'queue_exceeded',
    );
    body.headers = { 'x-should-retry': 'false' };
    return body;
  },
  bareRateLimit: () =>
    flat(
      429,
      'Too many requests - please slow down.',
      'too_many_requests_error',
      'quota',
      'request_quota_exceeded',
    ),
  streamError: (_ctx, message) =>
    `data: ${JSON.stringify({ error: { message, type: 'server_error', param: null, code: 'internal_error' } })}\n\n`,
  modelsBody: openAiModelList,
  completionExtras: () => ({ system_fingerprint: 'fp_sim0000000' }),
};
