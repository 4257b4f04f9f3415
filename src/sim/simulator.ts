/**
 * A faithful OpenRouter fake on a real socket: `POST /chat/completions`, `GET /models`, `GET /key`
 * under `/api/v1` (and `/v1`), OpenRouter's limits and bodies, scripted faults, and an admin API
 * under `/__sim/`. Deterministic for a seed; time comes from the injected clock.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, systemClock } from '../engine/clock.js';
import type { AccountSnapshot } from './account-limits.js';
import { handleAdmin } from './admin-api.js';
import type { AttemptRecord } from './attempt-log.js';
import { handleChat } from './chat-handler.js';
import type { ScheduledFault } from './fault-schedule.js';
import { BodyTooLargeError, bearerToken, readBody, sendJson, sendRawJson } from './http-util.js';
import { loadModelsSnapshot } from './models-snapshot.js';
import * as bodies from './openrouter-bodies.js';
import {
  endpointOf,
  type SimProviderEndpoint,
  type SimProviderSnapshot,
  snapshotOf,
} from './providers/provider-endpoints.js';
import { routeProvider } from './providers/provider-http.js';
import {
  type ProviderUpdate,
  providerUpdateSchema,
  type SimProviderScenario,
} from './providers/provider-scenario.js';
import { simulatedProviderIds } from './providers/provider-sim-models.js';
import {
  type FaultInput,
  formatIssues,
  loadScenarioFile,
  parseScenario,
  type Scenario,
  ScenarioError,
  type ScenarioInput,
} from './scenario-schema.js';
import { defaultModels, mergeModels, type SimModel, toModelsEntry } from './sim-models.js';
import { type AccountUpdate, type ResetOptions, SimState } from './sim-state.js';

export interface SimulatorOptions {
  /** Port to listen on; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string;
  /** Seed for answers and fault probabilities. Default: the scenario's, else 1. */
  seed?: number;
  /** Time source for quota windows, fault windows and latency waits. Default `systemClock`. */
  clock?: Clock;
  /** Multiplies every model latency; 0 answers at once without timers. Default: scenario's, else 1. */
  latencyScale?: number;
  /** A scenario object (validated here). */
  scenario?: ScenarioInput;
  /** A scenario YAML file; ignored when `scenario` is given. */
  scenarioFile?: string;
  /** Serve this `GET /models` snapshot; every model in it becomes servable. */
  modelsFile?: string;
  /** Account has bought ≥ 10 credits (1000 free requests/day instead of 50). Default: scenario's. */
  hasCredits?: boolean;
  /** Enforce the account's free-model limits. Default: scenario's, else true. */
  freeLimits?: boolean;
  /** Words in a default answer. Default: scenario's, else 8. */
  completionTokens?: number;
  /** Accept only these bearer keys (others get 401 "User not found."). Default: any non-empty key. */
  apiKeys?: readonly string[];
  /** Cap on kept attempt records. Default 200 000. */
  maxAttempts?: number;
  /**
   * Also serve these built-in providers (`groq`, `gemini`, …, or `'all'`), each under `/<id>/…`,
   * with its default models and the catalog's limits; the scenario's `providers:` adds details.
   * Default: the scenario's providers only (none).
   */
  providers?: readonly string[] | 'all';
}

export interface Simulator {
  /** Base URL for OpenAI-compatible clients, ending in `/api/v1`. */
  readonly url: string;
  /** `http://host:port`, for the admin API (`${origin}/__sim/…`). */
  readonly origin: string;
  readonly port: number;
  readonly seed: number;
  /** The servable models, in order. */
  models(): SimModel[];
  /** Ms since t = 0 by the simulator's clock. */
  elapsedMs(): number;
  /** Replace the fault schedule (validated; throws `ScenarioError`). */
  setFaults(faults: FaultInput[]): ScheduledFault[];
  addFault(fault: FaultInput): ScheduledFault;
  removeFault(id: string): boolean;
  clearFaults(): void;
  faults(): ScheduledFault[];
  /** Forget counters and attempts; optionally faults and t = 0. */
  reset(options?: ResetOptions): void;
  /** Every chat request seen since start or the last reset. */
  attempts(): AttemptRecord[];
  account(): AccountSnapshot;
  setAccount(update: AccountUpdate): AccountSnapshot;
  setLatencyScale(scale: number): void;
  /** The providers served besides OpenRouter, with the base URL, key and environment for each. */
  providers(): SimProviderEndpoint[];
  /** Base URL of a served provider (`openrouter` is `url`); throws for one not served. */
  providerBaseUrl(id: string): string;
  /** One provider's limits, models and current quota. */
  providerState(id: string): SimProviderSnapshot;
  /** Enable or disable a provider, change its limits, pre-spend its quota (validated; throws `ScenarioError`). */
  updateProvider(id: string, update: ProviderUpdate): SimProviderSnapshot;
  /** Stop listening and drop every open connection (hanging requests included). */
  close(): Promise<void>;
}

const DEFAULT_COMPLETION_TOKENS = 8;

