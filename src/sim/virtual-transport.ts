/**
 * An in-process `ChatTransport` that lives in virtual time: the OpenRouter simulator's world (free
 * quota, per-model caps, scripted 429 bursts, outages and slow first tokens, per-model latency)
 * without sockets, so a whole day of traffic replays in seconds under a `ManualClock`.
 *
 * Refusals are built with the simulator's own OpenRouter bodies and passed through rotor's real
 * classifier, so every `UpstreamFailure` is exactly what `UpstreamClient` would raise for that
 * answer. Outcomes are pure functions of (model, time, counters): `peek()` tells what an attempt
 * would get without making it — the view of a clairvoyant "oracle" router in benchmarks.
 */
import type { ChatCompletionChunk } from '../chat/chat-types.js';
import { isFreeModelId } from '../engine/account-quota.js';
import type { Clock } from '../engine/clock.js';
import type { Failure } from '../engine/failure.js';
import type { ChatTransport, TransportRequest } from '../upstream/chat-transport.js';
import { UpstreamFailure } from '../upstream/chat-transport.js';
import { classifyHttpError } from '../upstream/classify.js';
import { FREE_PER_DAY_WITH_CREDITS, FREE_PER_DAY_WITHOUT_CREDITS } from './account-limits.js';
import { type ChatRequest, estimatePromptTokens, hasTools } from './answer-plan.js';
import { hashString } from './hash.js';
import {
  contextLengthExceeded,
  freeModelsLimit,
  genericRateLimit,
  modelCap,
  noEndpoints,
  noToolEndpoints,
  type SimResponse,
  serverError,
  upstreamRateLimit,
} from './openrouter-bodies.js';
import { WindowCounter, type WindowRefusal, windowEndMs } from './quota-window.js';

/** A model as the virtual upstream serves it. `SimModel` objects (the simulator's defaults) fit. */
export interface VirtualModel {
  id: string;
  /** Time to first token, ms. */
  ttftMs: number;
  tokensPerSecond: number;
  /** Subject to the account's free quota. Default: the id ends with `:free`. */
  free?: boolean;
  /** OpenRouter's own cap on the model, requests per minute / per UTC day. */
  limitRpm?: number;
  limitRpd?: number;
  provider?: string;
  /**
   * Whether the model takes `tools`; `false`: a request with tools gets OpenRouter's 404 "No
   * endpoints found that support tool use" (after the account gate, so it counts, as in the
   * simulator). Default: every request is served.
   */
  tools?: boolean;
  /** Prompt + `max_tokens` above this gets the simulator's 400 `context_length_exceeded` (counted too). Default: no limit. */
  contextLength?: number;
}

interface FaultBase {
  /** Model id, or `*` for every model. */
  model: string;
  /** Window, ms since the transport's origin (t = 0): from inclusive, to exclusive. */
  fromMs: number;
  toMs: number;
  /** Chance that an attempt inside the window is hit (0–1, default 1), drawn from a hash of (seed, fault, model, time). */
  probability?: number;
}

/** A scripted upstream fault, in the simulator's fault vocabulary. */
export type VirtualFault =
  /** The provider pool is exhausted: 429 "temporarily rate-limited upstream", with `Retry-After` when set. */
  | (FaultBase & { kind: 'upstream_rate_limit'; retryAfterSeconds?: number })
  /** The bare documented 429 "Rate limit exceeded". */
  | (FaultBase & { kind: 'rate_limited' })
  /** An outage: 500/502/503 (default 503). */
  | (FaultBase & { kind: 'server_error'; status?: 500 | 502 | 503 })
  /** The answer comes, but its first token `delayMs` later than the model's `ttftMs`. */
  | (FaultBase & { kind: 'slow_first_token'; delayMs: number });

export interface VirtualAccount {
  /** Enforce the free-model limits at all (default true). */
  freeLimits?: boolean;
  /** 1000 free requests a day instead of 50 (default false). */
  hasCredits?: boolean;
  /** Default 20. */
  perMinute?: number;
  /** Default 50, or 1000 with credits. */
  perDay?: number;
}

