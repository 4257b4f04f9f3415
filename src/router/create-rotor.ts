/**
 * The library entry point: `createRotor(options)` wires the engine, the upstream transport and the
 * request loop, and answers chat requests reliably — plain (`chat`) or streaming (`chatStream`).
 */
import { assembleCompletion } from '../chat/assemble-completion.js';
import { type ChatRequest, parseChatRequest } from '../chat/chat-request-schema.js';
import type { ChatCompletion, ChatCompletionChunk } from '../chat/chat-types.js';
import { issueLines } from '../describe-value.js';
import { type Clock, systemClock } from '../engine/clock.js';
import type { EngineEvent } from '../engine/engine-events.js';
import { HedgeBudget, type HedgeBudgetStatus } from '../engine/hedge-budget.js';
import type { MetricsSnapshot } from '../engine/metrics-snapshot.js';
import { type Random, systemRandom } from '../engine/random.js';
import { RetryBudget, type RetryBudgetStatus } from '../engine/retry-budget.js';
import { RotationEngine } from '../engine/rotation-engine.js';
import { SEED_ROTATION_ORDER } from '../engine/seed-defaults.js';
import { type AttemptRecord, InvalidRequestError } from '../errors.js';
import { type ChatTransport, UpstreamClient } from '../upstream/upstream-client.js';
import type { UpstreamConfig } from '../upstream/upstream-config.js';
import type { AttemptCoordinator } from './attempt-coordinator.js';
import { type ChatCallOptions, ChatRun, type LoopContext, runChat, runChatBatches } from './chat-loop.js';
import { HedgeDelays } from './hedge-delay.js';
import type { HedgeCounts } from './loop-context.js';
import { type RotorOptions, type RotorOptionsInput, rotorOptionsSchema } from './rotor-options.js';

export interface RotorDeps {
  clock?: Clock;
  random?: Random;
  /** How upstreams are called; default: rotor's undici client. Inject one to replay traffic in virtual time. */
  transport?: ChatTransport;
  /** Admission shared with other replicas (e.g. `RedisCoordinator`); none for a single gateway. */
  coordinator?: AttemptCoordinator;
  /**
   * Told the low-level detail of a failed attempt (addresses, library messages) that clients never
   * see — e.g. for a debug log.
   */
  onUpstreamDetail?: (info: UpstreamDetail) => void;
}

/** The low-level side of a failed attempt, for operators. */
export interface UpstreamDetail {
  model: string;
  kind: string;
  detail: string;
}

/** A completed answer, plus what it took. */
export interface ChatResult extends ChatCompletion {
  rotor: { model: string; attempts: AttemptRecord[]; waitedMs: number };
}

/** A streaming answer: iterate the chunks; `run` shows the attempts and the answering model as it goes. */
export interface ChatStream extends AsyncIterable<ChatCompletionChunk> {
  readonly run: ChatRun;
  /**
   * The same chunks, as the groups they arrived in (each non-empty): fewer async hops than one
   * chunk at a time, for consumers that forward them (the gateway). Iterate one or the other.
   */
  batches(): AsyncIterableIterator<ChatCompletionChunk[]>;
}

export interface RotorStatus {
  atMs: number;
  rotation: readonly string[];
  upstreams: Array<{ id: string; baseUrl: string; hasKey: boolean }>;
  metrics: MetricsSnapshot;
  events: readonly EngineEvent[];
  /** The retry budget: retries left (`tokens`) of those the window allows (`maxTokens`), and refusals. */
  retryBudget: RetryBudgetStatus;
  /** Hedged first token: counts since start, the share budget, and each rotation model's hedge delay. */
  hedging: HedgeCounts & {
    enabled: boolean;
    budget: HedgeBudgetStatus;
    /** The current hedge delay of each model in the rotation, ms. */
    delaysMs: Record<string, number>;
  };
}

export interface Rotor {
  readonly options: RotorOptions;
  readonly engine: RotationEngine;
  /** Answer a chat request, trying models until one succeeds within the deadline and attempt cap. */
  chat(request: unknown, options?: ChatCallOptions): Promise<ChatResult>;
  /** Answer a chat request as a stream; fails over freely until the first content chunk. */
  chatStream(request: unknown, options?: ChatCallOptions): ChatStream;
  status(): RotorStatus;
  close(): Promise<void>;
}

/** Validate rotor options, with errors that name the path and the bad value. */
export function parseRotorOptions(input: RotorOptionsInput): RotorOptions {
  const result = rotorOptionsSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = issueLines(result.error.issues, input);
  throw new InvalidRequestError(`Invalid rotor options:\n  ${lines.join('\n  ')}`, {
    code: 'invalid_options',
  });
}

