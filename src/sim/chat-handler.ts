/**
 * `POST /chat/completions`: one request's way through the simulated OpenRouter, in the order the
 * real one decides — key, body, model, account quota, the model's own cap, tools and context
 * checks, then the provider side (scripted fault, upstream pool, system prompt), then the answer.
 * Every request is logged as one attempt, whatever happens to it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AnswerPlan,
  type ChatRequest,
  estimatePromptTokens,
  hasSystemMessage,
  hasTools,
  planAnswer,
} from './answer-plan.js';
import type { AttemptOutcome, AttemptRecord } from './attempt-log.js';
import { completionBody, contentChunks, finalChunk, roleChunk, usageChunk } from './completion-bodies.js';
import { errorLatencyMs } from './error-latency.js';
import {
  abortOnClose,
  bearerToken,
  parseJsonObject,
  sendJson,
  sendRawJson,
  waitForAbort,
  waitUnlessGone,
} from './http-util.js';
import * as bodies from './openrouter-bodies.js';
import { windowEndMs } from './quota-window.js';
import type { SimModel } from './sim-models.js';
import type { SimState } from './sim-state.js';
import { DONE_EVENT, dataEvent, playStream, type StreamScript } from './sse-writer.js';
import { applyStreamFault, type DeliveryFault, sendFaultedBody } from './stream-fault.js';

function parseRequest(text: string): ChatRequest | string {
  const body = parseJsonObject(text);
  if (typeof body === 'string') return body;
  const request = body as ChatRequest;
  if (typeof request.model !== 'string' || request.model === '') return 'Missing "model" in request body';
  if (!Array.isArray(request.messages) || request.messages.length === 0)
    return 'Input required: specify "prompt" or "messages"';
  return request;
}

export async function handleChat(
  state: SimState,
  req: IncomingMessage,
  res: ServerResponse,
  bodyText: string,
): Promise<void> {
  const nowMs = state.clock.now();
  const parsed = parseRequest(bodyText);
  const request = typeof parsed === 'string' ? undefined : parsed;
  const stream = request?.stream === true;
  const attempt: AttemptRecord = {
    timeMs: nowMs - state.startMs,
    model: request?.model ?? '',
    stream,
    outcome: 'ok',
    status: 200,
  };
  state.log.add(attempt);

  // Errors take time, as real ones do (a provider's 5xx comes after it tried): without it,
  // concurrent failures never overlap and a gateway's handling of a burst is never exercised.
  const reply = (outcome: AttemptOutcome, response: bodies.SimResponse): void | Promise<void> => {
    attempt.outcome = outcome;
    attempt.status = response.status;
    const delayMs = errorLatencyMs(outcome) * state.latencyScale;
    if (delayMs <= 0) return sendJson(res, response.status, response.body, response.headers);
    return delayed(state, res, delayMs, () =>
      sendJson(res, response.status, response.body, response.headers),
    );
  };

  const key = bearerToken(req);
  if (key === undefined) return reply('unauthorized', bodies.noAuthCredentials());
  if (state.apiKeys && !state.apiKeys.has(key)) return reply('unauthorized', bodies.userNotFound());
  if (request === undefined) return reply('invalid_request', bodies.badRequest(parsed as string));

  const model = state.models.get(request.model);
  if (!model) return reply('model_not_found', bodies.noEndpoints(request.model));

  if (model.free) {
    const refusal = state.account.admitFree(nowMs);
    if (refusal) {
      const outcome = refusal.unit === 'minute' ? 'account_minute_limit' : 'account_day_limit';
      return reply(
        outcome,
        bodies.freeModelsLimit(refusal, {
          hasCredits: state.account.creditsBought,
          userId: state.account.userId,
        }),
      );
    }
  }
  const cap = state.modelLimits.admitCap(model, nowMs);
  if (cap) return reply('model_cap', bodies.modelCap(model.id, model.canonicalSlug, cap));
  if (hasTools(request) && !model.tools) return reply('tools_unsupported', bodies.noToolEndpoints());

  const promptTokens = estimatePromptTokens(request);
  const maxTokens = typeof request.max_tokens === 'number' ? request.max_tokens : 0;
  if (promptTokens + maxTokens > model.contextLength)
    return reply(
      'context_length',
      bodies.contextLengthExceeded(model.contextLength, promptTokens, maxTokens),
    );

  // Provider side: a scripted fault first, then the pool, then what the provider refuses.
  const fault = state.faults.size > 0 ? state.faults.match(model.id, attempt.timeMs, stream) : undefined;
  let delivery: DeliveryFault | undefined;
  if (fault) {
    // Outcome = the fault's kind, whether it replaces the answer or changes its delivery.
    attempt.outcome = fault.kind;
    attempt.faultId = fault.id;
    const userId = state.account.userId;
    switch (fault.kind) {
      case 'server_error':
        return reply(fault.kind, bodies.serverError(fault.status, model.provider));
      case 'overloaded':
        // Only provider faults may be `overloaded` (the schema refuses it for OpenRouter).
        return reply(fault.kind, bodies.serverError(503, model.provider));
      case 'model_gone':
        return reply(fault.kind, bodies.noEndpoints(model.id));
      case 'moderation': {
        const flagged = request.messages
          .map((m) => (typeof m.content === 'string' ? m.content : ''))
          .join(' ');
        return reply(fault.kind, bodies.moderation(model.id, model.provider, fault.reasons, flagged));
      }
      case 'insufficient_credits': {
        const requested = maxTokens > 0 ? maxTokens : model.maxCompletionTokens;
        return reply(fault.kind, bodies.insufficientCredits(requested, fault.affordableTokens, userId));
      }
      case 'rate_limited':
        return reply(fault.kind, bodies.genericRateLimit());
      case 'upstream_rate_limit':
        return reply(
          fault.kind,
          bodies.upstreamRateLimit(
            model.id,
            fault.provider ?? model.provider,
            userId,
            fault.retryAfterSeconds,
          ),
        );
      case 'model_cap': {
        const refusal = { unit: fault.per, limit: fault.limit, resetMs: windowEndMs(fault.per, nowMs) };
        return reply(fault.kind, bodies.modelCap(model.id, model.canonicalSlug, refusal));
      }
      case 'connection_reset': {
        attempt.status = null;
        const delayMs = errorLatencyMs('connection_reset') * state.latencyScale;
        if (delayMs <= 0) req.socket.destroy();
        else return delayed(state, res, delayMs, () => req.socket.destroy());
        return;
      }
      case 'no_response':
        attempt.status = null;
        return waitForAbort(abortOnClose(res));
      default:
        delivery = fault;
    }
  }

  const pool = state.modelLimits.admitPool(model, nowMs);
  if (pool) {
    const retryAfterS = model.upstreamRetryHint ? (pool.resetMs - nowMs) / 1000 : undefined;
    return reply(
      'upstream_pool',
      bodies.upstreamRateLimit(model.id, model.provider, state.account.userId, retryAfterS),
    );
  }
  if (!model.systemPrompt && hasSystemMessage(request))
    return reply('system_prompt_unsupported', bodies.systemPromptUnsupported(model.id, model.provider));

  const plan = planAnswer(request, {
    seed: state.seed,
    completionTokens: state.completionTokens,
    promptTokens,
  });
  const createdS = Math.floor(nowMs / 1000);
  const meta: bodies.GenerationMeta = {
    id: state.nextGenerationId(createdS),
    model: model.id,
    provider: model.provider,
    created: createdS,
  };
  if (stream) return playStream(res, streamScript(state, model, meta, plan, delivery), state.clock);
  return answerWhole(state, res, model, meta, plan, delivery);
}

/** Run `then` after `delayMs` of simulated time, unless the client leaves first. */
async function delayed(
  state: SimState,
  res: ServerResponse,
  delayMs: number,
  then: () => void,
): Promise<void> {
  if (await waitUnlessGone(state.clock, res, delayMs)) then();
}

