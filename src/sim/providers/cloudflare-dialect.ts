/**
 * Cloudflare Workers AI's OpenAI-compatible endpoint (PROVIDERS.md §8; fixtures in
 * test/fixtures/providers/cloudflare/). 10,000 neurons a day for the account, reset at 00:00 UTC,
 * and 300 requests a minute per model; errors in the v4 envelope
 * `{"success":false,"errors":[{code,message}],"messages":[],"result":null}`; no quota headers.
 * Neurons are charged from the request's tokens at the model's rates.
 *
 * Unconfirmed and chosen here: the daily 429 as code 4006 in the v4 envelope (only its message
 * text was captured), and the per-minute refusal as 3040 "capacity" (no capture of it exists).
 */
import { type ChatContext, type ProviderDialect, response } from './provider-dialect.js';

function v4Error(status: number, errors: Array<{ code?: number; message: string }>) {
  return response(status, { success: false, errors, messages: [], result: null });
}

/** Neurons a request costs: its tokens at the model's per-million rates, rounded up. */
export function neuronsOf(ctx: Pick<ChatContext, 'model' | 'promptTokens' | 'completionTokens'>): number {
  return Math.ceil(
    (ctx.promptTokens * ctx.model.neuronsPerMInputTokens +
      ctx.completionTokens * ctx.model.neuronsPerMOutputTokens) /
      1_000_000,
  );
}

/** Workers AI validates messages with a JSON schema: content must be a string (9router#1926, Stackbilt-dev/llm-providers#91). */
function contentMismatch(ctx: ChatContext): string | undefined {
  const problems: string[] = [];
  ctx.request.messages.forEach((m, i) => {
    if (typeof m.content === 'string') return;
    const got =
      m.content === null || m.content === undefined
        ? 'null'
        : Array.isArray(m.content)
          ? 'array'
          : typeof m.content;
    problems.push(`Type mismatch of '/messages/${i}/content', '${got}' not in 'string'`);
  });
  return problems.length === 0
    ? undefined
    : `AiError: Bad input: Error: oneOf at '/' not met, 0 matches: required properties at '/' are 'prompt', ${problems.join(', ')}`;
}

/** The 404 for a path whose account id is not the simulator's (opencode#23773). */
export function cloudflareNoRoute(path: string, missingEndpoint: boolean) {
  return missingEndpoint
    ? v4Error(400, [
        { code: 7003, message: `Could not route to ${path}, perhaps your object identifier is invalid?` },
        { code: 7000, message: 'No route for that URI' },
      ])
    : v4Error(404, [
        { code: 7003, message: `Could not route to ${path}, perhaps your object identifier is invalid?` },
      ]);
}

export const cloudflareDialect: ProviderDialect = {
  streamUsage: 'include_usage',

  charge(ctx) {
    const total = ctx.promptTokens + ctx.completionTokens;
    return { tokensRequested: total, tokensCharged: total, neurons: neuronsOf(ctx), usage: total };
  },

  precheck(ctx) {
    const mismatch = contentMismatch(ctx);
    return mismatch === undefined
      ? undefined
      : { outcome: 'unsupported', response: v4Error(400, [{ code: 5006, message: mismatch }]) };
  },

  successHeaders: () => ({}),

  rateLimited(_ctx, refusal) {
    if (refusal.window.startsWith('neurons_'))
      return v4Error(429, [
        {
          code: 4006,
          message: `4006: you have used up your daily free allocation of ${refusal.limit.toLocaleString('en-US')} neurons, please upgrade to Cloudflare's Workers Paid plan if you would like to continue usage.`,
        },
      ]);
    return v4Error(429, [
      { code: 3040, message: 'AiError: Capacity temporarily exceeded, please try again.' },
    ]);
  },

  unauthorized: () => v4Error(401, [{ code: 10000, message: 'Authentication error' }]),
  badRequest: (message) => v4Error(400, [{ code: 5004, message: `AiError: Invalid data: ${message}` }]),
  modelNotFound: (modelId) =>
    v4Error(404, [{ code: 3042, message: `AiError: Invalid model ID: ${modelId}` }]),
  contextLength: (ctx, requested) =>
    v4Error(400, [
      {
        code: 5021,
        message: `AiError: The estimated number of input and maximum output tokens (${requested}) exceeded this model context window limit (${ctx.model.contextLength}).`,
      },
    ]),
  toolsUnsupported: (ctx) =>
    v4Error(400, [
      { code: 5006, message: `AiError: Bad input: ${ctx.model.id} does not support function calling` },
    ]),
  serverError: (status) =>
    status === 500
      ? v4Error(500, [{ code: 3043, message: 'AiError: Internal server error' }])
      : v4Error(status, [{ code: 7009, message: 'Upstream service unavailable' }]),
  overloaded: () =>
    v4Error(429, [{ code: 3040, message: 'AiError: No more data centers to forward the request to' }]),
  bareRateLimit: () =>
    v4Error(429, [{ code: 3040, message: 'AiError: Capacity temporarily exceeded, please try again.' }]),
  streamError: (_ctx, message) => `data: ${JSON.stringify({ errors: [{ code: 3043, message }] })}\n\n`,
  // The models search API: `{result: [{id, name, description, task}]}` (Flowise PR#4846).
  modelsBody: (models) => ({
    success: true,
    errors: [],
    messages: [],
    result: models.map((m, i) => ({
      id: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
      name: m.id,
      description: `${m.name}, simulated.`,
      task: { id: 'c329a1f9-323d-4e91-b2aa-582dd4188d34', name: 'Text Generation' },
      properties: [{ property_id: 'context_window', value: String(m.contextLength) }],
    })),
  }),
};
