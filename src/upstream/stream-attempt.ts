/**
 * One streaming chat attempt against one upstream: sends the request, waits for headers,
 * turns the SSE body into parsed chunks, and enforces the attempt's timeouts. It is its own
 * async iterator, fed by the socket through a small queue, so a chunk costs one JSON.parse
 * and one queue slot — no per-chunk streams, generators or timers.
 *
 * Timers: `total` runs from the start; a single phase timer runs first-token (until the first
 * data chunk), then idle (re-armed with `refresh()` on every data chunk). Keep-alive comments
 * reset neither: a model that only says "processing" is silent.
 */
import type { Dispatcher } from 'undici';
import type { ChatCompletion, ChatCompletionChunk, Usage } from '../chat/chat-types.js';
import { completionToChunks } from '../chat/completion-to-chunks.js';
import { setRawChunkText } from '../chat/raw-chunk-text.js';
import type { Failure } from '../engine/failure.js';
import type { BatchedChunkSource, TransportRequest } from './chat-transport.js';
import { UpstreamFailure } from './chat-transport.js';
import { classifyBodyError, classifyHttpError } from './classify.js';
import { classifyNetworkError } from './classify-network-error.js';
import { redactSecrets } from './redact-secrets.js';
import { type SseEvent, SseParser } from './sse-parser.js';
import { UpstreamAbort } from './upstream-abort.js';

type Body = Dispatcher.ResponseData['body'];

/** Pause the socket when this many parsed chunks wait for a slow consumer; resume below the low mark. */
const QUEUE_HIGH_WATER = 128;
const QUEUE_LOW_WATER = 16;
/** Error bodies are small; anything beyond this is cut (the status still classifies). */
const ERROR_BODY_LIMIT_BYTES = 64 * 1024;
/** A whole non-streamed completion. */
const JSON_BODY_LIMIT_BYTES = 16 * 1024 * 1024;
/** After `[DONE]`, wait this long for the body's end before reporting success anyway, ms. */
const DONE_GRACE_MS = 50;
/** After `[DONE]`, read at most this much trailing body to keep the connection reusable. */
const DRAIN_LIMIT_BYTES = 64 * 1024;

/** Why the attempt ended; `done` is success. */
type Terminal =
  | { kind: 'done' }
  | { kind: 'failure'; failure: Failure }
  | { kind: 'aborted'; reason: unknown };

type Waiter =
  | {
      batch: false;
      resolve: (r: IteratorResult<ChatCompletionChunk>) => void;
      reject: (e: unknown) => void;
    }
  | { batch: true; resolve: (r: ChatCompletionChunk[] | null) => void; reject: (e: unknown) => void };

export class StreamAttempt implements AsyncIterableIterator<ChatCompletionChunk>, BatchedChunkSource {
  private readonly ac = new UpstreamAbort();
  private readonly parser = new SseParser();
  private body: Body | undefined;
  private headers: Dispatcher.ResponseData['headers'] | undefined;
  private totalTimer: NodeJS.Timeout | undefined;
  private phaseTimer: NodeJS.Timeout | undefined;
  private resolveOpen: ((it: AsyncIterable<ChatCompletionChunk>) => void) | undefined;
  private rejectOpen: ((err: unknown) => void) | undefined;

  /** Handed over whole by `nextBatch` (then replaced), or one by one from `head` by `next`. */
  private queue: ChatCompletionChunk[] = [];
  private head = 0;
  private waiter: Waiter | undefined;
  /** Set once; chunks still queued are delivered before it takes effect (except for aborts). */
  private terminal: Terminal | undefined;
  /** The terminal error was already thrown to the consumer; further `next()` calls report done. */
  private reported = false;

