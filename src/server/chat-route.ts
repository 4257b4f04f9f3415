/**
 * `POST /v1/chat/completions`: validate, then answer through the rotor — as server-sent events when
 * the client streams, as one JSON completion otherwise. Response headers name the answering model
 * (`x-rotor-model`) and the upstream attempts made (`x-rotor-attempts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ChatRequest, parseChatRequest } from '../chat/chat-request-schema.js';
import type { ChatCompletionChunk } from '../chat/chat-types.js';
import { rawChunkText } from '../chat/raw-chunk-text.js';
import {
  type AttemptRecord,
  CancelledError,
  InvalidRequestError,
  NotFoundError,
  RotorError,
  ShuttingDownError,
} from '../errors.js';
import { clip } from '../redact.js';
import { attemptsMade, type ChatCallOptions, type ChatRun } from '../router/chat-loop.js';
import type { Rotor } from '../router/create-rotor.js';
import { isAutoModel } from '../router/request-order.js';
import { readJsonBody, sendError, sendJson } from './http-body.js';

export interface ChatRouteContext {
  rotor: Rotor;
  bodyLimitBytes: number;
  /** Whether a model id may be requested (known to the rotation, the registry or the live list). */
  isKnownModel(id: string): boolean;
  allowUnknownModels: boolean;
}

