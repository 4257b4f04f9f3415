/**
 * Ollama Cloud and the local OpenAI-compatible servers (PROVIDERS.md §9–10; fixtures in
 * test/fixtures/providers/ollama/ and llamacpp/).
 *
 * Ollama Cloud's free plan: epoch-aligned 5-hour sessions and a week from Monday 00:00 UTC; its
 * 429 only says which ("…reached your session usage limit…"); the allowance sizes are unknown, so
 * the simulator counts usage in tokens against figures of its own (200,000 a session, 2,000,000 a
 * week). Local servers have no limits and no key; llama.cpp answers for whatever model it loaded
 * and says 503 "Loading model" while busy; Ollama (local) silently truncates an over-long prompt.
 */
import {
  openAiError,
  openAiModelList,
  type ProviderDialect,
  response,
  usageCharge,
} from './provider-dialect.js';

/** The OpenAI envelope Ollama's `/v1` uses: `{"error":{message,type:"api_error",param:null,code:null}}`. */
function ollamaError(status: number, message: string) {
  return openAiError(status, message, { type: 'api_error', param: null, code: null });
}

const USAGE_WORD: Readonly<Record<string, string>> = {
  usage_session: 'session',
  usage_week: 'weekly',
  usage_month: 'monthly',
};

/** The parts every Ollama-style dialect shares. */
const ollamaBase = {
  streamUsage: 'include_usage' as const,
  charge: usageCharge,
  successHeaders: () => ({}),
  unauthorized: () => ollamaError(401, 'unauthorized'),
  badRequest: (message: string) => ollamaError(400, message),
  modelNotFound: (modelId: string) => ollamaError(404, `model "${modelId}" not found, try pulling it first`),
  serverError: (status: 500 | 502 | 503) =>
    ollamaError(status, status === 500 ? 'internal server error' : 'service unavailable'),
  overloaded: () => ollamaError(503, 'server busy, please try again.  maximum pending requests exceeded'),
  streamError: (_ctx: unknown, message: string) =>
    `data: ${JSON.stringify({ error: { message, type: 'api_error' } })}\n\n`,
  modelsBody: openAiModelList,
};

export const ollamaCloudDialect: ProviderDialect = {
  ...ollamaBase,
  rateLimited: (ctx, refusal) =>
    ollamaError(
      429,
      `you (${ctx.accountLabel}) have reached your ${USAGE_WORD[refusal.window] ?? 'usage'} usage limit, upgrade for higher limits: https://ollama.com/upgrade`,
    ),
  contextLength: (ctx, requested) =>
    ollamaError(
      400,
      `prompt too long; exceeded max context length by ${requested - ctx.model.contextLength} tokens`,
    ),
  toolsUnsupported: (ctx) =>
    ollamaError(400, `registry.ollama.ai/library/${ctx.model.id} does not support tools`),
  bareRateLimit: () => ollamaError(429, 'too many requests'),
};

/** Local Ollama: no limits, and an over-long prompt is truncated silently (ollama/ollama#5902), never refused. */
export const ollamaLocalDialect: ProviderDialect = ollamaCloudDialect;

export const llamacppDialect: ProviderDialect = {
  ...ollamaBase,
  rateLimited: () => ollamaError(429, 'too many requests'),
  unauthorized: () => openAiError(401, 'Invalid API Key', { type: 'authentication_error', code: 401 }),
  badRequest: (message) => openAiError(400, message, { type: 'invalid_request_error', code: 400 }),
  modelNotFound: (modelId) =>
    openAiError(404, `model '${modelId}' not found`, { type: 'not_found_error', code: 404 }),
  // 2026 wording (oobabooga/textgen#7257 shows the 2025 one).
  contextLength: (ctx, requested) =>
    response(400, {
      error: {
        code: 400,
        message: `request (${requested} tokens) exceeds the available context size (${ctx.model.contextLength} tokens), try increasing it`,
        type: 'exceed_context_size_error',
        n_prompt_tokens: ctx.promptTokens,
        n_ctx: ctx.model.contextLength,
      },
    }),
  toolsUnsupported: () =>
    openAiError(400, 'tools param requires --jinja flag', { type: 'invalid_request_error', code: 400 }),
  serverError: (status) =>
    openAiError(status, 'Internal Server Error', { type: 'server_error', code: status }),
  overloaded: () => openAiError(503, 'Loading model', { type: 'unavailable_error', code: 503 }),
  bareRateLimit: () => openAiError(429, 'too many requests', { type: 'unavailable_error', code: 429 }),
  streamError: (_ctx, message) =>
    `data: ${JSON.stringify({ error: { code: 500, message, type: 'server_error' } })}\n\n`,
};

/** vLLM's OpenAI server: `{"object":"error",message,type,param,code}`. */
function vllmError(status: number, message: string, type: string) {
  return response(status, { object: 'error', message, type, param: null, code: status });
}

export const vllmDialect: ProviderDialect = {
  ...ollamaBase,
  rateLimited: () => vllmError(429, 'Too many requests', 'TooManyRequests'),
  unauthorized: () => response(401, { error: 'Unauthorized' }),
  badRequest: (message) => vllmError(400, message, 'BadRequestError'),
  modelNotFound: (modelId) => vllmError(404, `The model \`${modelId}\` does not exist.`, 'NotFoundError'),
  contextLength: (ctx, requested) =>
    vllmError(
      400,
      `This model's maximum context length is ${ctx.model.contextLength} tokens. However, you requested ${requested} tokens. Please reduce the length of the messages or completion.`,
      'BadRequestError',
    ),
  toolsUnsupported: () =>
    vllmError(
      400,
      '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
      'BadRequestError',
    ),
  serverError: (status) => vllmError(status, 'Internal Server Error', 'InternalServerError'),
  overloaded: () =>
    vllmError(503, 'The server is overloaded, please try again later', 'ServiceUnavailableError'),
  bareRateLimit: () => vllmError(429, 'Too many requests', 'TooManyRequests'),
};

export const lmstudioDialect: ProviderDialect = {
  ...ollamaBase,
  rateLimited: () => response(429, { error: 'Too many requests' }),
  unauthorized: () => response(401, { error: 'Unauthorized' }),
  badRequest: (message) => response(400, { error: message }),
  modelNotFound: (modelId) => response(404, { error: `Model "${modelId}" not found. Please load it first.` }),
  contextLength: (ctx, requested) =>
    response(400, {
      error: `The number of tokens to keep from the initial prompt is greater than the context length (${requested} > ${ctx.model.contextLength})`,
    }),
  toolsUnsupported: (ctx) => response(400, { error: `${ctx.model.id} does not support tools` }),
  serverError: (status) => response(status, { error: 'Internal server error' }),
  overloaded: () => response(503, { error: 'Model is loading' }),
  bareRateLimit: () => response(429, { error: 'Too many requests' }),
};