  private gotData = false;
  private sawFinish = false;
  private contentYielded = false;
  private paused = false;
  private sawDone = false;
  private drainedBytes = 0;
  /** The whole HTTP response was read (error or JSON answers): nothing to abort on failure. */
  private responseEnded = false;

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly options: Dispatcher.RequestOptions,
    private readonly req: TransportRequest,
    private readonly nowMs: () => number,
  ) {}

  /** Send the request. Resolves with `this` on 2xx headers (or a parsed JSON completion). */
  start(): Promise<AsyncIterable<ChatCompletionChunk>> {
    const signal = this.req.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      this.resolveOpen = resolve;
      this.rejectOpen = reject;
      signal?.addEventListener('abort', this.onUserAbort, { once: true });
      const t = this.req.timeouts;
      this.totalTimer = setTimeout(this.onTotalTimeout, t.totalMs);
      this.phaseTimer = setTimeout(this.onFirstTokenTimeout, t.firstTokenMs);
      this.options.signal = this.ac;
      this.dispatcher.request(this.options).then(this.onResponse, this.onRequestError);
    });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<ChatCompletionChunk>> {
    if (this.head < this.queue.length) return Promise.resolve({ value: this.shift(), done: false });
    const t = this.terminal;
    if (t) return this.settledResult(t);
    if (this.waiter)
      return Promise.reject(new Error('StreamAttempt: concurrent next() calls are not supported'));
    return new Promise((resolve, reject) => {
      this.waiter = { batch: false, resolve, reject };
    });
  }

  /**
   * Every chunk parsed so far and not yet taken (at least one), or null at a clean end. A waiting
   * call is woken once per socket read, with all the chunks that read completed: one promise per
   * read rather than per chunk. Rejects as `next()` would. Do not mix with `next()` on one attempt.
   */
  nextBatch(): Promise<ChatCompletionChunk[] | null> {
    if (this.head < this.queue.length) return Promise.resolve(this.takeAll());
    const t = this.terminal;
    if (t) return this.settledBatch(t);
    if (this.waiter)
      return Promise.reject(new Error('StreamAttempt: concurrent next() calls are not supported'));
    return new Promise((resolve, reject) => {
      this.waiter = { batch: true, resolve, reject };
    });
  }

  /** The consumer stopped early (`break`): abort the upstream request so no socket is left streaming. */
  return(): Promise<IteratorResult<ChatCompletionChunk>> {
    if (!this.terminal) this.finish({ kind: 'aborted', reason: new Error('consumer stopped reading') });
    this.reported = true;
    this.queue.length = 0;
    this.head = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  // ---- response handling ----

  private readonly onResponse = (res: Dispatcher.ResponseData): void => {
    if (this.terminal) {
      res.body.on('error', noop).destroy();
      return;
    }
    const status = res.statusCode;
    this.headers = res.headers;
    if (this.req.onResponse) {
      try {
        this.req.onResponse(status, res.headers);
      } catch {
        // An observer's bug must not fail the attempt.
      }
    }
    if (status < 200 || status >= 300) {
      readBodyText(res.body, ERROR_BODY_LIMIT_BYTES).then((r) => {
        this.responseEnded = r.complete;
        const classify = this.req.classifyError ?? classifyHttpError;
        this.fail(classify(status, res.headers, r.text, this.nowMs()));
      }, this.onRequestError);
      return;
    }
    const contentType = res.headers['content-type'];
    const ct = Array.isArray(contentType) ? contentType[0] : contentType;
    if (ct?.includes('json')) {
      readBodyText(res.body, JSON_BODY_LIMIT_BYTES).then((r) => {
        this.responseEnded = r.complete;
        if (r.complete) this.onJsonBody(r.text);
        else this.fail({ kind: 'server_error', status, message: 'Upstream JSON body is too large' });
      }, this.onRequestError);
      return;
    }
    const body = res.body;
    this.body = body;
    body.on('data', this.onData);
    body.on('end', this.onEnd);
    body.on('error', this.onBodyError);
    this.opened();
  };

  /** Some providers ignore `stream: true` and answer with one JSON completion. */
  private onJsonBody(text: string): void {
    if (this.terminal) return;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      this.fail({ kind: 'server_error', status: 200, message: 'Upstream sent a malformed JSON body' });
      return;
    }
    const failure = this.bodyError(obj, text);
    if (failure) {
      this.fail(failure);
      return;
    }
    const completion = obj as ChatCompletion;
    if (completion.usage) this.noteUsage(completion.usage);
    if (!Array.isArray(completion.choices) || completion.choices.length === 0) {
      this.fail({ kind: 'server_error', status: 200, message: 'Upstream sent a completion without choices' });
      return;
    }
    for (const c of completionToChunks(completion)) this.queue.push(c);
    this.finish({ kind: 'done' });
    this.opened();
  }

  private readonly onData = (buf: Buffer): void => {
    if (this.terminal) {
      if (this.terminal.kind === 'done') {
        this.drainedBytes += buf.length;
        if (this.drainedBytes > DRAIN_LIMIT_BYTES) this.body?.destroy();
      }
      return;
    }
    const events = this.parser.push(buf);
    for (let i = 0; i < events.length; i++) {
      this.onEvent(events[i]!);
      if (this.terminal) return;
    }
    this.flushBatch();
    if (!this.paused && !this.sawDone && this.queue.length - this.head > QUEUE_HIGH_WATER) {
      this.paused = true;
      this.body?.pause();
    }
  };

  private readonly onEnd = (): void => {
    if (this.terminal) return;
    const events = this.parser.end();
    for (let i = 0; i < events.length; i++) {
      this.onEvent(events[i]!);
      if (this.terminal) return;
    }
    this.flushBatch();
    if (this.sawDone) {
      // undici hands the socket back to its pool in a setImmediate after the message ends;
      // report success just after that, so an immediate next request reuses this socket.
      setImmediate(this.onDoneGrace);
      return;
    }
    // A stream that delivered its finish_reason and then closed cleanly is complete: the answer
    // is whole, only the terminator is missing (some providers never send it). Without a finish
    // reason the answer may be cut anywhere: that is a failure.
    if (this.sawFinish) {
      this.finish({ kind: 'done' });
      return;
    }
    this.fail({
      kind: 'server_error',
      status: 200,
      message: 'Upstream stream ended without a finish_reason (the answer is incomplete)',
    });
  };

  private onEvent(ev: SseEvent): void {
    if (this.sawDone) return; // nothing after [DONE] matters
    if (ev.type === 'data') this.onChunkText(ev.data);
    else if (ev.type === 'done') {
      if (!this.sawFinish) {
        this.fail({
          kind: 'server_error',
          status: 200,
          message: 'Upstream stream ended without a finish_reason',
        });
        return;
      }
      // Report success when the body ends, not now: the end of the HTTP message is usually a
      // packet behind, and a consumer that starts its next request at once should find this
      // socket back in the pool rather than open a new one. A body that does not end soon is
      // not waited for.
      this.sawDone = true;
      clearTimeout(this.totalTimer);
      clearTimeout(this.phaseTimer);
      this.phaseTimer = setTimeout(this.onDoneGrace, DONE_GRACE_MS);
      if (this.paused) {
        this.paused = false;
        this.body?.resume();
      }
    }
    // keep-alives: deliberately nothing (they reset no timer).
  }

  private readonly onDoneGrace = (): void => {
    this.finish({ kind: 'done' });
  };

  private onChunkText(text: string): void {
    let chunk: ChatCompletionChunk;
    try {
      chunk = JSON.parse(text);
    } catch {
      this.fail({ kind: 'server_error', status: 200, message: 'Upstream sent a malformed stream chunk' });
      return;
    }
    if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk)) {
      this.fail({
        kind: 'server_error',
        status: 200,
        message: 'Upstream sent a stream chunk that is not an object',
      });
      return;
    }
    const choices = chunk.choices;
    if (chunk.error !== undefined || hasErrorFinish(choices)) {
      this.fail(
        this.bodyError(chunk, text) ?? {
          kind: 'server_error',
          status: 200,
          message: 'Upstream sent an error chunk',
        },
      );
      return;
    }
    if (chunk.usage) this.noteUsage(chunk.usage);
    if (choices === undefined || choices === null) chunk.choices = [];
    else if (!Array.isArray(choices)) {
      this.fail({
        kind: 'server_error',
        status: 200,
        message: 'Upstream sent a stream chunk with invalid choices',
      });
      return;
    } else {
      if (!this.sawFinish) {
        for (let i = 0; i < choices.length; i++) if (choices[i]?.finish_reason != null) this.sawFinish = true;
      }
      // Unchanged and on one line (a multi-line `data:` event would break the client's framing):
      // the gateway can forward this text as is.
      // (Not kept when the router assembles the answer: no chunk is forwarded then.)
      if (this.req.keepRawText !== false && text.indexOf('\n') === -1) setRawChunkText(chunk, text);
    }

    if (this.gotData) this.phaseTimer?.refresh();
    else {
      this.gotData = true;
      clearTimeout(this.phaseTimer);
      this.phaseTimer = setTimeout(this.onIdleTimeout, this.req.timeouts.idleMs);
    }

    const w = this.waiter;
    if (w && !w.batch) {
      this.waiter = undefined;
      this.noteYield(chunk);
      w.resolve({ value: chunk, done: false });
    } else {
      this.queue.push(chunk); // a batch waiter takes the whole read at its end (`flushBatch`)
    }
  }

  /** An error inside a 200 (a JSON body or a stream chunk), classified as this upstream's errors are. */
  private bodyError(obj: unknown, text: string): Failure | undefined {
    const classify = this.req.classifyError;
    if (!classify) return classifyBodyError(obj, 200, this.nowMs());
    const o = obj as { error?: unknown; choices?: unknown } | null;
    if (o?.error === undefined && !hasErrorFinish(o?.choices)) return undefined;
    return classify(200, this.headers ?? {}, text, this.nowMs());
  }

  private noteUsage(usage: Usage): void {
    if (!this.req.onUsage) return;
    try {
      this.req.onUsage(usage);
    } catch {
      // An observer's bug must not fail the attempt.
    }
  }

  /** Wake a waiting `nextBatch` with what the last socket read completed. */
  private flushBatch(): void {
    const w = this.waiter;
    if (w?.batch && this.head < this.queue.length) {
      this.waiter = undefined;
      w.resolve(this.takeAll());
    }
  }

  // ---- failures, timeouts, aborts ----

  private readonly onTotalTimeout = (): void => {
    this.fail({
      kind: 'timeout',
      phase: 'total',
      message: `Upstream attempt exceeded ${this.req.timeouts.totalMs} ms`,
    });
  };

  private readonly onFirstTokenTimeout = (): void => {
    this.fail({
      kind: 'timeout',
      phase: 'first_token',
      message: `No first token from upstream within ${this.req.timeouts.firstTokenMs} ms`,
    });
  };

  private readonly onIdleTimeout = (): void => {
    // While paused for a slow consumer, the silence is ours, not the upstream's.
    if (this.paused) {
      this.phaseTimer?.refresh();
      return;
    }
    this.fail({
      kind: 'timeout',
      phase: 'idle',
      message: `Upstream stream stalled for ${this.req.timeouts.idleMs} ms`,
    });
  };

  private readonly onUserAbort = (): void => {
    this.finish({ kind: 'aborted', reason: this.req.signal?.reason });
  };

  private readonly onRequestError = (err: unknown): void => {
    if (!this.terminal) this.fail(classifyNetworkError(err));
  };

  private readonly onBodyError = (err: unknown): void => {
    if (this.terminal) return;
    // After [DONE] the answer is complete; a connection lost while draining changes nothing.
    if (this.sawDone) this.finish({ kind: 'done' });
    else this.fail(classifyNetworkError(err));
  };

  private fail(failure: Failure): void {
    const key = this.req.upstream.apiKey;
    if (key && failure.message.includes(key)) failure.message = redactSecrets(failure.message, [key]);
    this.finish({ kind: 'failure', failure });
  }

  /** Settle the attempt once: stop timers, release or destroy the connection, wake whoever waits. */
  private finish(t: Terminal): void {
    if (this.terminal) return;
    this.terminal = t;
    clearTimeout(this.totalTimer);
    clearTimeout(this.phaseTimer);
    this.req.signal?.removeEventListener('abort', this.onUserAbort);

    if (t.kind === 'done') {
      // Keep reading the few trailing bytes (`onData` counts and discards them) so undici can
      // reuse the socket; a body that never ends is cut by undici's bodyTimeout backstop.
      // undici's `dump()` does not fit: its limit counts the whole body, not what is left.
      const body = this.body;
      if (body && !body.readableEnded && this.paused) {
        this.paused = false;
        body.resume();
      }
    } else if (!this.responseEnded) {
      // Destroys the socket whether we are still waiting for headers or mid-body. (A fully read
      // error answer leaves the socket alone: it is healthy and back in the pool.)
      this.ac.abort(t.kind === 'aborted' ? t.reason : new UpstreamFailure(t.failure));
      this.body?.destroy();
    }
    // An abort drops undelivered chunks: the caller no longer wants them.
    if (t.kind === 'aborted') {
      this.queue.length = 0;
      this.head = 0;
    }

    if (this.rejectOpen && t.kind !== 'done') {
      const reject = this.rejectOpen;
      this.resolveOpen = this.rejectOpen = undefined;
      this.reported = true;
      reject(t.kind === 'aborted' ? t.reason : new UpstreamFailure(t.failure, false));
      return;
    }
    const w = this.waiter;
    if (!w) return;
    if (this.head < this.queue.length) {
      // Chunks completed before the end are delivered first; the end shows at the next call.
      if (w.batch) {
        this.waiter = undefined;
        w.resolve(this.takeAll());
      }
      return;
    }
    this.waiter = undefined;
    if (w.batch) this.settledBatch(t).then(w.resolve, w.reject);
    else this.settledResult(t).then(w.resolve, w.reject);
  }

  private opened(): void {
    const resolve = this.resolveOpen;
    this.resolveOpen = this.rejectOpen = undefined;
    resolve?.(this);
  }

  private settledResult(t: Terminal): Promise<IteratorResult<ChatCompletionChunk>> {
    if (t.kind === 'done' || this.reported) return Promise.resolve({ value: undefined, done: true });
    this.reported = true;
    return Promise.reject(
      t.kind === 'aborted' ? t.reason : new UpstreamFailure(t.failure, this.contentYielded),
    );
  }

  private settledBatch(t: Terminal): Promise<ChatCompletionChunk[] | null> {
    if (t.kind === 'done' || this.reported) return Promise.resolve(null);
    return this.settledResult(t) as Promise<never>; // rejects
  }

  private takeAll(): ChatCompletionChunk[] {
    const batch = this.head === 0 ? this.queue : this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    if (this.paused) {
      this.paused = false;
      this.phaseTimer?.refresh();
      this.body?.resume();
    }
    for (let i = 0; i < batch.length && !this.contentYielded; i++) this.noteYield(batch[i]!);
    return batch;
  }

  private shift(): ChatCompletionChunk {
    const chunk = this.queue[this.head]!;
    this.head++;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    if (this.paused && this.queue.length - this.head <= QUEUE_LOW_WATER) {
      this.paused = false;
      this.phaseTimer?.refresh();
      this.body?.resume();
    }
    this.noteYield(chunk);
    return chunk;
  }

  private noteYield(chunk: ChatCompletionChunk): void {
    if (!this.contentYielded && carriesContent(chunk)) this.contentYielded = true;
  }
}