export interface VirtualTransportOptions {
  clock: Clock;
  models: readonly VirtualModel[];
  faults?: readonly VirtualFault[];
  account?: VirtualAccount;
  /** Tokens in every answer (default 60, the size the seed's mean latencies are taken to include). */
  completionTokens?: number;
  /** How long a refused or failed attempt takes to come back, ms (default 250). */
  errorLatencyMs?: number;
  /** Seed of the probability draws (default 1). */
  seed?: number;
  /** t = 0 of fault windows, epoch ms (default: the clock's time at construction). */
  originMs?: number;
}

export type VirtualOutcome =
  | 'ok'
  | 'model_not_found'
  | 'account_minute_limit'
  | 'account_day_limit'
  | 'model_cap'
  | 'tools_unsupported'
  | 'context_length'
  | 'upstream_rate_limit'
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'cancelled';

export interface VirtualAttempt {
  /** Ms since the origin when the attempt reached the upstream. */
  timeMs: number;
  model: string;
  outcome: VirtualOutcome;
  /** HTTP status answered (200 for streams that then failed or were cancelled). */
  status: number;
  /** Whether the attempt got past the account gate and so used up free quota. */
  countedAgainstQuota: boolean;
  /** Ms since the origin when the attempt ended; undefined while it runs. */
  endMs?: number;
}

/** What an attempt at a given instant would get. */
export type Verdict =
  /** `ttftMs`: its first token (a `slow_first_token` fault included); `latencyMs`: the whole answer. */
  | { ok: true; latencyMs: number; ttftMs: number }
  | { ok: false; outcome: Exclude<VirtualOutcome, 'ok' | 'timeout' | 'cancelled'>; failure: Failure };

interface Decision {
  outcome: Exclude<VirtualOutcome, 'timeout' | 'cancelled'>;
  response?: SimResponse;
  counted: boolean;
  /** Counters to bump if the attempt is made (a refusal counts nothing). */
  admits: Array<readonly [WindowCounter, number]>;
  /** Extra wait before the first token (a `slow_first_token` fault), ms. */
  slowMs?: number;
}

const DEFAULT_ERROR_LATENCY_MS = 250;
const DEFAULT_COMPLETION_TOKENS = 60;
/** The usage's prompt tokens of a request without `messages` (as the simulator counts "hi"). */
const DEFAULT_PROMPT_TOKENS = 8;
const USER_ID = 'user_2virtualAccount00000000000';

export class VirtualTransport implements ChatTransport {
  readonly originMs: number;
  private readonly clock: Clock;
  private readonly models: Map<string, VirtualModel>;
  private readonly faults: readonly VirtualFault[];
  private readonly freeLimits: boolean;
  private readonly hasCredits: boolean;
  private readonly perMinute: number;
  private readonly perDay: number;
  private readonly completionTokens: number;
  private readonly errorLatencyMs: number;
  private readonly seed: number;
  private readonly accountMinute = new WindowCounter('minute');
  private readonly accountDay = new WindowCounter('day');
  private readonly capMinute = new Map<string, WindowCounter>();
  private readonly capDay = new Map<string, WindowCounter>();
  private readonly log: VirtualAttempt[] = [];
  private generation = 0;

  constructor(options: VirtualTransportOptions) {
    this.clock = options.clock;
    this.models = new Map(options.models.map((m) => [m.id, m]));
    this.faults = options.faults ?? [];
    const account = options.account ?? {};
    this.freeLimits = account.freeLimits ?? true;
    this.hasCredits = account.hasCredits ?? false;
    this.perMinute = account.perMinute ?? 20;
    this.perDay =
      account.perDay ?? (this.hasCredits ? FREE_PER_DAY_WITH_CREDITS : FREE_PER_DAY_WITHOUT_CREDITS);
    this.completionTokens = options.completionTokens ?? DEFAULT_COMPLETION_TOKENS;
    this.errorLatencyMs = options.errorLatencyMs ?? DEFAULT_ERROR_LATENCY_MS;
    this.seed = options.seed ?? 1;
    this.originMs = options.originMs ?? this.clock.now();
  }

