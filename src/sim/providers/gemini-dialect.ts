/**
 * Google AI Studio's OpenAI-compatible endpoint (PROVIDERS.md §2; fixtures in
 * test/fixtures/providers/gemini/). Errors are Google's `{"error":{code,message,status,details}}`
 * inside a JSON ARRAY. A 429 names its quota in `QuotaFailure.violations[].quotaId`
 * (`…PerMinute…` / `…PerDay…`) with `RetryInfo.retryDelay`; no quota headers at all. Limits count
 * INPUT tokens only. Quirk kept on purpose: a per-day 429 still says "retry in ~20–60 s"
 * (the day really ends at midnight Pacific).
 *
 * The array wraps the native body with its details: the captured compat 429 (page-assist#406) was
 * the bare "Resource has been exhausted", which the `rate_limited` fault reproduces.
 */
import { decimalSeconds } from './duration-text.js';
import { type ChatContext, type ProviderDialect, response, type SimResponse } from './provider-dialect.js';
import type { QuotaRefusal } from './provider-quota.js';

const QUOTA_MESSAGE =
  'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: https://ai.dev/rate-limit. ';
const HELP = {
  '@type': 'type.googleapis.com/google.rpc.Help',
  links: [
    {
      description: 'Learn more about Gemini API quotas',
      url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
    },
  ],
};
const REQUESTS_METRIC = 'generativelanguage.googleapis.com/generate_content_free_tier_requests';
const INPUT_TOKENS_METRIC = 'generativelanguage.googleapis.com/generate_content_free_tier_input_token_count';

/** The quota id Google reports for each window (code-search id 38299555263; Roo-Code#3883). */
const QUOTA_IDS: Readonly<Record<string, string>> = {
  requests_minute: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
  requests_day: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
  tokens_minute: 'GenerateContentInputTokensPerModelPerMinute-FreeTier',
  tokens_day: 'GenerateContentInputTokensPerModelPerDay-FreeTier',
};

/** `[{"error":{…}}]`. */
function googleError(code: number, status: string, message: string, details?: unknown[]): SimResponse {
  return response(code, [{ error: { code, message, status, ...(details ? { details } : {}) } }]);
}

/**
 * The wait Google states: the real one for a minute window; for longer windows a short,
 * misleading 20–60 s, as real per-day 429s say ("retryDelay": "22s").
 */
function statedWaitMs(refusal: QuotaRefusal, nowMs: number): number {
  if (refusal.periodMs <= 60_000) return refusal.waitMs;
  return 20_000 + (Math.floor(nowMs / 1000) % 41) * 1000 + (nowMs % 1000);
}

function quotaId(window: string): string {
  const known = QUOTA_IDS[window];
  if (known) return known;
  const [metric, period] = window.split('_') as [string, string];
  const per = period.charAt(0).toUpperCase() + period.slice(1);
  return metric === 'tokens'
    ? `GenerateContentInputTokensPerModelPer${per}-FreeTier`
    : `GenerateRequestsPer${per}PerProjectPerModel-FreeTier`;
}

function quotaFailure(ctx: ChatContext, window: string, limit: number) {
  return {
    quotaMetric: window.startsWith('tokens_') ? INPUT_TOKENS_METRIC : REQUESTS_METRIC,
    quotaId: quotaId(window),
    quotaDimensions: { location: 'global', model: ctx.model.id },
    quotaValue: String(limit),
  };
}

