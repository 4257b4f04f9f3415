/**
 * The contract between the router and whatever carries a chat request to an upstream.
 * The router relies on these exact names; `UpstreamClient` is the real implementation.
 */
import type { ChatCompletionChunk, Usage } from '../chat/chat-types.js';
import type { Failure } from '../engine/failure.js';
import type { HeaderMap } from './classify.js';
import type { UpstreamConfig } from './upstream-config.js';

/** Per-attempt time limits, all in milliseconds. */
export interface AttemptTimeouts {
  /**
   * TCP/TLS connection establishment. Pass a stable (configured) value, not one derived from a
   * remaining deadline: undici fixes it per pool, so each distinct value gets its own pool.
   */
  connectMs: number;
  /** From sending the request to the first data chunk (keep-alive comments do not count). */
  firstTokenMs: number;
  /** Longest gap between two data chunks once streaming. */
  idleMs: number;
  /** The whole attempt, from sending to `[DONE]`. */
  totalMs: number;
}

export interface TransportRequest {
  upstream: UpstreamConfig;
  /** Upstream model id; overrides `body.model`. */
  model: string;
  /** The client's request body; `stream` and `stream_options` are overridden. */
  body: Record<string, unknown>;
  /** Aborting destroys the upstream request at once; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
  timeouts: AttemptTimeouts;
  /**
   * Keep each chunk's upstream JSON text beside it (`rawChunkText`) so it can be forwarded as is.
   * Default true; the router turns it off when it assembles a whole answer and forwards no chunk.
   */
  keepRawText?: boolean;
  /**
   * Ask for the answer's token usage in the stream (`stream_options.include_usage`). Default true;
   * false for upstreams that reject `stream_options` (Mistral's 422).
   */
  includeUsage?: boolean;
  /** Told every answer's status and headers, errors included (pooled providers learn quota from them). */
  onResponse?: (status: number, headers: HeaderMap) => void;
  /** Told the answer's token usage when the upstream reports it. */
  onUsage?: (usage: Usage) => void;
  /**
   * Classifies an error answer of this upstream: a non-2xx status, or an error inside a 200 (then
   * `status` is 200 and `bodyText` the error's JSON). Default: OpenRouter's classifier.
   */
  classifyError?: (status: number, headers: HeaderMap, bodyText: string, nowMs: number) => Failure;
}

export interface ChatTransport {
  /** Resolves once the upstream accepted the request (2xx headers). Rejects with UpstreamFailure otherwise.
   *  The iterable yields parsed chunks (keep-alive comments are not yielded) and throws UpstreamFailure on
   *  mid-stream error chunks, malformed chunks, a stream that ends without [DONE] or without any finish_reason,
   *  first-token timeout (first data chunk; keep-alives do not count), idle timeout between chunks, total timeout. */
  openStream(req: TransportRequest): Promise<AsyncIterable<ChatCompletionChunk>>;
}

/**
 * Optional on what `openStream` resolves to: the same chunks, handed over per socket read rather
 * than one promise per chunk (the router prefers it; per-chunk async hops dominated its CPU).
 */
export interface BatchedChunkSource {
  /** At least one chunk, or null at a clean end; rejects as iterating would (UpstreamFailure, abort reason). */
  nextBatch(): Promise<ChatCompletionChunk[] | null>;
  /**
   * The consumer stopped early: stop the upstream stream — at once, even while a read is pending
   * (rotor stops a hedge race's loser this way; a generator's own `return()` would wait for it).
   */
  return?(): Promise<unknown>;
}

export function isBatchedChunkSource(x: unknown): x is BatchedChunkSource {
  return typeof (x as Partial<BatchedChunkSource> | null)?.nextBatch === 'function';
}

/** An attempt failed for a reason the engine understands. */
export class UpstreamFailure extends Error {
  override readonly name = 'UpstreamFailure';
  constructor(
    readonly failure: Failure,
    /** Whether content (text, reasoning or tool calls) had already been handed to the consumer: no clean failover then. */
    readonly afterContent: boolean = false,
  ) {
    super(failure.message);
  }
}