function hasErrorFinish(choices: unknown): boolean {
  if (!Array.isArray(choices)) return false;
  for (let i = 0; i < choices.length; i++) {
    const c = choices[i] as { finish_reason?: unknown } | null;
    if (c?.finish_reason === 'error') return true;
  }
  return false;
}

/** Text, reasoning, refusal or a tool call reached the consumer: a failover would now show. */
function carriesContent(chunk: ChatCompletionChunk): boolean {
  for (const c of chunk.choices) {
    const d = c.delta;
    if (!d) continue;
    if (d.content || d.reasoning || d.refusal || (d.tool_calls && d.tool_calls.length > 0)) return true;
  }
  return false;
}

/**
 * Read a body as UTF-8 text, keeping at most `limitBytes` (then the connection is dropped and
 * `complete` is false). Resolves one macrotask after the end: undici returns the socket to its
 * pool in a `setImmediate`, and a caller that retries at once should find it there.
 */
function readBodyText(body: Body, limitBytes: number): Promise<{ text: string; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    body.on('data', (b: Buffer) => {
      if (size >= limitBytes) return;
      parts.push(b);
      size += b.length;
      if (size >= limitBytes) {
        body.destroy();
        resolve({ text: Buffer.concat(parts).subarray(0, limitBytes).toString('utf8'), complete: false });
      }
    });
    body.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      setImmediate(() => resolve({ text, complete: true }));
    });
    body.on('error', reject);
  });
}

function noop(): void {}