  /** Every attempt so far, in arrival order (a copy; records of running attempts fill in `endMs` later). */
  attempts(): VirtualAttempt[] {
    return this.log.slice();
  }

  /** How long a successful answer from `model` takes, ms: time to first token plus the answer at its speed. */
  answerMs(model: string): number {
    const m = this.models.get(model);
    if (!m) return Number.POSITIVE_INFINITY;
    return m.ttftMs + this.generationMs(m);
  }

  /** Free requests the account has used in the current minute and UTC day. */
  quotaUsed(atMs = this.clock.now()): { minute: number; day: number } {
    return { minute: this.accountMinute.used(atMs), day: this.accountDay.used(atMs) };
  }

  /**
   * What an attempt on `model` at `atMs` (default now) would get, without making it or counting
   * anything; `body` (the request's `messages`, `tools`, `max_tokens`) for the tools and context gates.
   */
  peek(model: string, atMs = this.clock.now(), body?: Record<string, unknown>): Verdict {
    const decision = this.decide(model, atMs, body);
    if (decision.outcome === 'ok') {
      const slowMs = decision.slowMs ?? 0;
      return {
        ok: true,
        latencyMs: this.answerMs(model) + slowMs,
        ttftMs: this.models.get(model)!.ttftMs + slowMs,
      };
    }
    return { ok: false, outcome: decision.outcome, failure: this.classify(decision.response!, atMs) };
  }