/** Time to first token and gap between tokens for this model at the current scale, ms. */
function pacing(state: SimState, model: SimModel, delivery: DeliveryFault | undefined) {
  const scale = state.latencyScale;
  const slowMs = delivery?.kind === 'slow_first_token' ? delivery.delayMs : 0;
  return {
    firstTokenMs: model.ttftMs * scale + slowMs,
    gapMs: scale === 0 ? 0 : (1000 / model.tokensPerSecond) * scale,
  };
}

/** The in-band error a 200-with-error fault carries. */
function inBandError(
  fault: Extract<DeliveryFault, { kind: 'error_in_200' | 'midstream_error' }>,
  provider: string,
) {
  if (fault.kind === 'error_in_200')
    return {
      message: fault.message,
      code: fault.code,
      metadata: { raw: fault.raw, provider_name: provider },
    };
  const errorType = fault.errorType ?? (fault.code === 429 ? 'rate_limit_exceeded' : undefined);
  return {
    code: fault.code,
    message: fault.message,
    ...(errorType === undefined ? {} : { metadata: { error_type: errorType } }),
  };
}

function streamScript(
  state: SimState,
  model: SimModel,
  meta: bodies.GenerationMeta,
  plan: AnswerPlan,
  fault: DeliveryFault | undefined,
): StreamScript {
  const content = contentChunks(meta, plan).map(dataEvent);
  // Streams open with a role-only chunk (no content), as OpenRouter's do.
  const role = dataEvent(roleChunk(meta));
  const { firstTokenMs, gapMs } = pacing(state, model, fault);
  const script: StreamScript = {
    events: [
      role,
      ...content,
      dataEvent(finalChunk(meta, plan)),
      dataEvent(usageChunk(meta, plan)),
      DONE_EVENT,
    ],
    firstEventDelayMs: firstTokenMs,
    gapMs,
    pacedEvents: content.length + 1,
    leadEvents: 1,
    ending: 'end',
  };
  if (fault)
    applyStreamFault(script, fault, {
      role,
      content,
      meta,
      errorEvent: (error) => dataEvent(bodies.midstreamErrorChunk(meta, inBandError(error, meta.provider))),
    });
  return script;
}

async function answerWhole(
  state: SimState,
  res: ServerResponse,
  model: SimModel,
  meta: bodies.GenerationMeta,
  plan: AnswerPlan,
  fault: DeliveryFault | undefined,
): Promise<void> {
  const { firstTokenMs, gapMs } = pacing(state, model, fault);
  const tokenCount = plan.kind === 'text' ? plan.tokens.length : plan.argumentParts.length;
  const delayMs = firstTokenMs + Math.max(0, tokenCount - 1) * gapMs;
  if (delayMs > 0 && !(await waitUnlessGone(state.clock, res, delayMs))) return;
  const body = completionBody(meta, plan);
  switch (fault?.kind) {
    case 'error_in_200':
    case 'midstream_error':
      return sendJson(res, 200, bodies.errorIn200(meta, inBandError(fault, meta.provider)));
    case 'malformed_chunk': {
      const json = JSON.stringify(body);
      return sendRawJson(res, 200, json.slice(0, Math.floor(json.length / 2)));
    }
    case 'stream_cut':
    case 'stream_stall':
      return sendFaultedBody(res, state.clock, fault, JSON.stringify(body));
    default:
      return sendJson(res, 200, body);
  }
}
