/**
 * A transport for virtual-time tests whose models follow a script: time to first token, the words
 * they answer, the pause between chunks, and how they fail (before content, or cut after some
 * chunks). Realistic where the loop cares: a stream opens with a role-only chunk, errors take time,
 * aborts are honoured at once (and recorded, so tests can see that a loser was stopped).
 */
import type { ChatCompletionChunk } from '../src/chat/chat-types.js';
import type { ManualClock } from '../src/engine/clock.js';
import type { Failure } from '../src/engine/failure.js';
import type { ChatTransport, TransportRequest } from '../src/upstream/chat-transport.js';
import { UpstreamFailure } from '../src/upstream/chat-transport.js';

export interface ModelScript {
  /** Until headers (the request is accepted), ms (or a function of the call number, 0-based). */
  acceptMs?: number | ((call: number) => number);
  /** From acceptance to the first content chunk, ms (or a function of the call number, 0-based). */
  ttftMs: number | ((call: number) => number);
  /** Content pieces, one per chunk. */
  words?: string[];
  /** Pause between content chunks, ms. */
  gapMs?: number;
  /** Fails before any content, after `acceptMs`. */
  failBefore?: Failure;
  /** Stops after this many content chunks with this failure (a cut). */
  cutAfter?: { chunks: number; failure: Failure };
  /** Answer with a tool call instead of text (its arguments in `words`). */
  toolCall?: boolean;
}

export interface ScriptedCall {
  model: string;
  body: Record<string, unknown>;
  startedMs: number;
  /** Set when the caller aborted it: the time, ms. */
  abortedMs?: number;
  /** Content chunks it produced before it ended. */
  produced: number;
}

export class ScriptedModels implements ChatTransport {
  readonly calls: ScriptedCall[] = [];
  private readonly perModel = new Map<string, number>();

  constructor(
    private readonly clock: ManualClock,
    private readonly scripts: Record<string, ModelScript>,
  ) {}

  callsTo(model: string): ScriptedCall[] {
    return this.calls.filter((c) => c.model === model);
  }

  async openStream(req: TransportRequest): Promise<AsyncIterable<ChatCompletionChunk>> {
    const script = this.scripts[req.model];
    if (!script) throw new Error(`no script for ${req.model}`);
    const n = this.perModel.get(req.model) ?? 0;
    this.perModel.set(req.model, n + 1);
    const call: ScriptedCall = { model: req.model, body: req.body, startedMs: this.clock.now(), produced: 0 };
    this.calls.push(call);
    const clock = this.clock;
    // Like the real transport: the caller's signal or the consumer's return() stops it at once.
    const stop = new AbortController();
    if (req.signal?.aborted) stop.abort(req.signal.reason);
    req.signal?.addEventListener('abort', () => stop.abort(req.signal?.reason), { once: true });
    const signal = stop.signal;
    const sleep = async (ms: number) => {
      try {
        await clock.sleep(ms, signal);
      } catch (err) {
        call.abortedMs = clock.now();
        throw err;
      }
    };
    await sleep(typeof script.acceptMs === 'function' ? script.acceptMs(n) : (script.acceptMs ?? 50));
    if (script.failBefore) throw new UpstreamFailure({ ...script.failBefore });
    const id = `gen-${req.model}-${n}`;
    const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finish: string | null) => ({
      id,
      object: 'chat.completion.chunk' as const,
      created: 0,
      model: req.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const ttft = typeof script.ttftMs === 'function' ? script.ttftMs(n) : script.ttftMs;
    const words = script.words ?? ['Hello', ' world', '.'];
    const chunks = (async function* () {
      yield chunk({ role: 'assistant', content: '' }, null);
      await sleep(ttft);
      for (let i = 0; i < words.length; i++) {
        if (i > 0) await sleep(script.gapMs ?? 10);
        if (script.cutAfter && i === script.cutAfter.chunks)
          throw new UpstreamFailure({ ...script.cutAfter.failure }, true);
        call.produced++;
        yield script.toolCall
          ? chunk(
              {
                tool_calls: [
                  {
                    index: 0,
                    ...(i === 0 ? { id: 'call_1', type: 'function' as const } : {}),
                    function: { ...(i === 0 ? { name: 'f' } : {}), arguments: words[i]! },
                  },
                ],
              },
              null,
            )
          : chunk({ content: words[i]! }, null);
      }
      yield chunk({}, script.toolCall ? 'tool_calls' : 'stop');
    })();
    return {
      [Symbol.asyncIterator]: () => chunks,
      async nextBatch() {
        const r = await chunks.next();
        return r.done ? null : [r.value];
      },
      async return() {
        if (call.abortedMs === undefined && !signal.aborted) call.abortedMs = clock.now();
        stop.abort(new Error('consumer stopped reading'));
      },
    } as AsyncIterable<ChatCompletionChunk>;
  }
}

/** The text and the distinct stream ids and models of a streamed answer's chunks. */
export function readChunks(chunks: ChatCompletionChunk[]): {
  text: string;
  ids: Set<string>;
  models: Set<string>;
  finish: string | null | undefined;
  error: unknown;
} {
  let text = '';
  let finish: string | null | undefined;
  let error: unknown;
  const ids = new Set<string>();
  const models = new Set<string>();
  for (const c of chunks) {
    ids.add(c.id);
    models.add(c.model);
    if ((c as { error?: unknown }).error) error = (c as { error?: unknown }).error;
    for (const ch of c.choices ?? []) {
      if (typeof ch.delta?.content === 'string') text += ch.delta.content;
      if (ch.finish_reason) finish = ch.finish_reason;
    }
  }
  return { text, ids, models, finish, error };
}
