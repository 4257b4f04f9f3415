/**
 * One upstream attempt in flight, read in two phases. The *head* runs on its own as soon as the
 * attempt starts: it opens the stream and reads until the first content chunk (or a clean end, or
 * a failure), holding every chunk back. Because it runs on its own, the loop can race two heads —
 * a slow attempt and its hedge — and pick whoever shows content first. The *follow* phase then
 * reads the winner's remaining chunks one batch at a time for the loop to hand out.
 *
 * rotor stops a race's loser on its own (`abandon`); the client's disconnect still aborts every
 * attempt through the request's signal.
 */
import type { ChatCompletionChunk } from '../chat/chat-types.js';
import { forgetRawChunkText } from '../chat/raw-chunk-text.js';
import type { Clock } from '../engine/clock.js';
import type { Lease } from '../engine/engine-types.js';
import { type BatchedChunkSource, isBatchedChunkSource } from '../upstream/chat-transport.js';
import type { ChatTransport, TransportRequest } from '../upstream/upstream-client.js';
import type { UpstreamConfig } from '../upstream/upstream-config.js';
import type { TimeoutsOptions } from './rotor-options.js';
import { hasContent } from './stream-chunks.js';

/** How a head ended: content arrived, the stream ended without any, or it failed (never rejects). */
export type HeadResult = { kind: 'content' } | { kind: 'end' } | { kind: 'error'; error: unknown };

export interface AttemptStart {
  transport: ChatTransport;
  clock: Clock;
  lease: Lease;
  upstream: UpstreamConfig;
  body: Record<string, unknown>;
  timeouts: TimeoutsOptions;
  /** The request's signal: aborting it aborts this attempt. */
  signal: AbortSignal | undefined;
  deadlineAt: number;
  /** Keep upstream chunk text for forwarding as is (streamed answers). */
  keepRawText: boolean;
  /**
   * Give it its own abort controller, so that it can be stopped at once even before its upstream
   * answered (hedges). Others use the request's signal: a fresh signal with the transport's
   * listener on it costs ~3 µs per attempt, and is only needed for that rare case (see `abandon`).
   */
  ownController: boolean;
  /** Pooled providers: the model's upstream id and the provider's hooks (classification, quota headers, usage). */
  extras?: Partial<TransportRequest> | undefined;
}

/** Why rotor stopped an attempt itself (another attempt won the race). */
export class AttemptAbandoned extends Error {
  override readonly name = 'AttemptAbandoned';
}

export class LiveAttempt {
  readonly lease: Lease;
  readonly startedMs: number;
  /** Chunks read and not yet handed out. */
  pending: ChatCompletionChunk[] = [];
  ttftMs: number | undefined;
  /** The upstream's completion id: an in-band error chunk carries the stream's own id. */
  streamId: string | undefined;
  /** rotor stopped it (it lost a race): however it ends, that is no verdict on the model. */
  abandoned = false;
  /** Started as a hedge of a silent attempt. */
  hedge = false;
  readonly head: Promise<HeadResult>;
  private source: BatchedChunkSource | undefined;
  private iterator: AsyncIterator<ChatCompletionChunk> | undefined;
  private sourceDone = false;
  private readonly controller: AbortController | undefined;
  private readonly requestSignal: AbortSignal | undefined;
  private readonly clock: Clock;
  private readonly onRequestAbort = (): void => this.controller?.abort(this.requestSignal?.reason);

  constructor(start: AttemptStart) {
    this.lease = start.lease;
    this.clock = start.clock;
    this.startedMs = start.clock.now();
    this.requestSignal = start.signal;
    if (start.ownController) {
      this.controller = new AbortController();
      if (start.signal?.aborted) this.controller.abort(start.signal.reason);
      else start.signal?.addEventListener('abort', this.onRequestAbort, { once: true });
    }
    this.head = this.readHead(start);
  }

  get model(): string {
    return this.lease.model;
  }

  /** The request itself was aborted (the client left, a shutdown): no verdict on the model. */
  get requestAborted(): boolean {
    return this.requestSignal?.aborted === true;
  }

  /**
   * The next chunks after the head, or null at a clean end. Rejects as the source does
   * (UpstreamFailure, or the abort reason).
   */
  async nextBatch(): Promise<ChatCompletionChunk[] | null> {
    let batch: ChatCompletionChunk[] | null;
    try {
      if (this.source) batch = await this.source.nextBatch();
      else {
        const r = await this.iterator!.next();
        batch = r.done ? null : [r.value];
      }
    } catch (err) {
      this.sourceDone = true;
      throw err;
    }
    if (batch === null) {
      this.sourceDone = true;
      return null;
    }
    for (let i = 0; i < batch.length; i++) this.see(batch[i]!);
    return batch;
  }

  /** Stop the upstream stream (it lost the race, or the consumer stopped). Idempotent. */
  async stop(): Promise<void> {
    if (!this.sourceDone) {
      this.sourceDone = true;
      await (this.source ?? this.iterator)?.return?.();
    }
  }

  /**
   * Abandon the attempt (it lost a race); its lease is the caller's to release. With its own
   * controller it is aborted at once. Otherwise an open stream is stopped at once (the transport
   * aborts the upstream request); one whose upstream has not answered yet is stopped as soon as it
   * does — its socket may stay up to the first-token limit, but nothing waits for it.
   */
  abandon(): void {
    this.abandoned = true;
    if (this.controller) this.controller.abort(new AttemptAbandoned('another attempt answered first'));
    // Nobody awaits this stop: a transport whose return() rejects must not become an unhandled rejection.
    else if (this.source || this.iterator) this.stop().catch(() => {});
  }

  /** Forget the link to the request's signal (the attempt is over). */
  dispose(): void {
    if (this.controller) this.requestSignal?.removeEventListener('abort', this.onRequestAbort);
  }

  private async readHead(start: AttemptStart): Promise<HeadResult> {
    try {
      const stream = await start.transport.openStream({
        upstream: start.upstream,
        model: start.lease.model,
        body: start.body,
        signal: this.controller ? this.controller.signal : start.signal,
        timeouts: { ...start.timeouts, totalMs: Math.max(1, start.deadlineAt - this.clock.now()) },
        // A collected answer is assembled, never forwarded chunk by chunk: no upstream text to keep.
        keepRawText: start.keepRawText,
        ...start.extras,
      });
      // Whole batches when the source offers them (fewer async hops per chunk).
      if (isBatchedChunkSource(stream)) this.source = stream;
      else this.iterator = stream[Symbol.asyncIterator]();
      if (this.abandoned) {
        await this.stop(); // abandoned while its upstream had not answered yet
        return { kind: 'error', error: new AttemptAbandoned('another attempt answered first') };
      }
      for (;;) {
        const batch = await this.nextBatch();
        if (batch === null) return { kind: 'end' };
        let content = false;
        for (let i = 0; i < batch.length; i++) {
          this.pending.push(batch[i]!);
          if (!content && hasContent(batch[i]!)) content = true;
        }
        if (content) return { kind: 'content' };
      }
    } catch (error) {
      return { kind: 'error', error };
    }
  }

  /** Every chunk read: note the stream's id and first token, name the model where the upstream did not. */
  private see(chunk: ChatCompletionChunk): void {
    this.streamId ??= chunk.id;
    if (!chunk.model) {
      chunk.model = this.lease.model;
      forgetRawChunkText(chunk);
    }
    if (this.ttftMs === undefined && hasContent(chunk)) this.ttftMs = this.clock.now() - this.startedMs;
  }
}
