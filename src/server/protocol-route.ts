/**
 * `POST /v1/messages` and `POST /v1/responses`: the client's protocol translated to a chat request,
 * answered through the rotor exactly as `/v1/chat/completions` is (rotation, failover, budgets,
 * deadline, stream commit point), and translated back — one JSON answer, or the protocol's event
 * stream. Errors before the stream starts are HTTP errors in the protocol's shape; a failure after
 * it started ends the stream with the protocol's error event.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChatCompletionChunk } from '../chat/chat-types.js';
import { RotorError, ShuttingDownError } from '../errors.js';
import type { Protocol, StreamTranslator, TranslateContext } from '../protocols/protocol.js';
import { formatSse } from '../protocols/sse-event.js';
import { attemptsMade, type ChatRun } from '../router/chat-loop.js';
import {
  type ChatRouteContext,
  type ChatRouteResult,
  checkModels,
  deadlineFromHeader,
  drained,
  outcomeOf,
  SSE_HEADERS,
} from './chat-route.js';
import { readJsonBody, sendError, sendJson } from './http-body.js';

export async function handleProtocolRoute<S>(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ChatRouteContext,
  protocol: Protocol<S>,
  translate: Omit<TranslateContext, 'nowMs'>,
  signal: AbortSignal,
): Promise<ChatRouteResult> {
  let stream = false;
  let run: ChatRun | undefined;
  try {
    const body = await readJsonBody(req, ctx.bodyLimitBytes);
    const { chat, state } = protocol.translate(body, { ...translate, nowMs: ctx.rotor.engine.clock.now() });
    stream = chat.stream === true;
    checkModels(chat, ctx);
    const deadlineMs = deadlineFromHeader(req.headers['x-rotor-deadline-ms']);
    const call = deadlineMs === undefined ? { signal } : { signal, deadlineMs };
    if (stream) {
      const chatStream = ctx.rotor.chatStream(chat, call);
      run = chatStream.run;
      const status = await pipeEvents(res, chatStream.batches(), run, protocol.stream(state), signal);
      if (status === 200) protocol.finished?.(state);
      return {
        status,
        outcome: status === 200 ? 'success' : 'stream_error',
        stream,
        model: run.model,
        attempts: run.attempts,
      };
    }
    const { rotor: info, ...completion } = await ctx.rotor.chat(chat, call);
    const answer = protocol.toJson(completion, state);
    protocol.finished?.(state);
    sendJson(res, 200, answer, {
      'x-rotor-model': info.model,
      'x-rotor-attempts': attemptsMade(info.attempts),
    });
    return { status: 200, outcome: 'success', stream, model: info.model, attempts: info.attempts };
  } catch (err) {
    const error = signal.aborted && signal.reason instanceof ShuttingDownError ? signal.reason : err;
    const status = sendError(res, error, {}, protocol.toWire);
    const attempts = run?.attempts ?? (err instanceof RotorError ? err.attempts : []);
    return { status, outcome: outcomeOf(error), stream, model: run?.model, attempts };
  }
}

/** Write the protocol's events, one write per batch; headers go out with the first batch (the commit point). */
async function pipeEvents(
  res: ServerResponse,
  iterator: AsyncIterator<ChatCompletionChunk[]>,
  run: ChatRun,
  translator: StreamTranslator,
  signal: AbortSignal,
): Promise<number> {
  const first = await iterator.next(); // errors before the commit point throw here → a plain HTTP error
  const made = attemptsMade(run.attempts);
  res.writeHead(200, {
    ...SSE_HEADERS,
    'x-rotor-model': run.model ?? (first.done ? '' : (first.value[0]?.model ?? '')),
    'x-rotor-attempts': String(first.done ? made : made + 1),
  });
  let failed = false;
  try {
    for (let r = first; !r.done; r = await iterator.next()) {
      const events = [];
      for (const chunk of r.value) {
        if (chunk.error) failed = true;
        events.push(...translator.push(chunk));
      }
      const text = formatSse(events);
      if (text.length > 0 && !res.write(text)) await drained(res, signal);
    }
  } catch (err) {
    failed = true;
    if (!res.destroyed) {
      const reason = signal.aborted && signal.reason instanceof RotorError ? signal.reason : err;
      const message = reason instanceof Error ? reason.message : 'stream failed';
      res.write(formatSse(translator.error(reason instanceof RotorError ? reason.status : 500, message)));
    }
  }
  if (!failed && !res.destroyed) res.write(formatSse(translator.end()));
  res.end();
  return failed ? 502 : 200;
}
