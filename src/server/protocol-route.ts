/**
 * `POST /v1/messages` and `POST /v1/responses`: the client's protocol translated to a chat request,
 * answered through the rotor exactly as `/v1/chat/completions` is (rotation, failover, budgets,
 * deadline, stream commit point), and translated back — one JSON answer, or the protocol's event
 * stream. Errors before the stream starts are HTTP errors in the protocol's shape; a failure after
 * it started ends the stream with the protocol's error event.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Protocol, StreamTranslator, TranslateContext } from '../protocols/protocol.js';
import { formatSse } from '../protocols/sse-event.js';
import { attemptsMade, type ChatRun } from '../router/chat-loop.js';
import {
  type ChatRouteContext,
  type ChatRouteResult,
  callOptions,
  checkModels,
  failedRequest,
  pipeStream,
  type StreamEncoder,
  streamResult,
} from './chat-route.js';
import { readJsonBody, sendJson } from './http-body.js';

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
    const call = callOptions(req, signal);
    if (stream) {
      const chatStream = ctx.rotor.chatStream(chat, call);
      run = chatStream.run;
      const status = await pipeStream(
        res,
        chatStream.batches(),
        run,
        encoder(protocol.stream(state)),
        signal,
      );
      if (status === 200) protocol.finished?.(state);
      return streamResult(status, run);
    }
    const { rotor: info, ...completion } = await ctx.rotor.chat(chat, call);
    const answer = protocol.toJson(completion, state);
    protocol.finished?.(state);
    const made = attemptsMade(info.attempts);
    sendJson(res, 200, answer, { 'x-rotor-model': info.model, 'x-rotor-attempts': made });
    return { status: 200, outcome: 'success', stream, model: info.model, attempts: info.attempts };
  } catch (err) {
    return failedRequest(res, err, { signal, run, stream }, protocol.toWire);
  }
}

/** The protocol's translator as the stream's encoder: its events as `event:`/`data:` pairs. */
function encoder(translator: StreamTranslator): StreamEncoder {
  return {
    chunk: (chunk) => formatSse(translator.push(chunk)),
    end: () => formatSse(translator.end()),
    failure: (code, message) => formatSse(translator.error(code, message)),
  };
}