export interface ChatRouteResult {
  status: number;
  outcome: string;
  stream: boolean;
  model: string | undefined;
  /** Every upstream attempt the request made (for metrics that must match the upstream's log). */
  attempts: AttemptRecord[];
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

export async function handleChatCompletions(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ChatRouteContext,
  signal: AbortSignal,
): Promise<ChatRouteResult> {
  let stream = false;
  let run: ChatRun | undefined;
  try {
    const body = await readJsonBody(req, ctx.bodyLimitBytes);
    const request = parseChatRequest(body);
    stream = request.stream === true;
    if (typeof request.n === 'number' && request.n > 1)
      throw new InvalidRequestError(`n: rotor returns one choice per request; got n = ${request.n}`, {
        code: 'unsupported_feature',
        param: 'n',
      });
    checkModels(request, ctx);
    const call = callOptions(req, signal);
    if (stream) {
      const chatStream = ctx.rotor.chatStream(request, call);
      run = chatStream.run;
      const includeUsage = request.stream_options?.include_usage === true;
      const status = await pipeStream(res, chatStream.batches(), run, chatEncoder(includeUsage), signal);
      return streamResult(status, run);
    }
    const { rotor: info, ...completion } = await ctx.rotor.chat(request, call);
    const made = attemptsMade(info.attempts);
    sendJson(res, 200, completion, { 'x-rotor-model': info.model, 'x-rotor-attempts': made });
    return { status: 200, outcome: 'success', stream, model: info.model, attempts: info.attempts };
  } catch (err) {
    return failedRequest(res, err, { signal, run, stream });
  }
}

/** The caller's signal and the deadline the client asked for (`x-rotor-deadline-ms`). */
export function callOptions(req: IncomingMessage, signal: AbortSignal): ChatCallOptions {
  const deadlineMs = deadlineFromHeader(req.headers['x-rotor-deadline-ms']);
  return deadlineMs === undefined ? { signal } : { signal, deadlineMs };
}

/** What a streamed request did, once its stream has ended (`status` from `pipeStream`). */
export function streamResult(status: number, run: ChatRun): ChatRouteResult {
  const outcome = status === 200 ? 'success' : 'stream_error';
  return { status, outcome, stream: true, model: run.model, attempts: run.attempts };
}

/** Answer a request that failed before its answer started, in the route's error shape (OpenAI's by default). */
export function failedRequest(
  res: ServerResponse,
  err: unknown,
  at: { signal: AbortSignal; run: ChatRun | undefined; stream: boolean },
  toWire?: Parameters<typeof sendError>[3],
): ChatRouteResult {
  const { signal, run } = at;
  const error = signal.aborted && signal.reason instanceof ShuttingDownError ? signal.reason : err;
  const status = sendError(res, error, {}, toWire);
  const attempts = run?.attempts ?? (err instanceof RotorError ? err.attempts : []);
  return { status, outcome: outcomeOf(error), stream: at.stream, model: run?.model, attempts };
}

/** How a route writes its stream: each chunk as its protocol's SSE text, the end, a failure the loop did not chunk. */
export interface StreamEncoder {
  chunk(chunk: ChatCompletionChunk): string;
  end(): string;
  failure(code: number, message: string): string;
}

/** Chat Completions' own stream: `data:` lines, `[DONE]` only after a whole answer. */
function chatEncoder(includeUsage: boolean): StreamEncoder {
  /** The stream's own id, for an error chunk that ends it. */
  let streamId: string | undefined;
  return {
    chunk(chunk) {
      streamId ??= chunk.id;
      // Upstream is always asked for usage; a client that did not ask gets no usage-only chunk.
      if (!includeUsage && chunk.choices.length === 0 && chunk.usage && !chunk.error) return '';
      // An unchanged upstream chunk goes out as the upstream wrote it: no re-serialisation.
      return `data: ${rawChunkText(chunk) ?? JSON.stringify(chunk)}\n\n`;
    },
    // A failed stream ends without [DONE], as OpenRouter's do: never a cut answer that looks complete.
    end: () => 'data: [DONE]\n\n',
    failure: (code, message) =>
      `data: ${JSON.stringify({ id: streamId, object: 'chat.completion.chunk', error: { message, code }, choices: [{ index: 0, delta: {}, finish_reason: 'error' }] })}\n\n`,
  };
}

/**
 * Write the stream, one write per batch. Headers go out with the first batch, once the answering
 * model is known. A chunk with an in-band error marks the stream failed: it gets no end.
 */
export async function pipeStream(
  res: ServerResponse,
  iterator: AsyncIterator<ChatCompletionChunk[]>,
  run: ChatRun,
  encoder: StreamEncoder,
  signal: AbortSignal,
): Promise<number> {
  const first = await iterator.next(); // errors before the commit point throw here → plain JSON error
  const made = attemptsMade(run.attempts);
  res.writeHead(200, {
    ...SSE_HEADERS,
    'x-rotor-model': run.model ?? (first.done ? '' : (first.value[0]?.model ?? '')),
    'x-rotor-attempts': String(first.done ? made : made + 1),
  });
  let failed = false;
  try {
    for (let r = first; !r.done; r = await iterator.next()) {
      const batch = r.value;
      let text = '';
      for (let i = 0; i < batch.length; i++) {
        const chunk = batch[i]!;
        if (chunk.error) failed = true;
        text += encoder.chunk(chunk);
      }
      if (text.length > 0 && !res.write(text)) await drained(res, signal);
    }
  } catch (err) {
    // A failure after the commit point that the loop did not turn into a chunk (cancellation, shutdown).
    failed = true;
    if (!res.destroyed) {
      const reason = signal.aborted && signal.reason instanceof RotorError ? signal.reason : err;
      const message = reason instanceof Error ? reason.message : 'stream failed';
      res.write(encoder.failure(reason instanceof RotorError ? reason.status : 500, message));
    }
  }
  if (!failed && !res.destroyed) res.write(encoder.end());
  res.end();
  return failed ? 502 : 200;
}

function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

export function checkModels(request: ChatRequest, ctx: ChatRouteContext): void {
  if (ctx.allowUnknownModels) return;
  const ids = [request.model, ...(request.models ?? [])];
  for (const [i, id] of ids.entries()) {
    if (isAutoModel(id) || ctx.isKnownModel(id)) continue;
    throw new NotFoundError(
      `The model \`${clip(id)}\` is not in rotor's rotation or registry. Use "auto" to let rotor choose, or one of GET /v1/models.`,
      { code: 'model_not_found', param: i === 0 ? 'model' : `models[${i - 1}]` },
    );
  }
}

/** Plain decimal digits only: `Number()` would also take `0x10`, `1e3` and surrounding spaces. */
const DECIMAL_MS = /^[1-9][0-9]{0,9}$/;

function deadlineFromHeader(value: string | string[] | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? (value[0] ?? '') : value;
  if (!DECIMAL_MS.test(text)) {
    throw new InvalidRequestError(
      `x-rotor-deadline-ms must be a positive integer of milliseconds in decimal digits, got "${clip(text, 40)}"`,
      {
        code: 'invalid_header',
        param: 'x-rotor-deadline-ms',
      },
    );
  }
  return Number(text);
}

function outcomeOf(err: unknown): string {
  if (err instanceof CancelledError) return 'cancelled';
  if (err instanceof RotorError) return err.code ?? err.type;
  return 'internal_error';
}