async function buildState(options: SimulatorOptions): Promise<SimState> {
  const scenario: Scenario = options.scenario
    ? parseScenario(options.scenario)
    : options.scenarioFile
      ? await loadScenarioFile(options.scenarioFile)
      : parseScenario({});
  const modelsFile = options.modelsFile ?? scenario.modelsFile;
  const snapshot = modelsFile === undefined ? undefined : await loadModelsSnapshot(modelsFile);

  const models = snapshot
    ? mergeModels(snapshot.models, scenario.models)
    : mergeModels(scenario.defaultModels ? defaultModels() : [], scenario.models);
  let modelsEntries = models.map(toModelsEntry);
  if (snapshot) {
    // Serve the file as it is; models only the scenario adds are rendered after it.
    const inFile = new Set(snapshot.models.map((m) => m.id));
    modelsEntries = [...snapshot.entries, ...models.filter((m) => !inFile.has(m.id)).map(toModelsEntry)];
  }

  return new SimState({
    clock: options.clock ?? systemClock,
    seed: options.seed ?? scenario.seed ?? 1,
    latencyScale: options.latencyScale ?? scenario.latencyScale ?? 1,
    completionTokens: options.completionTokens ?? scenario.completionTokens ?? DEFAULT_COMPLETION_TOKENS,
    models,
    modelsEntries,
    account: {
      ...scenario.account,
      hasCredits: options.hasCredits ?? scenario.account.hasCredits,
      freeLimits: options.freeLimits ?? scenario.account.freeLimits,
    },
    faults: scenario.faults,
    providers: providersWithOptions(scenario.providers, options.providers),
    ...(options.apiKeys ? { apiKeys: options.apiKeys } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
  });
}

/** The scenario's providers, with every provider named in the options enabled. */
function providersWithOptions(
  fromScenario: Readonly<Record<string, SimProviderScenario>>,
  named: readonly string[] | 'all' | undefined,
): Record<string, SimProviderScenario> {
  const providers = { ...fromScenario };
  const ids = named === 'all' ? simulatedProviderIds() : (named ?? []);
  for (const id of ids) {
    providers[id] = { ...(providers[id] ?? { defaultModels: true, models: [], limits: {} }), enabled: true };
  }
  return providers;
}

function handleKey(state: SimState, req: IncomingMessage, res: ServerResponse): void {
  const key = bearerToken(req);
  const refusal =
    key === undefined
      ? bodies.noAuthCredentials()
      : state.apiKeys && !state.apiKeys.has(key)
        ? bodies.userNotFound()
        : undefined;
  if (refusal) {
    sendJson(res, refusal.status, refusal.body);
    return;
  }
  const account = state.accountSnapshot();
  sendJson(
    res,
    200,
    bodies.keyInfo(key!, { hasCredits: account.hasCredits, enforced: account.enforced, day: account.day }),
  );
}

/** The path below `/api/v1/` or `/v1/`, or undefined for any other path. */
function apiPath(path: string): string | undefined {
  if (path.startsWith('/api/v1/')) return path.slice('/api/v1/'.length);
  if (path.startsWith('/v1/')) return path.slice('/v1/'.length);
  return undefined;
}

async function route(state: SimState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  if (path.startsWith('/__sim/')) {
    const query = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
    return handleAdmin(state, req, res, path.slice('/__sim/'.length), query);
  }
  if (await routeProvider(state, req, res, path)) return;
  const endpoint = apiPath(path);
  const method = req.method ?? 'GET';
  if (endpoint === 'chat/completions' && method === 'POST')
    return handleChat(state, req, res, await readBody(req));
  if (endpoint === 'models' && method === 'GET')
    return sendRawJson(res, 200, state.modelsBody(state.elapsedMs()));
  if ((endpoint === 'key' || endpoint === 'auth/key') && method === 'GET') return handleKey(state, req, res);
  const notFound = bodies.notFoundRoute();
  sendJson(res, notFound.status, notFound.body);
}

function parseProviderUpdate(update: unknown): ProviderUpdate {
  const result = providerUpdateSchema.safeParse(update);
  if (!result.success) throw new ScenarioError('provider update', formatIssues(result.error, update));
  return result.data;
}

/** Start a simulator; resolves once it listens. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const state = await buildState(options);
  const server: Server = createServer((req, res) => {
    route(state, req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof BodyTooLargeError)
        return sendJson(res, 413, { error: { message: err.message, code: 413 } }, { connection: 'close' });
      sendJson(res, 500, { error: { message: `simulator error: ${(err as Error).message}`, code: 500 } });
    });
  });
  // Benchmarks hold many keep-alive connections; never let Node's defaults cut them mid-run.
  server.keepAliveTimeout = 60_000;
  server.requestTimeout = 0;

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url: `${origin}/api/v1`,
    origin,
    port,
    seed: state.seed,
    models: () => [...state.models.values()],
    elapsedMs: () => state.elapsedMs(),
    setFaults: (faults) => state.setFaults(faults),
    addFault: (fault) => state.addFault(fault),
    removeFault: (id) => state.faults.remove(id),
    clearFaults: () => state.faults.clear(),
    faults: () => state.faults.list(),
    reset: (resetOptions) => state.reset(resetOptions),
    attempts: () => state.attempts(),
    account: () => state.accountSnapshot(),
    setAccount: (update) => state.updateAccount(update),
    setLatencyScale: (scale) => state.setLatencyScale(scale),
    providers: () => state.providers.enabled().map((entry) => endpointOf(entry, origin)),
    providerBaseUrl: (id) => {
      if (id === 'openrouter') return `${origin}/api/v1`;
      const entry = state.providers.get(id);
      if (!entry?.enabled) throw new RangeError(`the simulator does not serve provider ${id}`);
      return `${origin}${entry.basePath}`;
    },
    providerState: (id) => {
      const entry = state.providers.get(id);
      if (!entry) throw new RangeError(`no simulated provider ${id}`);
      return snapshotOf(entry, state.clock.now());
    },
    updateProvider: (id, update) => {
      const parsed = parseProviderUpdate(update);
      return snapshotOf(state.providers.update(id, parsed), state.clock.now());
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
