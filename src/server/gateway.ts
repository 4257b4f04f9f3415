/**
 * `startGateway()`: the HTTP gateway as one object — registry, rotor, metrics, status, live events,
 * dashboard and server — started from a validated configuration. With no upstream API key it
 * starts the built-in OpenRouter simulator in-process and says so everywhere.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Logger, pino } from 'pino';
import { isFreeModelId } from '../engine/account-quota.js';
import type { Clock } from '../engine/clock.js';
import type { EngineEvent } from '../engine/engine-events.js';
import type { MetricsSnapshot } from '../engine/metrics-snapshot.js';
import type { Random } from '../engine/random.js';
import { packageRoot } from '../package-root.js';
import { ResponseStore } from '../protocols/responses/response-store.js';
import type { Env, JoinedProvider, SkippedProvider } from '../providers/discover-providers.js';
import { loadProviderCatalog } from '../providers/provider-catalog-file.js';
import type { ProviderCatalog } from '../providers/provider-catalog-schema.js';
import { type ProviderReconciler, startProviderReconciler } from '../reconcile/provider-reconciler.js';
import { type Reconciler, startReconciler } from '../reconcile/reconciler.js';
import { redact, redactJson, registerSecret } from '../redact.js';
import { startAdaptiveRanking } from '../registry/adaptive-rank.js';
import { fetchModels } from '../registry/fetch-models.js';
import { fetchProviderModels } from '../registry/fetch-provider-models.js';
import { RegistryError } from '../registry/registry-error.js';
import { defaultRegistryPath, loadRegistry } from '../registry/registry-file.js';
import { type ModelDefaults, rotationDefaultsFrom } from '../registry/rotation-defaults.js';
import { createRotor, type Rotor } from '../router/create-rotor.js';
import { normalizePairId, splitPairId } from '../router/pair-id.js';
import type { ModelOptions } from '../router/rotor-options.js';
import { simulatedProviderEnv } from '../sim/providers/provider-endpoints.js';
import { type Simulator, startSimulator } from '../sim/simulator.js';
import { openStore } from '../store/open-store.js';
import { type EnginePersistence, persistEngine, restoreEngine } from '../store/persist-engine.js';
import type { RedisCoordinator } from '../store/redis-coordinator.js';
import type { StateStore } from '../store/state-store.js';
import { type ChatTransport, UpstreamClient } from '../upstream/upstream-client.js';
import { VERSION } from '../version.js';
import { answerClientError } from './client-error.js';
import { planReload, type ReloadPlan } from './config-reload.js';
import { exposureWarning, reachableUrls } from './exposure.js';
import { ConfigError, type GatewayConfig } from './gateway-config.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { createGatewayApp, type GatewayApp } from './http-app.js';
import { type ProviderPlan, planProviders } from './provider-plan.js';
import { describeQuota, familyEntries, providerMetricsViews, providersStatus } from './provider-status.js';
import { type QuotaPoller, startQuotaPoller } from './quota-poller.js';

export interface GatewayDeps {
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  transport?: ChatTransport;
  /**
   * The environment pooled providers are discovered from (`GROQ_API_KEY`, `<ID>_BASE_URL`, …; see
   * README "Providers"). Default: none, so an embedded gateway pools only what it is given;
   * `rotor serve` passes `process.env`.
   */
  env?: Env;
  /**
   * Simulated providers to pool beside the simulated OpenRouter when nothing real is configured
   * and the config's `sim.providers` says nothing (`rotor serve`: Groq and Gemini). Default none.
   */
  simulatedProviders?: readonly string[];
}

export interface Gateway {
  /** `http://host:port` (a wildcard bind address is replaced by loopback: a URL this machine can use). */
  readonly url: string;
  /** Every URL a client can use (each interface's address for a wildcard bind). */
  readonly urls: string[];
  readonly port: number;
  readonly rotor: Rotor;
  readonly app: GatewayApp;
  /** True when answers come from the built-in simulator (no API key configured). */
  readonly simulated: boolean;
  /** The in-process simulator, when simulated. */
  readonly simulator: Simulator | undefined;
  /** The configuration in force (a reload replaces it). */
  readonly config: GatewayConfig;
  /** Apply what can change while running (see `config-reload.ts`); the rest is reported as needing a restart. */
  reload(next: GatewayConfig): ReloadPlan;
  /** Keeps the rotation in step with the live model list, when enabled (`reconcile.enabled`). */
  readonly reconciler: Reconciler | undefined;
  /** Keeps each pooled provider's pairs in step with its own live model list (`reconcile.enabled`, default on). */
  readonly providerReconciler: ProviderReconciler | undefined;
  /** Where engine state lives (`store.url`: memory, SQLite or Redis). */
  readonly store: StateStore;
  /** Shares quota, probes and health facts with other replicas (Redis only). */
  readonly coordinator: RedisCoordinator | undefined;
  /** Reads the daily free-model quota from `GET /key` (unless `quota.keyPollMs` is 0). */
  readonly quotaPoller: QuotaPoller | undefined;
  /** Pooled providers: those that joined (OpenRouter apart) and those left out, with why. */
  readonly providers: { joined: readonly JoinedProvider[]; skipped: readonly SkippedProvider[] };
  /** Stop accepting, drain in-flight requests (up to the configured drain time), then stop everything. */
  close(): Promise<{ drained: number; aborted: number }>;
}

