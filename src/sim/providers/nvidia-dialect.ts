/**
 * NVIDIA NIM on build.nvidia.com (PROVIDERS.md §6; fixtures in test/fixtures/providers/nvidia/).
 * About 40 requests a minute per account in a rolling window; no quota headers and no
 * `Retry-After` anywhere: a 429 is the bare RFC 7807 `{"status":429,"title":"Too Many Requests"}`.
 * The model list is not an entitlement (listed models answer 404 "Not found for account"), and
 * models served by vLLM without a tool parser refuse `tool_choice: "auto"`.
 */
import { hashString } from '../hash.js';
import {
  openAiError,
  openAiModelList,
  type ProviderDialect,
  response,
  usageCharge,
} from './provider-dialect.js';

function problem(status: number, title: string, detail?: string) {
  return response(status, { status, title, ...(detail === undefined ? {} : { detail }) });
}

/** NVCF function ids look like UUIDs; derive a stable one from the model id. */
function functionId(modelId: string): string {
  const hex = [0, 1, 2, 3].map((i) => hashString(modelId, i).toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function vllmError(status: number, message: string, type = 'BadRequestError') {
  return openAiError(status, message, { type, param: null, code: status });
}

export const nvidiaDialect: ProviderDialect = {
  streamUsage: 'include_usage',
  charge: usageCharge,

  precheck(ctx) {
    if (ctx.request.tool_choice === 'auto' && !ctx.model.autoToolChoice)
      return {
        outcome: 'unsupported',
        response: vllmError(
          400,
          '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
        ),
      };
    return undefined;
  },

  successHeaders: () => ({}),
  rateLimited: () => problem(429, 'Too Many Requests'),

  unauthorized: () => problem(401, 'Unauthorized', 'Authentication failed'),
  badRequest: (message) => vllmError(400, message),
  modelNotFound: (modelId, listed, account) =>
    listed
      ? problem(404, 'Not Found', `Function '${functionId(modelId)}': Not found for account '${account}'`)
      : vllmError(404, `The model \`${modelId}\` does not exist.`, 'NotFoundError'),
  contextLength: (ctx, requested) =>
    vllmError(
      400,
      `This model's maximum context length is ${ctx.model.contextLength} tokens. However, your messages resulted in ${requested} tokens. Please reduce the length of the messages.`,
      'Bad Request',
    ),
  toolsUnsupported: () =>
    vllmError(400, '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'),
  serverError: (status) =>
    problem(
      status,
      status === 500 ? 'Internal Server Error' : status === 502 ? 'Bad Gateway' : 'Service Unavailable',
    ),
  overloaded: () => problem(503, 'Service Unavailable', 'The model is at capacity. Please try again later.'),
  bareRateLimit: () => problem(429, 'Too Many Requests'),
  streamError: (_ctx, message) =>
    `data: ${JSON.stringify({ error: { message, type: 'InternalServerError', code: 500 } })}\n\n`,
  // Four fields and a placeholder `created` (code-search id 54971764721).
  modelsBody: (models) => openAiModelList(models, 735790403),
};