  async openStream(req: TransportRequest): Promise<AsyncIterable<ChatCompletionChunk>> {
    const { signal } = req;
    if (signal?.aborted) throw signal.reason;
    const nowMs = this.clock.now();
    const decision = this.decide(req.model, nowMs, req.body);
    for (const [counter] of decision.admits) counter.add(nowMs);
    const record: VirtualAttempt = {
      timeMs: nowMs - this.originMs,
      model: req.model,
      outcome: decision.outcome,
      status: decision.response?.status ?? 200,
      countedAgainstQuota: decision.counted,
    };
    this.log.push(record);

    if (decision.outcome !== 'ok') {
      await this.wait(this.errorLatencyMs, signal, record);
      record.endMs = this.clock.now() - this.originMs;
      throw new UpstreamFailure(this.classify(decision.response!, this.clock.now()));
    }

    const model = this.models.get(req.model)!;
    const generationMs = this.generationMs(model);
    const ttftMs = model.ttftMs + (decision.slowMs ?? 0);
    const { firstTokenMs, totalMs } = req.timeouts;
    if (ttftMs > firstTokenMs || ttftMs + generationMs > totalMs) {
      const firstTokenLate = ttftMs > firstTokenMs;
      await this.wait(firstTokenLate ? firstTokenMs : totalMs, signal, record);
      record.outcome = 'timeout';
      record.endMs = this.clock.now() - this.originMs;
      const phase = firstTokenLate ? 'first_token' : 'total';
      throw new UpstreamFailure({
        kind: 'timeout',
        phase,
        message: firstTokenLate
          ? `No first token within ${firstTokenMs} ms`
          : `No answer within ${totalMs} ms`,
      });
    }
    // A caller that aborts while it is not reading (e.g. after the first chunk, when another attempt
    // won a race) leaves the generator suspended at a yield, never resumed: the abort itself ends
    // the record, as a closed socket would, so the attempt is `cancelled`, neither a success nor a failure.
    // The consumer's return() stops the answer at once, as the real transport's does (rotor stops a
    // hedge race's loser that way): a generator's own return() would wait for its pending sleep.
    const stop = new AbortController();
    const onAbort = (): void => {
      this.cancel(record);
      stop.abort(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const promptTokens = Array.isArray(req.body['messages'])
      ? estimatePromptTokens(req.body as unknown as ChatRequest)
      : DEFAULT_PROMPT_TOKENS;
    const chunks = this.answer(model, ttftMs, generationMs, nowMs, promptTokens, stop.signal, record, () =>
      signal?.removeEventListener('abort', onAbort),
    );
    return {
      [Symbol.asyncIterator]: () => chunks,
      async nextBatch() {
        const r = await chunks.next();
        return r.done ? null : [r.value];
      },
      return: async () => {
        this.cancel(record);
        stop.abort(new Error('consumer stopped reading'));
        signal?.removeEventListener('abort', onAbort);
      },
    } as AsyncIterable<ChatCompletionChunk>;
  }

  /** End a running attempt's record as `cancelled` (a no-op once it has ended). */
  private cancel(record: VirtualAttempt): void {
    if (record.endMs !== undefined) return;
    record.outcome = 'cancelled';
    record.endMs = this.clock.now() - this.originMs;
  }

  private async *answer(
    model: VirtualModel,
    ttftMs: number,
    generationMs: number,
    startedMs: number,
    promptTokens: number,
    signal: AbortSignal | undefined,
    record: VirtualAttempt,
    done: () => void,
  ): AsyncGenerator<ChatCompletionChunk, void, undefined> {
    try {
      yield* this.chunks(model, ttftMs, generationMs, startedMs, promptTokens, signal, record);
    } finally {
      done();
      this.cancel(record); // the caller stopped reading before the end (`return()`)
    }
  }

  private async *chunks(
    model: VirtualModel,
    ttftMs: number,
    generationMs: number,
    startedMs: number,
    promptTokens: number,
    signal: AbortSignal | undefined,
    record: VirtualAttempt,
  ): AsyncGenerator<ChatCompletionChunk, void, undefined> {
    const id = `gen-virtual-${++this.generation}`;
    const created = Math.floor(startedMs / 1000);
    const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finish: 'stop' | null = null) => ({
      id,
      object: 'chat.completion.chunk' as const,
      created,
      model: model.id,
      ...(model.provider ? { provider: model.provider } : {}),
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const tokens = this.completionTokens;
    // Two waits per answer keep a simulated day cheap: the first token, then the rest at the model's speed.
    await this.wait(ttftMs, signal, record);
    yield chunk({ role: 'assistant', content: 'Virtual' });
    await this.wait(generationMs, signal, record);
    if (tokens > 1) yield chunk({ content: ' answer'.repeat(tokens - 1) });
    yield chunk({}, 'stop');
    yield {
      id,
      object: 'chat.completion.chunk',
      created,
      model: model.id,
      choices: [],
      usage: { prompt_tokens: promptTokens, completion_tokens: tokens, total_tokens: promptTokens + tokens },
    };
    record.endMs = this.clock.now() - this.originMs;
  }

  /** The gates in the simulator's order: model known, account quota, model cap, tools, context, scripted faults, answer. */
  private decide(modelId: string, nowMs: number, body?: Record<string, unknown>): Decision {
    const model = this.models.get(modelId);
    if (!model)
      return { outcome: 'model_not_found', response: noEndpoints(modelId), counted: false, admits: [] };
    const admits: Array<readonly [WindowCounter, number]> = [];
    const free = model.free ?? isFreeModelId(modelId);
    if (free && this.freeLimits) {
      const refusal = firstFull(
        [
          [this.accountDay, this.perDay],
          [this.accountMinute, this.perMinute],
        ],
        nowMs,
      );
      if (refusal) {
        return {
          outcome: refusal.unit === 'day' ? 'account_day_limit' : 'account_minute_limit',
          response: freeModelsLimit(refusal, { hasCredits: this.hasCredits, userId: USER_ID }),
          counted: false,
          admits: [],
        };
      }
    }
    if (free) admits.push([this.accountDay, this.perDay], [this.accountMinute, this.perMinute]);

    const caps: Array<readonly [WindowCounter, number]> = [];
    if (model.limitRpd !== undefined) caps.push([counterOf(this.capDay, modelId, 'day'), model.limitRpd]);
    if (model.limitRpm !== undefined)
      caps.push([counterOf(this.capMinute, modelId, 'minute'), model.limitRpm]);
    const capRefusal = firstFull(caps, nowMs);
    if (capRefusal) {
      const slug = modelId.replace(/:free$/, '');
      return { outcome: 'model_cap', response: modelCap(modelId, slug, capRefusal), counted: free, admits };
    }
    admits.push(...caps);
    const refusal = body ? requestRefusal(model, body) : undefined;
    if (refusal) return { ...refusal, counted: free, admits };

    // As in the simulator, the first fault that matches (and whose draw hits) is the one that applies.
    const t = nowMs - this.originMs;
    for (let i = 0; i < this.faults.length; i++) {
      const fault = this.faults[i]!;
      if (fault.model !== '*' && fault.model !== modelId) continue;
      if (t < fault.fromMs || t >= fault.toMs) continue;
      const p = fault.probability ?? 1;
      if (p < 1 && hashString(`${modelId}@${nowMs}`, this.seed * 7919 + i) / 4294967296 >= p) continue;
      if (fault.kind === 'slow_first_token')
        return { outcome: 'ok', counted: free, admits, slowMs: Math.max(0, fault.delayMs) };
      const provider = model.provider ?? 'Chutes';
      const response =
        fault.kind === 'upstream_rate_limit'
          ? upstreamRateLimit(modelId, provider, USER_ID, fault.retryAfterSeconds)
          : fault.kind === 'rate_limited'
            ? genericRateLimit()
            : serverError(fault.status ?? 503, provider);
      return { outcome: fault.kind, response, counted: free, admits };
    }
    return { outcome: 'ok', counted: free, admits };
  }

  private classify(response: SimResponse, nowMs: number): Failure {
    return classifyHttpError(response.status, response.headers, JSON.stringify(response.body), nowMs);
  }

  private generationMs(model: VirtualModel): number {
    return Math.round((this.completionTokens / model.tokensPerSecond) * 1000);
  }

  private async wait(ms: number, signal: AbortSignal | undefined, record: VirtualAttempt): Promise<void> {
    try {
      await this.clock.sleep(ms, signal);
    } catch (err) {
      record.outcome = 'cancelled';
      record.endMs = this.clock.now() - this.originMs;
      throw err;
    }
  }
}

function counterOf(map: Map<string, WindowCounter>, id: string, unit: 'minute' | 'day'): WindowCounter {
  let counter = map.get(id);
  if (!counter) {
    counter = new WindowCounter(unit);
    map.set(id, counter);
  }
  return counter;
}

/** The simulator's refusals of a request the model cannot take: tools it lacks, a context it cannot hold. */
function requestRefusal(
  model: VirtualModel,
  body: Record<string, unknown>,
): { outcome: 'tools_unsupported' | 'context_length'; response: SimResponse } | undefined {
  const request = body as unknown as ChatRequest;
  if (model.tools === false && hasTools(request))
    return { outcome: 'tools_unsupported', response: noToolEndpoints() };
  if (model.contextLength === undefined || !Array.isArray(request.messages)) return undefined;
  const promptTokens = estimatePromptTokens(request);
  const maxTokens = typeof request.max_tokens === 'number' ? request.max_tokens : 0;
  if (promptTokens + maxTokens <= model.contextLength) return undefined;
  return {
    outcome: 'context_length',
    response: contextLengthExceeded(model.contextLength, promptTokens, maxTokens),
  };
}

/** The first full window among `limits` at `nowMs`, without counting anything. */
function firstFull(
  limits: ReadonlyArray<readonly [WindowCounter, number]>,
  nowMs: number,
): WindowRefusal | undefined {
  for (const [counter, limit] of limits) {
    if (counter.used(nowMs) >= limit)
      return { unit: counter.unit, limit, resetMs: windowEndMs(counter.unit, nowMs) };
  }
  return undefined;
}
