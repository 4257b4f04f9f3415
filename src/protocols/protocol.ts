/**
 * What a client protocol (Anthropic Messages, OpenAI Responses) supplies so that its route runs
 * through the same loop as Chat Completions: the request translated to a chat request, the
 * answer and the chunk stream translated back, and errors in its own wire shape.
 */
import type { ChatRequest } from '../chat/chat-request-schema.js';
import type { ChatCompletion, ChatCompletionChunk } from '../chat/chat-types.js';
import type { SseEvent } from './sse-event.js';

export interface StreamTranslator {
  push(chunk: ChatCompletionChunk): SseEvent[];
  /** The answer is whole. */
  end(): SseEvent[];
  /** The answer was cut by a failure the loop did not turn into a chunk (cancellation, shutdown). */
  error(code: number | string, message: string): SseEvent[];
}

export interface TranslateContext {
  /** Model alias map (see `model-alias.ts`). */
  aliases: Readonly<Record<string, string>>;
  nowMs: number;
  /** A fresh id with a prefix: `msg_…`, `resp_…`. */
  newId(prefix: string): string;
}

export interface Protocol<S> {
  /** Metrics label and log name: `messages`, `responses`. */
  readonly route: string;
  translate(body: unknown, ctx: TranslateContext): { chat: ChatRequest; state: S };
  toJson(completion: ChatCompletion, state: S): unknown;
  stream(state: S): StreamTranslator;
  /** A whole answer went out (plain or streamed). */
  finished?(state: S): void;
  toWire(err: unknown): { status: number; body: unknown; headers: Record<string, string> };
}