const SIMULATED_KEY = 'sk-rotor-simulated';

/** After a shutdown starts, how long the listener still accepts (to answer racing requests with 503), ms. */
const SHUTDOWN_ACCEPT_GRACE_MS = 200;

export async function startGateway(config: GatewayConfig, deps: GatewayDeps = {}): Promise<Gateway> {
  const logger = deps.logger ?? gatewayLogger(config.log.level);
  const registryFile = (await loadRegistry(config.registry ?? defaultRegistryPath())).registry;
  const registry = rotationDefaultsFrom(registryFile);
  const shippedCatalog = await loadProviderCatalog();
  let plan = providerPlan(shippedCatalog, config, deps.env ?? {});
  // Simulated only when nothing real is configured: no OpenRouter key and no provider joined.
  const simulated = !config.upstream.apiKey && plan.joined.length === 0;
  const simulatedProviders = simulated ? (config.sim.providers ?? deps.simulatedProviders ?? []) : [];
  // Before anything starts: a store that cannot be opened (locked, corrupt) is one clear error.
  const opened = await openStore(config.store.url ?? 'memory', {
    logger,
    replicaId: config.store.replicaId,
    probeLockMs: Math.min(config.deadlineMs, 60_000),
  });
  const simulator = simulated
    ? await startSimulator({
        port: 0,
        host: '127.0.0.1',
        seed: config.sim.seed,
        latencyScale: config.sim.latencyScale,
        ...(config.sim.scenario ? { scenarioFile: config.sim.scenario } : {}),
        ...(config.sim.modelsFile ? { modelsFile: config.sim.modelsFile } : {}),
        ...simulatedAccount(config.sim),
        ...(simulatedProviders.length > 0 ? { providers: simulatedProviders } : {}),
        ...(deps.clock ? { clock: deps.clock } : {}),
      })
    : undefined;
  // The simulated pool: the simulator's providers join as real ones would, beside OpenRouter.
  if (simulator && simulatedProviders.length > 0)
    plan = providerPlan(shippedCatalog, config, simulatedProviderEnv(simulator.providers()), true);
  for (const j of plan.joined) registerSecret(j.apiKey);
  const pooled = plan.joined.length > 0;
  /** A pooled provider's pair (`groq:…`), as opposed to an OpenRouter id. */
  const pooledIds = new Set(plan.joined.map((j) => j.id));
  const isPair = (id: string) => splitPairId(id, pooledIds) !== undefined;

  const pinned = config.rotation.order?.map(normalizePairId);
  const candidates =
    pinned ??
    plan.rotation(plan.openRouter ? registry.rotation.filter((id) => usable(registry.models.get(id))) : []);
  // Never escalate cost silently: paid models join the automatic rotation only when allowed.
  // (A pooled provider's pairs are its free tier.)
  const free = (id: string) => isPair(id) || isFreeModelId(id);
  const rotation = config.quota.allowPaidFallback ? candidates : candidates.filter(free);
  if (rotation.length < candidates.length) {
    logger.warn(
      { left_out: candidates.filter((id) => !free(id)) },
      'paid models left out of the automatic rotation (quota.allowPaidFallback is false)',
    );
  }
  const models: ModelOptions[] = [
    ...(plan.openRouter ? [...registry.models].map(([id, m]) => modelOptions(id, m)) : []),
    ...plan.models,
  ];
  // Left out of `auto` but still known: a client that names one explicitly gets it.
  for (const id of candidates)
    if (!rotation.includes(id) && !registry.models.has(id) && !isPair(id)) models.push({ id });
  const rotor = createRotor(
    {
      upstreams: [
        ...(plan.openRouter
          ? [
              {
                id: 'openrouter',
                baseUrl: simulator ? simulator.url : config.upstream.baseUrl,
                apiKey: config.upstream.apiKey ?? SIMULATED_KEY,
                ...(config.upstream.referer ? { referer: config.upstream.referer } : {}),
                title: config.upstream.title,
              },
            ]
          : []),
        ...plan.upstreams,
      ],
      models,
      rotation,
      engine: config.engine,
      timeouts: config.timeouts,
      deadlineMs: config.deadlineMs,
      maxQueueWaitMs: config.maxQueueWaitMs,
      retryBudget: config.retryBudget,
      hedging: config.hedging,
      streaming: config.streaming,
    },
    {
      ...(deps.clock ? { clock: deps.clock } : {}),
      ...(deps.random ? { random: deps.random } : {}),
      ...(deps.transport ? { transport: deps.transport } : {}),
      ...(opened.coordinator ? { coordinator: opened.coordinator } : {}),
      // Addresses and library messages stay out of client errors; operators see them at debug level.
      onUpstreamDetail: (info) => logger.debug(info, 'upstream failure detail'),
      ...(pooled ? { providerCatalog: plan.catalog } : {}),
    },
  );
  try {
    if (await restoreEngine(rotor.engine, opened.store))
      logger.info({ store: opened.store.kind, location: opened.store.location }, 'engine state restored');
  } catch (err) {
    await Promise.allSettled([opened.store.close(), rotor.close(), simulator?.close()]);
    throw err;
  }
  for (const [id, m] of registry.models) {
    if (m.status === 'retired' && rotation.includes(id))
      rotor.engine.retire(id, 'marked retired in the registry');
  }

  const now = () => rotor.engine.clock.now();
  const startedAtMs = now();
  const metrics = new GatewayMetrics(rotor.engine, {
    simulated,
    version: VERSION,
    store: opened.store,
    retryBudget: () => rotor.status().retryBudget,
    describeQuota: (q) => describeQuota(plan.catalog, q, (m) => rotor.engine.profile(m).upstreamId ?? m),
    hedging: () => rotor.status().hedging,
    ...(pooled
      ? {
          providers: (snap: MetricsSnapshot) =>
            providerMetricsViews(
              rotor.engine.rotationOrder,
              snap.models,
              plan.catalog,
              plan.joined,
              snap.system.quotas,
              // OpenRouter's own list is the other reconciler's.
              (id) => (id === 'openrouter' ? reconciler?.last() : providerReconciler?.last(id)) ?? null,
            ),
        }
      : {}),
  });
  await opened.coordinator?.attach(rotor.engine); // first sync with the other replicas (bounded; degraded if down)
  const persistence: EnginePersistence | undefined =
    opened.store.kind === 'sqlite' || (opened.store.kind === 'redis' && config.store.replicaId)
      ? persistEngine(rotor.engine, opened.store, { logger })
      : undefined;
  logger.info({ store: opened.store.kind, location: opened.store.location }, 'state store');
  const known = (id: string) =>
    registry.models.has(id) || rotor.engine.hasModel(id) || rotor.pool?.knows(id) === true;
  const upstreamInfo = {
    baseUrl: simulator
      ? simulator.url
      : plan.openRouter
        ? config.upstream.baseUrl
        : (plan.upstreams[0]?.baseUrl ?? config.upstream.baseUrl),
    simulated,
  };
  // In the background: the gateway serves at once, and no request waits for the model list.
  const reconciler =
    plan.openRouter &&
    (config.reconcile.enabled ?? (Boolean(config.upstream.apiKey) || config.sim.modelsFile !== undefined))
      ? startReconciler({
          engine: rotor.engine,
          fetchModels: async (signal) =>
            (
              await fetchModels(upstreamInfo.baseUrl, {
                signal,
                timeoutMs: config.reconcile.timeoutMs,
                apiKey: config.upstream.apiKey ?? SIMULATED_KEY,
              })
            ).models,
          baseUrl: upstreamInfo.baseUrl,
          registry: registryFile.models,
          pinned: pinned !== undefined,
          // OpenRouter's list speaks for OpenRouter's models only, never a pooled provider's pairs.
          ...(pooled ? { owns: (id: string) => !isPair(id) } : {}),
          intervalMs: config.reconcile.intervalMs,
          timeoutMs: config.reconcile.timeoutMs,
          clock: rotor.engine.clock,
          logger,
        })
      : undefined;
  // Each pooled provider's own list retires (and restores) that provider's pairs; also in the background.
  const providerReconciler =
    pooled && (config.reconcile.enabled ?? true)
      ? startProviderReconciler({
          engine: rotor.engine,
          providers: plan.joined,
          fetchList: async (provider, signal) =>
            (await fetchProviderModels(provider, { signal, timeoutMs: config.reconcile.timeoutMs })).models,
          intervalMs: config.reconcile.intervalMs,
          timeoutMs: config.reconcile.timeoutMs,
          clock: rotor.engine.clock,
          logger,
        })
      : undefined;
  // Optimise the order from real usage (the seed's "optimise the rotation order based on real usage").
  const adaptive =
    config.rotation.adaptive && pinned === undefined
      ? startAdaptiveRanking(rotor, {
          intervalMs: config.rotation.adaptiveIntervalMs,
          minSamples: config.rotation.adaptiveMinSamples,
          hysteresisRatio: config.rotation.adaptiveHysteresis,
          expectedLatencyMs: (id) => registry.models.get(id)?.expectedLatencyMs,
          onChange: (moves, { order }) => logger.info({ moves, order }, 'adaptive re-rank'),
        })
      : undefined;
  // The daily free-model quota from `GET /key`, in the background: no request waits for it.
  const keyClient =
    config.quota.keyPollMs > 0 && plan.openRouter
      ? new UpstreamClient({ clock: rotor.engine.clock, metadataTimeoutMs: config.quota.keyTimeoutMs })
      : undefined;
  const keyUpstream = rotor.options.upstreams[0]!;
  const quotaPoller = keyClient
    ? startQuotaPoller({
        engine: rotor.engine,
        account: keyUpstream.id,
        fetchKeyInfo: (signal) => keyClient.getKeyInfo(keyUpstream, signal),
        intervalMs: config.quota.keyPollMs,
        timeoutMs: config.quota.keyTimeoutMs,
        logger,
      })
    : undefined;

  // Redacted as a whole: upstream messages and URLs inside it must not carry a secret out.
  const status = () => redactJson(rawStatus());
  const rawStatus = () => {
    const s = rotor.status();
    return {
      rotor: {
        version: VERSION,
        simulated,
        startedAtMs,
        upstream: upstreamInfo.baseUrl,
        // The demo account's limits and usage, so the dashboard can say what is being simulated.
        ...(simulator ? { simulatedAccount: simulator.account() } : {}),
      },
      atMs: s.atMs,
      currentModel: s.metrics.system.currentModel,
      currentIndex: s.metrics.system.currentIndex,
      rotation: s.rotation,
      pinnedOrder: pinned !== undefined,
      system: s.metrics.system,
      models: s.metrics.models.map((m) => ({
        ...m,
        hedgeDelayMs: s.hedging.delaysMs[m.model] ?? null,
        registry: registryInfo(registry.models.get(m.model)),
      })),
      events: s.events.slice(-100),
      retryBudget: s.retryBudget,
      hedging: s.hedging,
      /** Whether the rotation is reconciled with the live model list at all (`reconcile.enabled`). */
      reconcileEnabled: reconciler !== undefined,
      reconcile: reconciler?.last() ?? null,
      store: {
        kind: opened.store.kind,
        location: opened.store.location,
        degraded: opened.store.degraded(),
        lastSavedAtMs: persistence?.lastSavedAtMs() ?? null,
        shared: opened.coordinator
          ? { instanceId: opened.coordinator.instanceId, ...opened.coordinator.stats() }
          : null,
      },
      keyQuota: quotaPoller?.last() ?? null,
      // Pooled providers, their models and quota windows grouped by provider (absent without any).
      ...(pooled
        ? {
            providers: providersStatus(
              rotor,
              plan.catalog,
              plan.joined,
              plan.skipped,
              s.metrics.system.quotas,
              (id) => providerReconciler?.last(id) ?? null,
            ),
          }
        : {}),
    };
  };

  const listModels = () => {
    const created = Math.floor(startedAtMs / 1000);
    const snapshot = new Map(rotor.engine.metrics().models.map((m) => [m.model, m]));
    const poolEntries = pooled
      ? [
          {
            id: 'fast',
            object: 'model',
            created,
            owned_by: 'rotor',
            rotor: { description: 'The rotation, lowest observed latency first, with automatic failover.' },
          },
          {
            id: 'best',
            object: 'model',
            created,
            owned_by: 'rotor',
            rotor: {
              description:
                'The rotation, strongest first by the shipped quality ranking (registry/model-quality.yaml), with automatic failover.',
            },
          },
          ...familyEntries(rotor, snapshot, created),
        ]
      : [];
    return [
      {
        id: 'auto',
        object: 'model',
        created,
        owned_by: 'rotor',
        rotor: { description: 'The first available model of the rotation, with automatic failover.' },
      },
      ...poolEntries,
      ...rotor.engine.rotationOrder.map((id) => {
        const profile = rotor.engine.profile(id);
        const m = snapshot.get(id);
        return {
          id,
          object: 'model',
          created,
          owned_by: isPair(id) ? id.slice(0, id.indexOf(':')) : (id.split('/')[0] ?? 'unknown'),
          rotor: {
            context_length: profile.contextLength ?? null,
            capabilities: {
              tools: profile.tools ?? null,
              vision: profile.vision ?? null,
              system_prompt: profile.systemPrompt ?? null,
            },
            available: m?.available ?? true,
            unavailable_reason: m?.unavailableReason ?? null,
          },
        };
      }),
    ];
  };

  // Live events for dashboards: engine events as they happen, a status snapshot every statusPushMs.
  const listeners = new Set<ServerResponse>();
  const broadcast = (event: string, data: unknown, id?: number) => {
    const frame = `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${redact(JSON.stringify(data))}\n\n`;
    for (const res of listeners) res.write(frame);
  };
  const unsubscribe = rotor.engine.subscribe((event: EngineEvent) => {
    if (listeners.size > 0) broadcast('engine', event, event.seq);
  });
  const pushTimer = setInterval(() => {
    if (listeners.size > 0) broadcast('status', status());
  }, config.server.statusPushMs);
  pushTimer.unref();

  const dashboardPath = join(packageRoot(), 'assets', 'dashboard.html');
  let dashboardCache: string | undefined;
  const app = createGatewayApp({
    rotor,
    metrics,
    logger,
    ...appSettings(config),
    modelAliases: config.protocols.modelAliases,
    responseStore: new ResponseStore(config.protocols.storedResponses),
    isKnownModel: known,
    listModels,
    status,
    health: () => ({
      simulated,
      version: VERSION,
      ...(simulated ? { note: 'answers are simulated: no OPENROUTER_API_KEY' } : {}),
    }),
    dashboardHtml: () => (dashboardCache ??= readFileSync(dashboardPath, 'utf8')),
    attachEvents: (res) => {
      listeners.add(res);
      res.write(`event: status\ndata: ${JSON.stringify(status())}\n\n`);
      return () => listeners.delete(res);
    },
    clock: { now },
  });

  const server: Server = createServer({ keepAliveTimeout: 65_000 }, app.handle);
  server.on('clientError', (err: Error & { code?: string }, socket) => {
    logger.debug({ code: err.code, message: err.message }, 'malformed HTTP request refused');
    answerClientError(err, socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.server.port, config.server.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urls = reachableUrls(address.address, address.port);
  const url = urls[0]!;
  logger.info({ url, urls, simulated, rotation: rotation.length }, 'rotor gateway listening');
  if (simulated) logger.warn({ simulator: simulator?.url }, 'no OPENROUTER_API_KEY: answers are SIMULATED');
  const warnExposure = (c: GatewayConfig) => {
    const warning = exposureWarning(c.server);
    if (warning) logger.warn({ host: c.server.host, urls }, warning);
  };
  warnExposure(config);

  let current = config;
  const reload = (next: GatewayConfig): ReloadPlan => {
    const plan = planReload(current, next);
    // What needs a restart keeps its old value, so `config` always says what is in force.
    const applied = structuredClone(next);
    for (const path of plan.restart) setAt(applied, path, current);
    app.reconfigure(appSettings(applied));
    logger.level = applied.log.level;
    // Read per request by the loop: a new deadline or timeout applies to the next request.
    Object.assign(rotor.options, {
      deadlineMs: applied.deadlineMs,
      maxQueueWaitMs: applied.maxQueueWaitMs,
      timeouts: applied.timeouts,
    });
    const order = applied.rotation.order;
    if (plan.apply.includes('rotation.order') && order)
      rotor.engine.setRotationOrder(order, 'configuration reloaded');
    current = applied;
    warnExposure(current);
    return plan;
  };

  let closing: Promise<{ drained: number; aborted: number }> | undefined;
  return {
    url,
    urls,
    port: address.port,
    rotor,
    app,
    simulated,
    simulator,
    get config() {
      return current;
    },
    reload,
    reconciler,
    providerReconciler,
    store: opened.store,
    coordinator: opened.coordinator,
    quotaPoller,
    providers: { joined: plan.joined, skipped: plan.skipped },
    close() {
      closing ??= (async () => {
        reconciler?.stop();
        providerReconciler?.stop();
        adaptive?.stop();
        quotaPoller?.stop();
        // Requests that raced the shutdown — still in the kernel's accept queue, or sent on a
        // connection whose bytes are not parsed yet — would be reset if the listener closed now.
        // Keep accepting for a moment and answer them: 503 `shutting_down`, never a reset.
        app.stopTakingWork();
        await new Promise((r) => setTimeout(r, SHUTDOWN_ACCEPT_GRACE_MS));
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const result = await app.drain(current.server.drainTimeoutMs);
        for (const res of listeners) res.end();
        listeners.clear();
        clearInterval(pushTimer);
        unsubscribe();
        server.closeAllConnections();
        await closed;
        await rotor.close();
        await persistence?.close(); // the last save
        await opened.store.close();
        await keyClient?.close();
        await simulator?.close();
        logger.info(result, 'rotor gateway stopped');
        return result;
      })();
      return closing;
    },
  };
}

/** pino with the one redaction rule applied to every line it writes. */
function gatewayLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: [
        'apiKey',
        '*.apiKey',
        'headers.authorization',
        '*.headers.authorization',
        'password',
        '*.password',
      ],
      censor: '***',
    },
    hooks: { streamWrite: (line) => redact(line) },
  });
}