export const geminiDialect: ProviderDialect = {
  streamUsage: 'include_usage',

  // Gemini's token limits count input tokens only.
  charge: (ctx) => ({
    tokensRequested: ctx.promptTokens,
    tokensCharged: ctx.promptTokens,
    neurons: 0,
    usage: ctx.promptTokens + ctx.completionTokens,
  }),

  precheck(ctx) {
    // 400 INVALID_ARGUMENT "Unknown name …" for OpenAI fields the endpoint does not know (SkyrimNet#77, free-claude-code#542).
    const unknown = ['frequency_penalty', 'top_k', 'reasoning', 'prompt_cache_key', 'google'].filter(
      (field) => ctx.request[field] !== undefined,
    );
    if (unknown.length === 0) return undefined;
    const lines = unknown.map(
      (f) => `Invalid JSON payload received. Unknown name "${f}": Cannot find field.`,
    );
    return {
      outcome: 'bad_param',
      response: googleError(400, 'INVALID_ARGUMENT', lines.join('\n'), [
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          fieldViolations: lines.map((description) => ({ description })),
        },
      ]),
    };
  },

  successHeaders: () => ({}),

  rateLimited(ctx, refusal) {
    const waitMs = statedWaitMs(refusal, ctx.nowMs);
    const violation = quotaFailure(ctx, refusal.window, refusal.limit);
    const message = `${QUOTA_MESSAGE}\n* Quota exceeded for metric: ${violation.quotaMetric}, limit: ${refusal.limit}, model: ${ctx.model.id}\nPlease retry in ${decimalSeconds(waitMs)}s.`;
    return googleError(429, 'RESOURCE_EXHAUSTED', message, [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [violation] },
      HELP,
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${Math.floor(waitMs / 1000)}s` },
    ]);
  },

  noFreeTier(ctx) {
    // Pro models have no free tier: "limit: 0" for both metrics (code-search id 38299555263).
    const waitMs = 20_000 + (ctx.nowMs % 40_000);
    const lines = [INPUT_TOKENS_METRIC, REQUESTS_METRIC, REQUESTS_METRIC, INPUT_TOKENS_METRIC].map(
      (metric) => `* Quota exceeded for metric: ${metric}, limit: 0, model: ${ctx.model.id}`,
    );
    const violations = ['tokens_day', 'requests_day', 'requests_minute', 'tokens_minute'].map((window) => {
      const { quotaValue: _none, ...violation } = quotaFailure(ctx, window, 0);
      return violation;
    });
    return googleError(
      429,
      'RESOURCE_EXHAUSTED',
      `${QUOTA_MESSAGE}\n${lines.join('\n')}\nPlease retry in ${decimalSeconds(waitMs)}s.`,
      [
        HELP,
        { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${Math.floor(waitMs / 1000)}s` },
      ],
    );
  },

  // An invalid key is a 400 INVALID_ARGUMENT with reason API_KEY_INVALID, not a 401.
  unauthorized: () =>
    googleError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'API_KEY_INVALID',
        domain: 'googleapis.com',
        metadata: { service: 'generativelanguage.googleapis.com' },
      },
    ]),
  badRequest: (message) => googleError(400, 'INVALID_ARGUMENT', message),
  modelNotFound: (modelId) =>
    googleError(
      404,
      'NOT_FOUND',
      `models/${modelId} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`,
    ),
  contextLength: (ctx, requested) =>
    googleError(
      400,
      'INVALID_ARGUMENT',
      `The input token count (${requested}) exceeds the maximum number of tokens allowed (${ctx.model.contextLength}).`,
    ),
  toolsUnsupported: (ctx) =>
    googleError(400, 'INVALID_ARGUMENT', `Function calling is not enabled for models/${ctx.model.id}`),
  serverError: (status) =>
    status === 500
      ? googleError(
          500,
          'INTERNAL',
          'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
        )
      : googleError(503, 'UNAVAILABLE', 'The service is currently unavailable.'),
  overloaded: () =>
    googleError(
      503,
      'UNAVAILABLE',
      'This model is currently experiencing high demand. Spikes in demand are usually temporary. Please try again later.',
    ),
  bareRateLimit: () =>
    googleError(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).'),
  streamError: (_ctx, message) =>
    `data: ${JSON.stringify([{ error: { code: 500, message, status: 'INTERNAL' } }])}\n\n`,
  modelsBody: (models) => ({
    object: 'list',
    data: models.map((m) => ({ id: `models/${m.id}`, object: 'model', owned_by: m.ownedBy })),
  }),
};
