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
import { createFamilyResolver, type FamilyResolver } from '../providers/family-resolver.js';
import { loadModelFamiliesSync, type ModelFamilyTable } from '../providers/model-family-table.js';
import { loadProviderCatalogSync } from '../providers/provider-catalog-file.js';
import type { ProviderCatalog } from '../providers/provider-catalog-schema.js';
import { loadQualityRankingSync, type QualityRanking, qualityScorer } from '../providers/quality-ranking.js';
import { type ChatTransport, UpstreamClient } from '../upstream/upstream-client.js';
import type { UpstreamConfig } from '../upstream/upstream-config.js';
import type { AttemptCoordinator } from './attempt-coordinator.js';
import { type ChatCallOptions, ChatRun, type LoopContext, runChat, runChatBatches } from './chat-loop.js';
import { HedgeDelays } from './hedge-delay.js';
import type { HedgeCounts } from './loop-context.js';
import { expandModelName, familyOfName, RANKING_ALIASES } from './model-resolver.js';
import { normalizePairId, OPENROUTER_PROVIDER, splitPairId } from './pair-id.js';
import { PooledProviders } from './pooled-providers.js';
import { requestOrder } from './request-order.js';
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
  /**
   * The provider catalog upstreams' `provider` names refer to (the shipped one merged with the
   * config's `providers:`). Default: the shipped `registry/providers.yaml`, read when an upstream
   * names a provider.
   */
  providerCatalog?: ProviderCatalog;
  /** Model families across providers. Default: the shipped `registry/model-families.yaml` (when providers are pooled). */
  families?: ModelFamilyTable;
  /** The quality ranking `best` orders by. Default: the shipped `registry/model-quality.yaml` (when providers are pooled). */
  quality?: QualityRanking;
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
  upstreams: Array<{ id: string; baseUrl: string; hasKey: boolean; provider: string | null }>;
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
  /**
   * The models a requested name stands for, best first (`fast`, `best`, a family or any provider's
   * id for it; see `model-resolver.ts`). Without pooled providers: the name itself.
   */
  expandModel(name: string): string[];
  /** Pooled providers (upstreams with a catalog `provider`), or undefined when there are none. */
  readonly pool: RotorPool | undefined;
  close(): Promise<void>;
}

