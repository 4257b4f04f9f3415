/**
 * Groq (PROVIDERS.md §1; fixtures in test/fixtures/providers/groq/). Limits per organisation and
 * model in continuous buckets; 200s carry `x-ratelimit-*-requests` (the DAY bucket) and
 * `x-ratelimit-*-tokens` (the MINUTE bucket) with Go-duration resets; a 429 names its window in
 * the message — "(RPM)", "(RPD)", "(TPM)", "(TPD)" — with "Please try again in 9m38.016s"; one
 * request larger than the whole TPM budget is a 413.
 */

import { formatGoDuration, wholeSeconds } from './duration-text.js';
import {
  type ChatContext,
  countText,
  openAiError,
  openAiModelList,
  type ProviderDialect,
  remainingText,
  requestedMaxTokens,
  viewOf,
} from './provider-dialect.js';
import type { QuotaRefusal, QuotaView } from './provider-quota.js';

const UPGRADE = 'Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing';

const ABBREVIATION: Readonly<Record<string, string>> = {
  requests_minute: 'requests per minute (RPM)',
  requests_day: 'requests per day (RPD)',
  tokens_minute: 'tokens per minute (TPM)',
  tokens_day: 'tokens per day (TPD)',
};

function windowText(window: string): string {
  const known = ABBREVIATION[window];
  if (known) return known;
  const [metric, period] = window.split('_') as [string, string];
  return `${metric} per ${period} (${metric[0]!.toUpperCase()}P${period[0]!.toUpperCase()})`;
}

/** Tokens Groq checks: the prompt plus the answer the request allows for (else the answer itself). */
function requestedTokens(ctx: ChatContext): number {
  return ctx.promptTokens + (requestedMaxTokens(ctx.request) ?? ctx.completionTokens);
}

function quotaHeaders(quota: readonly QuotaView[], nowMs: number): Record<string, string> {
  const headers: Record<string, string> = {};
  const day = viewOf(quota, 'requests_day');
  if (day) {
    headers['x-ratelimit-limit-requests'] = String(day.limit);
    headers['x-ratelimit-remaining-requests'] = remainingText(day);
    headers['x-ratelimit-reset-requests'] = formatGoDuration(day.resetAtMs - nowMs);
  }
  const tpm = viewOf(quota, 'tokens_minute');
  if (tpm) {
    headers['x-ratelimit-limit-tokens'] = String(tpm.limit);
    headers['x-ratelimit-remaining-tokens'] = remainingText(tpm);
    headers['x-ratelimit-reset-tokens'] = formatGoDuration(tpm.resetAtMs - nowMs);
  }
  return headers;
}

function org(ctx: ChatContext): string {
  return ctx.accountLabel;
}

export const groqDialect: ProviderDialect = {
  streamUsage: 'include_usage',

  charge(ctx) {
    const used = ctx.promptTokens + ctx.completionTokens;
    return { tokensRequested: requestedTokens(ctx), tokensCharged: used, neurons: 0, usage: used };
  },

  precheck(ctx, quota) {
    const max = requestedMaxTokens(ctx.request);
    if (max !== undefined && max > ctx.model.maxCompletionTokens) {
      return {
        outcome: 'bad_param',
        response: openAiError(
          400,
          `\`max_completion_tokens\` must be less than or equal to \`${ctx.model.maxCompletionTokens}\`, the maximum value for \`max_completion_tokens\` is less than the \`context_window\` for this model`,
          { type: 'invalid_request_error', param: 'max_completion_tokens' },
        ),
      };
    }
    const tpm = viewOf(quota, 'tokens_minute');
    const requested = requestedTokens(ctx);
    if (tpm && requested > tpm.limit) {
      const error = openAiError(
        413,
        `Request too large for model \`${ctx.model.id}\` in organization \`${org(ctx)}\` service tier \`on_demand\` on tokens per minute (TPM): Limit ${tpm.limit}, Requested ${requested}, please reduce your message size and try again. ${UPGRADE}`,
        { type: 'tokens', code: 'rate_limit_exceeded' },
      );
      return { outcome: 'request_too_large', response: error };
    }
    return undefined;
  },

  successHeaders: (ctx, quota) => quotaHeaders(quota, ctx.nowMs),

  rateLimited(ctx, refusal: QuotaRefusal, quota) {
    const type = refusal.window.startsWith('tokens_') ? 'tokens' : 'requests';
    const error = openAiError(
      429,
      `Rate limit reached for model \`${ctx.model.id}\` in organization \`${org(ctx)}\` service tier \`on_demand\` on ${windowText(refusal.window)}: Limit ${refusal.limit}, Used ${countText(refusal.used)}, Requested ${refusal.requested}. Please try again in ${formatGoDuration(refusal.waitMs)}. ${UPGRADE}`,
      { type, code: 'rate_limit_exceeded' },
    );
    error.headers = {
      ...quotaHeaders(quota, ctx.nowMs),
      'retry-after': String(wholeSeconds(refusal.waitMs)),
    };
    return error;
  },

  unauthorized: () =>
    openAiError(401, 'Invalid API Key', { type: 'invalid_request_error', code: 'invalid_api_key' }),
  badRequest: (message) => openAiError(400, message, { type: 'invalid_request_error' }),
  modelNotFound: (modelId) =>
    openAiError(404, `The model \`${modelId}\` does not exist or you do not have access to it.`, {
      type: 'invalid_request_error',
      code: 'model_not_found',
    }),
  contextLength: () =>
    openAiError(400, 'Please reduce the length of the messages or completion.', {
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
    }),
  toolsUnsupported: (ctx) =>
    openAiError(400, `model \`${ctx.model.id}\` does not support tool use`, {
      type: 'invalid_request_error',
    }),
  serverError: (status) =>
    openAiError(
      status,
      status === 500 ? 'Internal Server Error' : status === 502 ? 'Bad Gateway' : 'Service Unavailable',
      {
        type: 'internal_server_error',
      },
    ),
  overloaded: () =>
    openAiError(503, 'Service Unavailable: the model is over capacity, please try again later', {
      type: 'internal_server_error',
      code: 'service_unavailable',
    }),
  bareRateLimit: () =>
    openAiError(429, 'Too many requests', { type: 'requests', code: 'rate_limit_exceeded' }),
  // In-band errors arrive as an `error` event with the status in the body (anomalyco/opencode#1018).
  streamError: (_ctx, message) =>
    `event: error\ndata: ${JSON.stringify({ error: { message, type: 'internal_server_error', status_code: 500 } })}\n\n`,
  modelsBody: (models, createdS) =>
    openAiModelList(models, createdS, (m) => ({
      active: true,
      context_window: m.contextLength,
      public_apps: null,
      max_completion_tokens: m.maxCompletionTokens,
    })),
  completionExtras: (ctx) => ({ system_fingerprint: 'fp_sim0000000', x_groq: { id: ctx.requestId } }),
};
