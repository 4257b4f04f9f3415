/**
 * The frame every protocol's stream translator shares: the opening events once, then each chunk's
 * delta, the finish reason and usage remembered for the end, and exactly one ending — the
 * protocol's completion events, or its failure event when a chunk carries an in-band error or the
 * route reports a failure. Subclasses say what each of these looks like on their wire.
 */
import type { ChatCompletionChunk, ChunkDelta, FinishReason, Usage } from '../chat/chat-types.js';
import type { StreamTranslator } from './protocol.js';
import type { SseEvent } from './sse-event.js';

export abstract class ChunkTranslator implements StreamTranslator {
  private started = false;
  private ended = false;
  /** The answering model, once a chunk names it. */
  protected model: string;
  protected usage: Usage | undefined;
  protected finish: FinishReason | null = null;
  protected nativeFinish: string | null | undefined;

  constructor(model: string) {
    this.model = model;
  }

  push(chunk: ChatCompletionChunk): SseEvent[] {
    const out: SseEvent[] = [];
    if (chunk.model) this.model = chunk.model;
    this.begin(out);
    if (chunk.error) {
      this.fail(out, chunk.error.code, chunk.error.message);
      return out;
    }
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (!choice) return out;
    if (choice.delta) this.delta(out, choice.delta);
    if (choice.finish_reason != null) this.finish = choice.finish_reason;
    if (choice.native_finish_reason != null) this.nativeFinish = choice.native_finish_reason;
    return out;
  }

  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.ended) return out;
    this.begin(out);
    this.close(out);
    this.ended = true;
    this.completed(out);
    return out;
  }

  error(code: number | string, message: string): SseEvent[] {
    const out: SseEvent[] = [];
    this.fail(out, code, message);
    return out;
  }

  /** The events that open the stream (`message_start`, `response.created`, …). */
  protected abstract opening(out: SseEvent[]): void;
  /** One chunk's delta as events. */
  protected abstract delta(out: SseEvent[], delta: ChunkDelta): void;
  /** Close the open content block or output item, if any. */
  protected abstract close(out: SseEvent[]): void;
  /** The events of a whole answer (after `close`). */
  protected abstract completed(out: SseEvent[]): void;
  /** The event that ends a cut answer (open blocks stay open: they were cut). */
  protected abstract failed(out: SseEvent[], code: number | string, message: string): void;

  private begin(out: SseEvent[]): void {
    if (this.started) return;
    this.started = true;
    this.opening(out);
  }

  private fail(out: SseEvent[], code: number | string, message: string): void {
    if (this.ended) return;
    this.begin(out);
    this.ended = true;
    this.failed(out, code, message);
  }
}
