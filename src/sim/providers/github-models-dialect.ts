/**
 * GitHub Models (PROVIDERS.md §5; fixtures in test/fixtures/providers/github-models/). Limits per
 * user and model by rate-limit tier (Low 15/min, 150/day, 5 at once; High 10, 50, 2; DeepSeek-R1
 * 1, 8, 1) in ROLLING windows ("Rate limit of 8 per 86400s … Please wait 85841 seconds"). A 429
 * names its counter in `x-ratelimit-type` and the message, with `x-ratelimit-timeremaining` and
 * `retry-after`. 200s advertise 20,000 requests and 2,000,000 tokens per 60 s, which never bind.
 * Input over the tier's per-request cap is a 413 `tokens_limit_reached`.
 */
import { wholeSeconds } from './duration-text.js';
import { type ProviderDialect, remainingText, response, usageCharge, viewOf } from './provider-dialect.js';
import type { QuotaRefusal } from './provider-quota.js';

function githubError(status: number, code: string, message: string) {
  return response(status, { error: { code, message, details: message } });
}

/** The counter GitHub names for a window (catalog `window_types`). */
function counterType(refusal: QuotaRefusal): string {
  if (refusal.window === 'concurrency') return 'UserConcurrentRequests';
  const day = refusal.periodMs >= 86_400_000;
  if (refusal.per === 'model') return day ? 'UserByModelByDay' : 'UserByModelByMinute';
  return day ? 'UserByDay' : 'UserByMinute';
}

/** `openai/gpt-4.1` → `gpt-4.1`, as GitHub writes the model in its 413 message. */
function shortName(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1);
}

export const githubModelsDialect: ProviderDialect = {
  streamUsage: 'include_usage',
  charge: usageCharge,
  advisoryLimits: [
    { window: 'requests_minute', limit: 20_000 },
    { window: 'tokens_minute', limit: 2_000_000 },
  ],

  precheck(ctx) {
    const cap = ctx.model.maxInputTokens;
    if (cap !== undefined && ctx.promptTokens > cap)
      return {
        outcome: 'request_too_large',
        response: githubError(
          413,
          'tokens_limit_reached',
          `Request body too large for ${shortName(ctx.model.id)} model. Max size: ${cap} tokens.`,
        ),
      };
    return undefined;
  },

  // Advisory figures only (survey 2026-07-26: they did not bind).
  successHeaders(_ctx, _quota, advisory) {
    const headers: Record<string, string> = {};
    const requests = viewOf(advisory, 'requests_minute');
    if (requests) {
      headers['x-ratelimit-limit-requests'] = String(requests.limit);
      headers['x-ratelimit-remaining-requests'] = remainingText(requests);
      headers['x-ratelimit-renewalperiod-requests'] = '60';
    }
    const tokens = viewOf(advisory, 'tokens_minute');
    if (tokens) {
      headers['x-ratelimit-limit-tokens'] = String(tokens.limit);
      headers['x-ratelimit-remaining-tokens'] = remainingText(tokens);
      headers['x-ratelimit-renewalperiod-tokens'] = '60';
    }
    return headers;
  },

  rateLimited(_ctx, refusal) {
    const type = counterType(refusal);
    const waitS = wholeSeconds(refusal.waitMs);
    const message =
      refusal.window === 'concurrency'
        ? `Rate limit of ${refusal.limit} concurrent requests exceeded for ${type}. Please wait ${waitS} seconds before retrying.`
        : `Rate limit of ${refusal.limit} per ${Math.round(refusal.periodMs / 1000)}s exceeded for ${type}. Please wait ${waitS} seconds before retrying.`;
    const body = githubError(429, 'RateLimitReached', message);
    body.headers = {
      'retry-after': String(waitS),
      'x-ratelimit-type': type,
      'x-ratelimit-timeremaining': String(waitS),
      'x-ms-error-code': 'RateLimitReached',
    };
    return body;
  },

  unauthorized: () => githubError(401, 'unauthorized', 'Bad credentials'),
  badRequest: (message) => githubError(400, 'invalid_request_body', message),
  modelNotFound: (modelId) => githubError(400, 'unknown_model', `Unknown model: ${modelId}`),
  contextLength: (ctx, requested) =>
    githubError(
      400,
      'context_length_exceeded',
      `This model's maximum context length is ${ctx.model.contextLength} tokens. However, you requested ${requested} tokens. Please reduce the length of the messages or completion.`,
    ),
  toolsUnsupported: (ctx) =>
    githubError(400, 'unsupported_parameter', `Tools are not supported for model ${ctx.model.id}.`),
  serverError: (status) =>
    githubError(
      status,
      status === 500 ? 'InternalServerError' : 'ServiceUnavailable',
      'The service is temporarily unable to process your request. Please try again later.',
    ),
  overloaded: () =>
    githubError(
      503,
      'ServiceUnavailable',
      'The model is currently overloaded with other requests. Please try again later.',
    ),
  bareRateLimit: () => githubError(429, 'RateLimitReached', 'Rate limit exceeded. Please retry later.'),
  streamError: (_ctx, message) =>
    `data: ${JSON.stringify({ error: { code: 'InternalServerError', message } })}\n\n`,
  // The catalog (`GET /catalog/models`) is a bare array with each model's tier.
  modelsBody: (models) =>
    models.map((m) => ({
      id: m.id,
      name: m.name,
      publisher: m.ownedBy,
      registry: 'azureml',
      summary: `${m.name}, simulated.`,
      rate_limit_tier: m.tier ?? 'low',
      supported_input_modalities: ['text'],
      supported_output_modalities: ['text'],
      tags: [],
      capabilities: m.tools ? ['streaming', 'tool-calling'] : ['streaming'],
      limits: {
        max_input_tokens: m.maxInputTokens ?? m.contextLength,
        max_output_tokens: m.maxCompletionTokens,
      },
      html_url: `https://github.com/marketplace/models/${m.id}`,
      version: '1',
    })),
};