/** What `createRotor()` knows of pooled providers, for the gateway's model list and status. */
export interface RotorPool {
  readonly providers: PooledProviders;
  readonly families: FamilyResolver | undefined;
  /** The family of an engine model id, if any. */
  familyOf(model: string): string | undefined;
  /**
   * Whether `name` names something the pool serves without being a model id the engine knows:
   * `fast`, `best`, a family with a pooled member, a bare id a pooled pair is served under, or
   * `openrouter:<known id>`.
   */
  knows(name: string): boolean;
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
  const rotation = (
    options.rotation ??
    (options.engine.rotationOrder.length > 0 ? options.engine.rotationOrder : SEED_ROTATION_ORDER)
  ).map(normalizePairId);
  const engine = new RotationEngine({ ...options.engine, rotationOrder: [...rotation] }, { clock, random });
  const upstreams = new Map<string, UpstreamConfig>(options.upstreams.map((u) => [u.id, u]));
  const defaultUpstream = options.upstreams[0]!;
  const pooled = poolProviders(options, engine, deps);
  const modelUpstream = new Map<string, string>();
  for (const raw of options.models) {
    const m = { ...raw, id: normalizePairId(raw.id) };
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
    const upstreamId =
      m.upstreamId ?? (m.id.startsWith(`${upstream}:`) ? m.id.slice(upstream.length + 1) : m.id);
    const isPooled = pooled?.providers.has(upstream) === true;
    engine.upsertProfile({
      id: m.id,
      account: upstream,
      ...(upstreamId === m.id ? {} : { upstreamId }),
      // A pooled provider's quota is its own windows, never OpenRouter's `:free` counting.
      ...(m.free === undefined ? (isPooled ? { free: false } : {}) : { free: m.free }),
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
  const upstreamFor = (model: string): UpstreamConfig =>
    upstreams.get(modelUpstream.get(model) ?? defaultUpstream.id) ?? defaultUpstream;
  if (pooled) {
    // A pair of a pooled provider named by a client but not configured (`groq:some-new-model`):
    // it belongs to that provider's upstream and account.
    const providerIds = new Set(pooled.providers.upstreamIds());
    pooled.describe = (id: string) => {
      if (modelUpstream.has(id) || engine.hasModel(id)) return;
      const pair = splitPairId(id, providerIds);
      if (!pair || !upstreams.has(pair.provider)) return;
      modelUpstream.set(id, pair.provider);
      engine.upsertProfile({ id, account: pair.provider, upstreamId: pair.model, free: false });
    };
  }
  const expandModel = (name: string): string[] => {
    if (!pooled) return [name];
    const expanded = expandModelName(name, engine.rotationOrder, pooled.resolverDeps(engine, upstreamFor));
    for (const id of expanded) pooled.describe(id);
    return expanded;
  };
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
    upstreamFor,
    coordinator: deps.coordinator,
    onUpstreamDetail: deps.onUpstreamDetail,
    ...(pooled
      ? {
          orderFor: (request) => requestOrder(request, engine.rotationOrder, expandModel),
          prepareBody: (model, body) => pooled.providers.prepareBody(upstreamFor(model).id, body),
          learnRejectedParams: (model, params) =>
            pooled.providers.learnRejected(upstreamFor(model).id, params),
          transportExtras: (lease) => {
            const upstreamId = engine.profile(lease.model).upstreamId ?? lease.model;
            const extras = pooled.providers.extras(upstreamFor(lease.model).id, lease, upstreamId);
            return extras ?? (upstreamId === lease.model ? undefined : { model: upstreamId });
          },
        }
      : {}),
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
          provider: u.provider ?? null,
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
    expandModel,
    pool: pooled
      ? {
          providers: pooled.providers,
          families: pooled.families,
          familyOf: (model) => pooled.familyOf(model, engine),
          knows: (name) => {
            if (RANKING_ALIASES.has(name)) return true;
            const id = normalizePairId(name);
            if (engine.hasModel(id)) return true;
            const deps = pooled.resolverDeps(engine, upstreamFor);
            const family = familyOfName(id, deps);
            if (family) return family.members.some((m) => deps.providers.has(m.provider));
            return engine.knownModels().some((m) => deps.upstreamIdOf(m) === id);
          },
        }
      : undefined,
    async close() {
      if (ownsTransport && 'close' in transport && typeof transport.close === 'function')
        await transport.close();
    },
  };
}

interface Pool {
  providers: PooledProviders;
  families: FamilyResolver | undefined;
  quality: (model: string, family: string | undefined) => number | undefined;
  /** Give a client-named pair of a pooled provider its upstream and account (set once the upstreams are known). */
  describe(id: string): void;
  resolverDeps(
    engine: RotationEngine,
    upstreamFor: (model: string) => UpstreamConfig,
  ): Parameters<typeof expandModelName>[2];
  familyOf(model: string, engine: RotationEngine): string | undefined;
}

/**
 * The pooled providers of these options (upstreams naming a catalog `provider`), with the
 * families and quality ranking their requests are resolved with; undefined when there are none,
 * so a rotor without them behaves exactly as before.
 */
function poolProviders(options: RotorOptions, engine: RotationEngine, deps: RotorDeps): Pool | undefined {
  const named = options.upstreams.filter((u) => u.provider !== undefined);
  if (named.length === 0) return undefined;
  const catalog = deps.providerCatalog ?? loadProviderCatalogSync();
  const providers = new PooledProviders(catalog, engine);
  for (const u of named) {
    const provider = catalog.providers.find((p) => p.id === u.provider);
    if (!provider) {
      throw new InvalidRequestError(
        `Invalid rotor options: upstreams: ${u.id} names unknown provider "${u.provider}" (known: ${catalog.providers.map((p) => p.id).join(', ')})`,
        { code: 'invalid_options' },
      );
    }
    providers.add(u.id, provider);
  }
  const families = createFamilyResolver(deps.families ?? loadModelFamiliesSync());
  const score = qualityScorer(deps.quality ?? loadQualityRankingSync());
  // Pairs exist for pooled providers and for OpenRouter when it is an upstream (its bare ids).
  const providerIds = new Set([
    ...providers.upstreamIds(),
    ...options.upstreams.filter((u) => u.id === OPENROUTER_PROVIDER).map((u) => u.id),
  ]);
  const pool: Pool = {
    providers,
    families,
    quality: score,
    describe: () => {},
    familyOf(model, e) {
      const upstreamId = e.profile(model).upstreamId ?? model;
      const account = e.profile(model).account ?? e.options.defaultAccount;
      return (
        families.familyOf(account, upstreamId) ?? familyOfName(model, { families, providers: providerIds })
      )?.family;
    },
    resolverDeps(e, upstreamFor) {
      return {
        families,
        providers: providerIds,
        knownModels: () => e.knownModels(),
        upstreamIdOf: (m) => e.profile(m).upstreamId ?? m,
        providerOf: (m) => upstreamFor(m).id,
        latencyMs: (m) => e.latencyP50Ms(m),
        quality: (m) => score(m, pool.familyOf(m, e)),
      };
    },
  };
  return pool;
}
