/**
 * The simulated providers on the simulator's socket: each enabled provider under `/<id>` plus the
 * path of its real base URL (`/groq/openai/v1`, `/gemini/v1beta/openai`,
 * `/cloudflare/client/v4/accounts/<account>/ai/v1`, …), with `POST …/chat/completions` and its model
 * list where the catalog says (`…/models`, GitHub's `/github-models/catalog/models`, Cloudflare's
 * `…/ai/models/search`). Answers are the world's decisions (`provider-world.ts`), sent with the
 * provider's headers and pacing; errors take realistic time (`error-latency.ts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorLatencyMs } from '../error-latency.js';
import { abortOnClose, bearerToken, readBody, sendJson, waitForAbort, waitUnlessGone } from '../http-util.js';
import type { SimState } from '../sim-state.js';
import { DONE_EVENT, dataEvent, playStream, type StreamScript } from '../sse-writer.js';
import { applyStreamFault, sendFaultedBody } from '../stream-fault.js';
import { providerCompletionBody, providerStreamChunks } from './provider-completion.js';
import type { ProviderAnswer, SimProviderEntry } from './provider-world.js';

type OkAnswer = Extract<ProviderAnswer, { kind: 'ok' }>;

/** Answer a request under an enabled provider's prefix; false when no enabled provider owns the path. */
export async function routeProvider(
  state: SimState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<boolean> {
  const slash = path.indexOf('/', 1);
  const id = path.slice(1, slash === -1 ? undefined : slash);
  const entry = state.providers.get(id);
  if (!entry?.enabled) return false;
  const method = req.method ?? 'GET';
  const normalized = path.replace(/\/+$/, '');
  if (normalized === `${entry.basePath}/chat/completions` && method === 'POST') {
    await handleProviderChat(state, req, res, entry, await readBody(req));
    return true;
  }
  if (normalized === entry.modelsPath && method === 'GET') {
    const refusal = state.providers.keyRefusal(entry, bearerToken(req), true);
    if (refusal) sendJson(res, refusal.status, refusal.body, refusal.headers);
    else sendJson(res, 200, state.providers.modelsBody(entry, state.clock.now()));
    return true;
  }
  const unroutable = state.providers.unroutable(entry, normalized);
  sendJson(res, unroutable.status, unroutable.body, unroutable.headers);
  return true;
}

async function handleProviderChat(
  state: SimState,
  req: IncomingMessage,
  res: ServerResponse,
  entry: SimProviderEntry,
  bodyText: string,
): Promise<void> {
  const answer = state.providers.decideChat(
    { providerId: entry.id, key: bearerToken(req), bodyText },
    state.clock.now(),
  );
  switch (answer.kind) {
    case 'error': {
      const { response } = answer;
      const delayMs = errorLatencyMs(answer.outcome) * state.latencyScale;
      const send = () => sendJson(res, response.status, response.body, response.headers);
      if (delayMs <= 0) return send();
      if (await waitUnlessGone(state.clock, res, delayMs)) send();
      return;
    }
    case 'drop': {
      if (answer.outcome === 'no_response') return waitForAbort(abortOnClose(res));
      const delayMs = errorLatencyMs('connection_reset') * state.latencyScale;
      if (delayMs <= 0 || (await waitUnlessGone(state.clock, res, delayMs))) req.socket.destroy();
      return;
    }
    case 'ok':
      res.once('close', answer.release);
      if (answer.ctx.stream) return playStream(res, streamScript(state, entry, answer), state.clock);
      return answerWhole(state, entry, res, answer);
  }
}

function pacing(state: SimState, answer: OkAnswer) {
  const scale = state.latencyScale;
  const slowMs = answer.delivery?.kind === 'slow_first_token' ? answer.delivery.delayMs : 0;
  return {
    firstTokenMs: answer.ctx.model.ttftMs * scale + slowMs,
    gapMs: scale === 0 ? 0 : (1000 / answer.ctx.model.tokensPerSecond) * scale,
  };
}

function streamScript(state: SimState, entry: SimProviderEntry, answer: OkAnswer): StreamScript {
  const chunks = providerStreamChunks(answer.meta, answer.plan, answer.usage);
  const role = dataEvent(chunks.role);
  const content = chunks.content.map(dataEvent);
  const { firstTokenMs, gapMs } = pacing(state, answer);
  const script: StreamScript = {
    events: [role, ...content, ...chunks.tail.map(dataEvent), DONE_EVENT],
    firstEventDelayMs: firstTokenMs,
    gapMs,
    pacedEvents: content.length + 1,
    leadEvents: 1,
    ending: 'end',
    headers: answer.headers,
    keepAlive: '',
  };
  if (answer.delivery)
    applyStreamFault(script, answer.delivery, {
      role,
      content,
      meta: answer.meta,
      errorEvent: (error) => entry.dialect.streamError(answer.ctx, error.message),
    });
  return script;
}

async function answerWhole(
  state: SimState,
  entry: SimProviderEntry,
  res: ServerResponse,
  answer: OkAnswer,
): Promise<void> {
  const { firstTokenMs, gapMs } = pacing(state, answer);
  const plan = answer.plan;
  const tokenCount = plan.kind === 'text' ? plan.tokens.length : plan.argumentParts.length;
  const delayMs = firstTokenMs + Math.max(0, tokenCount - 1) * gapMs;
  if (delayMs > 0 && !(await waitUnlessGone(state.clock, res, delayMs))) return;
  const body = providerCompletionBody(answer.meta, plan);
  const fault = answer.delivery;
  switch (fault?.kind) {
    case 'midstream_error': {
      // A 200 whose body is the provider's in-band error (what a stream's error event carries).
      const event = entry.dialect.streamError(answer.ctx, fault.message);
      const json = event.slice(event.indexOf('data: ') + 6).trim();
      res.writeHead(200, { 'content-type': 'application/json', ...answer.headers });
      res.end(json);
      return;
    }
    case 'malformed_chunk':
    case 'stream_cut':
    case 'stream_stall':
      return sendFaultedBody(res, state.clock, fault, JSON.stringify(body), answer.headers);
    default:
      return sendJson(res, 200, body, answer.headers);
  }
}