function appSettings(config: GatewayConfig) {
  return {
    bodyLimitBytes: config.server.bodyLimitBytes,
    apiKeys: config.server.apiKeys,
    allowUnknownModels: config.server.allowUnknownModels,
    corsOrigins: config.server.cors.origins,
  };
}

/** Copy the value at a dotted `path` from `source` into `target` (both configurations). */
function setAt(target: object, path: string, source: object): void {
  const keys = path.split('.');
  let t = target as Record<string, unknown>;
  let s = source as Record<string, unknown> | undefined;
  for (const key of keys.slice(0, -1)) {
    const next = t[key];
    t[key] = next && typeof next === 'object' ? { ...(next as object) } : {};
    t = t[key] as Record<string, unknown>;
    s = s?.[key] as Record<string, unknown> | undefined;
  }
  const last = keys[keys.length - 1]!;
  if (s?.[last] === undefined) delete t[last];
  else t[last] = s[last];
}

function usable(m: ModelDefaults | undefined): boolean {
  return m === undefined || (m.status !== 'retired' && m.status !== 'incompatible');
}

function modelOptions(id: string, m: ModelDefaults): ModelOptions {
  const out: ModelOptions = { id };
  if (m.contextLength !== undefined) out.contextLength = m.contextLength;
  if (m.expectedLatencyMs !== undefined) out.expectedLatencyMs = m.expectedLatencyMs;
  if (m.capabilities.tools !== undefined) out.tools = m.capabilities.tools;
  if (m.capabilities.vision !== undefined) out.vision = m.capabilities.vision;
  if (m.capabilities.systemPrompt !== undefined) out.systemPrompt = m.capabilities.systemPrompt;
  return out;
}

function registryInfo(
  m: ModelDefaults | undefined,
): { status: string; expectedLatencyMs: number | null } | null {
  if (!m) return null;
  return { status: m.status, expectedLatencyMs: m.expectedLatencyMs ?? null };
}

/**
 * The demo's account: with credits (1,000 free requests a day, 20 a minute) unless `sim.freeTier`
 * asks for the 50-a-day account; a scenario file describes its own account when neither is said.
 */
function simulatedAccount(sim: GatewayConfig['sim']): { hasCredits?: boolean } {
  if (sim.freeTier !== undefined) return { hasCredits: !sim.freeTier };
  return sim.scenario ? {} : { hasCredits: true };
}

/** The providers to pool (README "Providers"); a bad `providers:` section is a configuration error. */
function providerPlan(
  shipped: ProviderCatalog,
  config: GatewayConfig,
  env: Env,
  withOpenRouter = false,
): ProviderPlan {
  try {
    return planProviders(shipped, config.providers, env, withOpenRouter || Boolean(config.upstream.apiKey));
  } catch (err) {
    if (err instanceof RegistryError)
      throw new ConfigError(`Invalid providers configuration:\n  ${err.message}`);
    throw err;
  }
}
