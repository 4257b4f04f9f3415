/**
 * SambaNova Cloud (PROVIDERS.md §7; fixtures in test/fixtures/providers/sambanova/). Per-model
 * requests per minute and per day and 200,000 tokens a day for the account, all ROLLING
 * ("Violated duration_s: 86400, current usage: 196279, limit: 200000"). Errors are the OpenAI
 * envelope plus a top-level `request_id`. Header names are unconfirmed, so none are sent.
 *
 * The captured 429s are all the token-per-day cap; the per-model minute and day refusals use the
 * same wording with their own duration (unconfirmed): the catalog reads any `duration_s: 86400`
 * as the account's token day, as the only evidence says.
 */
import {
  countText,
  openAiError,
  openAiModelList,
  type ProviderDialect,
  usageCharge,
} from './provider-dialect.js';

function sambaError(
  status: number,
  message: string,
  type: string,
  code: string | null,
  param: string | null = null,
) {
  return openAiError(status, message, { type, param, code }, { request_id: 'req_sim0000000000' });
}

export const sambanovaDialect: ProviderDialect = {
  streamUsage: 'include_usage',
  charge: usageCharge,
  successHeaders: () => ({}),

  rateLimited: (_ctx, refusal) =>
    sambaError(
      429,
      `Request would exceed rate limit\nViolated duration_s: ${Math.round(refusal.periodMs / 1000)}, current usage: ${countText(refusal.used)}, limit: ${refusal.limit}`,
      'rate_limit_exceeded',
      'rate_limit_exceeded',
    ),

  unauthorized: () => sambaError(401, 'Invalid API key provided', 'authentication_error', 'invalid_api_key'),
  badRequest: (message) => sambaError(400, message, 'invalid_request_error', 'invalid_type'),
  modelNotFound: (modelId) =>
    sambaError(404, `Model ${modelId} does not exist`, 'invalid_request_error', 'model_not_found', 'model'),
  contextLength: (ctx, requested) =>
    sambaError(
      400,
      `This model's maximum context length is ${ctx.model.contextLength} tokens. However, you requested ${requested} tokens. Please reduce the length of the messages or completion.`,
      'invalid_request_error',
      'context_length_exceeded',
      'messages',
    ),
  toolsUnsupported: (ctx) =>
    sambaError(
      400,
      `Tools are not supported for model ${ctx.model.id}`,
      'invalid_request_error',
      'invalid_type',
      'tools',
    ),
  serverError: (status) =>
    sambaError(
      status,
      status === 503 ? 'Service under maintenance' : 'Internal server error',
      'server_error',
      null,
    ),
  // 504 when the queue is full (docs api-error-codes); wording unconfirmed.
  overloaded: () =>
    sambaError(504, 'The queue is full, please try again later', 'server_error', 'queue_full'),
  bareRateLimit: () => sambaError(429, 'Rate limit exceeded', 'rate_limit_exceeded', 'rate_limit_exceeded'),
  streamError: (_ctx, message) =>
    `data: ${JSON.stringify({ error: { message, type: 'server_error', param: null, code: null } })}\n\n`,
  modelsBody: (models, createdS) =>
    openAiModelList(models, createdS, (m) => ({
      context_length: m.contextLength,
      max_completion_tokens: m.maxCompletionTokens,
    })),
};