export function createRotor(input: RotorOptionsInput = {}, deps: RotorDeps = {}): Rotor {
  const options = parseRotorOptions(input);
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? systemRandom;
  const rotation =
    options.rotation ??
    (options.engine.rotationOrder.length > 0 ? options.engine.rotationOrder : SEED_ROTATION_ORDER);
  const engine = new RotationEngine({ ...options.engine, rotationOrder: [...rotation] }, { clock, random });
  const upstreams = new Map<string, UpstreamConfig>(options.upstreams.map((u) => [u.id, u]));
  const defaultUpstream = options.upstreams[0]!;
  const modelUpstream = new Map<string, string>();
  for (const m of options.models) {
    const upstream = m.upstream ?? defaultUpstream.id;
    if (!upstreams.has(upstream)) {
      throw new InvalidRequestError(
        `Invalid rotor options: models: ${m.id} names unknown upstream "${upstream}"`,
        {
          code: 'invalid_options',
        },
      );
    }
    modelUpstream.set(m.id, upstream);
    engine.upsertProfile({
      id: m.id,
      account: upstream,
      ...(m.free === undefined ? {} : { free: m.free }),
      ...(m.contextLength === undefined ? {} : { contextLength: m.contextLength }),
      ...(m.maxOutputTokens === undefined ? {} : { maxOutputTokens: m.maxOutputTokens }),
      ...(m.expectedLatencyMs === undefined ? {} : { expectedLatencyMs: m.expectedLatencyMs }),
      ...(m.tools === undefined ? {} : { tools: m.tools }),
      ...(m.vision === undefined ? {} : { vision: m.vision }),
      ...(m.systemPrompt === undefined ? {} : { systemPrompt: m.systemPrompt }),
    });
  }
  if (defaultUpstream.id !== engine.options.defaultAccount) {
    // Models not described explicitly belong to the first upstream's account.
    for (const id of engine.knownModels()) {
      if (!modelUpstream.has(id)) engine.upsertProfile({ id, account: defaultUpstream.id });
    }
  }
  const ownsTransport = deps.transport === undefined;
  const transport = deps.transport ?? new UpstreamClient({ clock });
  const ctx: LoopContext = {
    engine,
    transport,
    clock,
    random,
    options,
    budget: new RetryBudget(options.retryBudget, () => clock.now()),
    hedgeBudget: new HedgeBudget(
      { maxShare: options.hedging.maxShare, windowMs: options.hedging.shareWindowMs },
      () => clock.now(),
    ),
    hedgeDelays: new HedgeDelays(engine, options.hedging),
    hedges: { started: 0, won: 0, wasted: 0, skippedForQuota: 0 },
    upstreamFor: (model) => upstreams.get(modelUpstream.get(model) ?? defaultUpstream.id) ?? defaultUpstream,
    coordinator: deps.coordinator,
    onUpstreamDetail: deps.onUpstreamDetail,
  };

  const parse = (request: unknown): ChatRequest => parseChatRequest(request);

  return {
    options,
    engine,
    async chat(request, call = {}) {
      const req = parse(request);
      const run = new ChatRun();
      const chunks: ChatCompletionChunk[] = [];
      for await (const batch of runChatBatches(ctx, req, run, call, 'collect')) {
        for (let i = 0; i < batch.length; i++) chunks.push(batch[i]!);
      }
      const completion = assembleCompletion(chunks);
      const model = run.model ?? completion.model;
      return {
        ...completion,
        model: completion.model || model,
        rotor: { model, attempts: run.attempts, waitedMs: run.waitedMs },
      };
    },
    chatStream(request, call = {}) {
      const req = parse(request);
      const run = new ChatRun();
      return {
        run,
        [Symbol.asyncIterator]: () => runChat(ctx, req, run, call, 'stream'),
        batches: () => runChatBatches(ctx, req, run, call, 'stream'),
      };
    },
    status() {
      return {
        atMs: clock.now(),
        rotation: engine.rotationOrder,
        upstreams: options.upstreams.map((u) => ({
          id: u.id,
          baseUrl: u.baseUrl,
          hasKey: Boolean(u.apiKey),
        })),
        metrics: engine.metrics(),
        events: engine.recentEvents(),
        retryBudget: ctx.budget.status(),
        hedging: {
          enabled: options.hedging.enabled,
          ...ctx.hedges,
          budget: ctx.hedgeBudget.status(),
          delaysMs: ctx.hedgeDelays.snapshot(engine.rotationOrder),
        },
      };
    },
    async close() {
      if (ownsTransport && 'close' in transport && typeof transport.close === 'function')
        await transport.close();
    },
  };
}
