/**
 * Mistral's free "Experiment" plan (PROVIDERS.md §4; fixtures in test/fixtures/providers/mistral/).
 * Limits per model in fixed windows (second, wall-clock minute, calendar month UTC). The 429 body
 * is the same for every window — `{"object":"error","message":"Rate limit exceeded",…,"code":"1300"}`
 * — so only the headers tell which is spent; they come on non-stream 200s and on 429s, never on
 * streaming 200s, and there is no `retry-after`. OpenAI fields its pydantic models do not know are
 * a 422 `extra_forbidden`; tool-call ids must be 9 letters/digits (3280) and a user message may not
 * follow a tool result (3230).
 */
import { hashString } from '../hash.js';
import {
  type ChatContext,
  openAiModelList,
  type ProviderDialect,
  remainingText,
  response,
  viewOf,
} from './provider-dialect.js';
import type { QuotaView } from './provider-quota.js';

function mistralError(status: number, message: unknown, type: string, code: string | null, raw = false) {
  return response(status, {
    object: 'error',
    message,
    type,
    param: null,
    code,
    ...(raw ? { raw_status_code: status } : {}),
  });
}

function quotaHeaders(quota: readonly QuotaView[], tokensCharged: number): Record<string, string> {
  const headers: Record<string, string> = {};
  const rpm = viewOf(quota, 'requests_minute');
  if (rpm) {
    headers['x-ratelimit-limit-req-minute'] = String(rpm.limit);
    headers['x-ratelimit-remaining-req-minute'] = remainingText(rpm);
  }
  const tpm = viewOf(quota, 'tokens_minute');
  if (tpm) {
    headers['x-ratelimit-limit-tokens-minute'] = String(tpm.limit);
    headers['x-ratelimit-remaining-tokens-minute'] = remainingText(tpm);
  }
  const month = viewOf(quota, 'tokens_month');
  if (month) {
    headers['x-ratelimit-limit-tokens-month'] = String(month.limit);
    headers['x-ratelimit-remaining-tokens-month'] = remainingText(month);
  }
  headers['x-ratelimit-tokens-query-cost'] = String(tokensCharged);
  return headers;
}

/** Fields pydantic forbids, each as its `loc` and the value sent (avante.nvim#2347, eca#231, openclaude#739). */
function extraFields(ctx: ChatContext): Array<{ loc: string[]; input: unknown }> {
  const out: Array<{ loc: string[]; input: unknown }> = [];
  const so = ctx.request['stream_options'];
  if (so !== undefined) {
    // stream_options is a known field whose model forbids every key (the capture's loc names include_usage).
    if (so && typeof so === 'object' && !Array.isArray(so) && Object.keys(so).length > 0)
      for (const [key, value] of Object.entries(so))
        out.push({ loc: ['body', 'stream_options', key], input: value });
    else out.push({ loc: ['body', 'stream_options'], input: so });
  }
  for (const field of ['max_completion_tokens', 'store', 'n']) {
    if (ctx.request[field] !== undefined) out.push({ loc: ['body', field], input: ctx.request[field] });
  }
  return out;
}

const TOOL_CALL_ID = /^[a-zA-Z0-9]{9}$/;

function badToolCallId(ctx: ChatContext): string | undefined {
  for (const message of ctx.request.messages) {
    const m = message as { role?: unknown; tool_calls?: unknown; tool_call_id?: unknown };
    if (Array.isArray(m.tool_calls)) {
      for (const call of m.tool_calls) {
        const id = (call as { id?: unknown } | null)?.id;
        if (typeof id === 'string' && !TOOL_CALL_ID.test(id)) return id;
      }
    }
    if (m.role === 'tool' && typeof m.tool_call_id === 'string' && !TOOL_CALL_ID.test(m.tool_call_id))
      return m.tool_call_id;
  }
  return undefined;
}

function userAfterTool(ctx: ChatContext): boolean {
  const roles = ctx.request.messages.map((m) => m.role);
  return roles.some((role, i) => role === 'user' && roles[i - 1] === 'tool');
}

export const mistralDialect: ProviderDialect = {
  // Mistral rejects stream_options and puts usage in the last chunk anyway (anon-kode#53).
  streamUsage: 'final_chunk',

  charge(ctx) {
    const total = ctx.promptTokens + ctx.completionTokens;
    return { tokensRequested: total, tokensCharged: total, neurons: 0, usage: total };
  },

  precheck(ctx) {
    const extras = extraFields(ctx);
    if (extras.length > 0) {
      const detail = extras.map(({ loc, input }) => ({
        type: 'extra_forbidden',
        loc,
        msg: 'Extra inputs are not permitted',
        input,
      }));
      return { outcome: 'bad_param', response: mistralError(422, { detail }, 'invalid_request_error', null) };
    }
    const id = badToolCallId(ctx);
    if (id !== undefined)
      return {
        outcome: 'unsupported',
        response: mistralError(
          400,
          `Tool call id was ${id} but must be a-z, A-Z, 0-9, with a length of 9.`,
          'invalid_function_call',
          '3280',
          true,
        ),
      };
    if (userAfterTool(ctx))
      return {
        outcome: 'unsupported',
        response: mistralError(
          400,
          "Unexpected role 'user' after role 'tool'",
          'invalid_request_message_order',
          '3230',
        ),
      };
    return undefined;
  },

  // Non-stream 200s only: streaming 200s carry no limit headers (survey 2026-07-26).
  successHeaders: (ctx, quota) =>
    ctx.stream ? {} : quotaHeaders(quota, ctx.promptTokens + ctx.completionTokens),

  rateLimited(ctx, _refusal, quota) {
    const body = mistralError(429, 'Rate limit exceeded', 'rate_limited', '1300', true);
    body.headers = quotaHeaders(quota, ctx.promptTokens + ctx.completionTokens);
    return body;
  },

  unauthorized: (providerId) =>
    response(401, {
      message: 'Unauthorized',
      request_id: hashString(providerId).toString(16).padStart(8, '0').repeat(4),
    }),
  badRequest: (message) => mistralError(400, message, 'invalid_request_error', null),
  // The real wording for an unknown model was not captured (unconfirmed); 404 keeps it a model fault.
  modelNotFound: (modelId) => mistralError(404, `Invalid model: ${modelId}`, 'invalid_model', '1500', true),
  contextLength: (ctx, requested) =>
    mistralError(
      400,
      `Prompt contains ${requested} tokens and max_tokens, too large for model with ${ctx.model.contextLength} maximum context length`,
      'invalid_request_error',
      '3051',
      true,
    ),
  toolsUnsupported: (ctx) =>
    mistralError(
      400,
      `Function calling is not enabled for this model: ${ctx.model.id}`,
      'invalid_request_error',
      '3051',
      true,
    ),
  serverError: (status) =>
    mistralError(
      status,
      status === 500 ? 'Internal server error' : 'Service unavailable',
      'internal_server_error',
      null,
    ),
  // Free-tier capacity for the model, not your quota (continue#6185).
  overloaded: () =>
    mistralError(429, 'Service tier capacity exceeded for this model.', 'invalid_request_error', null),
  bareRateLimit: () => mistralError(429, 'Rate limit exceeded', 'rate_limited', '1300', true),
  streamError: (_ctx, message) =>
    `data: ${JSON.stringify({ object: 'error', message, type: 'internal_server_error', param: null, code: null })}\n\n`,
  modelsBody: (models, createdS) =>
    openAiModelList(models, createdS, (m) => ({
      capabilities: { completion_chat: true, function_calling: m.tools },
      max_context_length: m.contextLength,
      type: 'base',
    })),
};
