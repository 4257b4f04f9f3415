/**
 * The gateway's configuration: a YAML file (`rotor.yaml`, or `--config` / `ROTOR_CONFIG`) validated
 * with one zod schema, then environment overrides on top. Every option has a default, so no file
 * at all is a valid configuration. Unknown keys are errors (a typo must not be silently ignored);
 * errors name the file, the path and the bad value.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { issueLines } from '../describe-value.js';
import { engineOptionsSchema } from '../engine/engine-options.js';
import { DEFAULT_MODEL_ALIASES } from '../protocols/model-alias.js';
import { DEFAULT_STORED_RESPONSES } from '../protocols/responses/response-store.js';
import { providerOverridesSchema } from '../providers/merge-provider-overrides.js';
import { redact, registerSecret } from '../redact.js';
import {
  hedgingSchema,
  retryBudgetSchema,
  streamingSchema,
  timeoutsSchema,
} from '../router/rotor-options.js';
import { parseStoreUrl } from '../store/parse-store-url.js';

export const DEFAULT_OPENROUTER_BASE_URL = 'https://openrouter.ai/api/v1';

export const gatewayConfigSchema = z.strictObject({
  server: z
    .strictObject({
      /** Interface to bind. Loopback by default: exposing the gateway is a decision. */
      host: z.string().min(1).default('127.0.0.1'),
      /** TCP port; 0 picks a free one. */
      port: z.number().int().min(0).max(65_535).default(8080),
      /** Client keys accepted as `Authorization: Bearer …`; empty means no client auth. */
      apiKeys: z.array(z.string().min(1)).default([]),
      /** Largest request body accepted, bytes. */
      bodyLimitBytes: z
        .number()
        .int()
        .positive()
        .default(4 * 1024 * 1024),
      /** On SIGTERM/SIGINT, how long in-flight requests may finish before they are answered with an error, ms. */
      drainTimeoutMs: z.number().int().min(0).default(10_000),
      /** Accept model ids that are neither in the rotation nor in the registry (passed through upstream). */
      allowUnknownModels: z.boolean().default(false),
      /** Interval of live status pushes to dashboards, ms. */
      statusPushMs: z.number().int().positive().default(1000),
      /** Silence the warning about a non-loopback `host` without `apiKeys` (anyone who reaches it spends the quota). */
      allowUnauthenticatedExposure: z.boolean().default(false),
      /** Browser clients: origins allowed to call the gateway (`["*"]` = any); empty = no CORS headers. */
      cors: z.strictObject({ origins: z.array(z.string().min(1)).default([]) }).default({ origins: [] }),
    })
    .default({
      host: '127.0.0.1',
      port: 8080,
      apiKeys: [],
      bodyLimitBytes: 4 * 1024 * 1024,
      drainTimeoutMs: 10_000,
      allowUnknownModels: false,
      statusPushMs: 1000,
      allowUnauthenticatedExposure: false,
      cors: { origins: [] },
    }),
  upstream: z
    .strictObject({
      /** OpenAI-compatible base URL of OpenRouter (or any compatible provider). */
      baseUrl: z.url().default(DEFAULT_OPENROUTER_BASE_URL),
      /** Prefer the OPENROUTER_API_KEY environment variable to writing the key here. */
      apiKey: z.string().min(1).optional(),
      /** OpenRouter attribution headers. */
      referer: z.string().optional(),
      title: z.string().default('rotor'),
    })
    .default({ baseUrl: DEFAULT_OPENROUTER_BASE_URL, title: 'rotor' }),
  rotation: z
    .strictObject({
      /** An explicit, pinned rotation order (primary first). Default: the registry's order. */
      order: z.array(z.string().min(1)).optional(),
      /** Re-rank the rotation live from observed success and latency (ignored with a pinned order). */
      adaptive: z.boolean().default(false),
      /** How often the adaptive ranking looks at live stats, ms. */
      adaptiveIntervalMs: z.number().int().positive().default(60_000),
      /** A model must be this much faster (0.2 = 20 %) at the same success level to overtake: no flapping. */
      adaptiveHysteresis: z.number().min(0).max(10).default(0.2),
      /** Attempts a model needs before its live stats count; below that it keeps its place. */
      adaptiveMinSamples: z.number().int().min(1).default(20),
    })
    .default({
      adaptive: false,
      adaptiveIntervalMs: 60_000,
      adaptiveHysteresis: 0.2,
      adaptiveMinSamples: 20,
    }),
  /** Path of the models registry YAML. Default: the shipped `registry/free-models.yaml`. */
  registry: z.string().optional(),
  /**
   * Pooled providers (see README "Providers"): id → fields that override the shipped catalog's
   * entry (`registry/providers.yaml`: objects merge, arrays and values replace), or a whole new
   * provider. Checked against the catalog's schema when the gateway starts. Default: none — every
   * provider whose key variable is set joins as the catalog describes it.
   */
  providers: providerOverridesSchema.optional(),
  /** Deadline over all attempts and waits of one request, ms (clients may shorten it with `x-rotor-deadline-ms`). */
  deadlineMs: z.number().int().positive().default(120_000),
  /** Longest a request may queue for a model or the account quota, ms. */
  maxQueueWaitMs: z.number().int().min(0).default(60_000),
  timeouts: timeoutsSchema.default(timeoutsSchema.parse({})),
  /** Retries (same-model, or waiting after a failure) as a share of requests; see README "Budgets". */
  retryBudget: retryBudgetSchema.default(retryBudgetSchema.parse({})),
  /** Hedged first token: a silent attempt is raced against the next model; see README "Hedging". */
  hedging: hedgingSchema.default(hedgingSchema.parse({})),
  /** Cut streams: `continueAfterCut` asks the next model to finish the text; see README "Streaming". */
  streaming: streamingSchema.default(streamingSchema.parse({})),
  engine: engineOptionsSchema
    .omit({ rotationOrder: true })
    .default(engineOptionsSchema.omit({ rotationOrder: true }).parse({})),
  /** The built-in simulator, used when no API key is configured. */
  sim: z
    .strictObject({
      seed: z.number().int().default(1),
      /** 1 = the seed's measured latencies; 0 = instant answers. */
      latencyScale: z.number().min(0).default(1),
      /** A simulator scenario file (see src/sim/README.md). */
      scenario: z.string().optional(),
      /** A `GET /models` snapshot for the simulator to serve (only listed models answer); enables reconciliation. */
      modelsFile: z.string().optional(),
      /**
       * Simulate the 50-a-day account (no credits bought). Default: an account with credits — 1,000
       * free requests a day, 20 a minute — so the demo lasts; a scenario file's account wins when unset.
       */
      freeTier: z.boolean().optional(),
      /**
       * Simulated providers pooled beside the simulated OpenRouter when no key at all is set (ids
       * from the provider catalog the simulator speaks, e.g. `[groq, gemini]`; `[]`: OpenRouter
       * alone). Default: `rotor serve` pools Groq and Gemini; an embedded `startGateway`, none.
       */
      providers: z.array(z.string().min(1)).optional(),
    })
    .default({ seed: 1, latencyScale: 1 }),
  /** Reconciling the rotation with the live model list (see src/reconcile/README.md). */
  reconcile: z
    .strictObject({
      /** Default: on with an API key, or in simulated mode with `sim.modelsFile`; each pooled provider's list is checked whenever one joined. */
      enabled: z.boolean().optional(),
      /** Time between checks after the one at start, ms; 0 = only at start. Default 6 h. */
      intervalMs: z
        .number()
        .int()
        .min(0)
        .default(6 * 60 * 60 * 1000),
      /** Limit of one `GET /models`, ms. Default 15 s. */
      timeoutMs: z.number().int().positive().default(15_000),
    })
    .default({ intervalMs: 6 * 60 * 60 * 1000, timeoutMs: 15_000 }),
  /** Where engine state lives (see src/store/README.md). */
  store: z
    .strictObject({
      /**
       * `memory` | `sqlite:PATH` | `redis://HOST:PORT[/DB][?prefix=rotor:]` (env `ROTOR_STORE`).
       * Default: `rotor serve` with an API key → `sqlite:<dataDir>/rotor.db`; simulated, or
       * `startGateway()` embedded → `memory`.
       */
      url: z.string().min(1).optional(),
      /** Directory of the default SQLite file, relative to the working directory. Default `./data`. */
      dataDir: z.string().min(1).default('./data'),
      /** Redis: a stable name per replica, to keep its own rolling stats across restarts (env `ROTOR_REPLICA_ID`). */
      replicaId: z.string().min(1).optional(),
    })
    .default({ dataDir: './data' }),
  /** The account's free-model quota. */
  quota: z
    .strictObject({
      /**
       * Let the automatic rotation use non-`:free` models (which cost money) too. Default false:
       * they are left out of `auto`; a client that names one explicitly still gets it.
       */
      allowPaidFallback: z.boolean().default(false),
      /** Read the daily free-model quota (`GET /key`) at start and then this often, ms; 0 = never. Default 5 min. */
      keyPollMs: z
        .number()
        .int()
        .min(0)
        .default(5 * 60 * 1000),
      /** Limit of one `GET /key`, ms. Default 10 s. */
      keyTimeoutMs: z.number().int().positive().default(10_000),
    })
    .default({ allowPaidFallback: false, keyPollMs: 5 * 60 * 1000, keyTimeoutMs: 10_000 }),
  /** The agents' protocols: `POST /v1/messages` (Anthropic) and `POST /v1/responses` (OpenAI Responses). */
  protocols: z
    .strictObject({
      /**
       * Model names clients send → rotor models or `auto`. Keys are names or `*` patterns (exact
       * key first, then the longest pattern). Default: every `claude-*` → `auto`.
       */
      modelAliases: z.record(z.string().min(1), z.string().min(1)).default({ ...DEFAULT_MODEL_ALIASES }),
      /** `/v1/responses` with `store: true`: how many recent responses are kept in memory (0 = none). */
      storedResponses: z.number().int().min(0).default(DEFAULT_STORED_RESPONSES),
    })
    .default({ modelAliases: { ...DEFAULT_MODEL_ALIASES }, storedResponses: DEFAULT_STORED_RESPONSES }),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .default({ level: 'info' }),
});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;

/** A configuration problem; its message is redacted (it may quote the file or the environment). */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(message: string) {
    super(redact(message));
  }
}

/** Every secret the raw input holds, registered before validation so that no message can echo one. */
function registerConfigSecrets(input: Record<string, Record<string, unknown> | undefined>): void {
  registerSecret(stringAt(input.upstream, 'apiKey'));
  const providers = input.providers;
  if (providers && typeof providers === 'object') {
    for (const p of Object.values(providers)) registerSecret(stringAt(p, 'api_key'));
  }
  const keys = input.server?.apiKeys;
  if (Array.isArray(keys)) for (const k of keys) registerSecret(typeof k === 'string' ? k : undefined);
  const storeUrl = stringAt(input.store, 'url');
  if (storeUrl) {
    try {
      const parsed = parseStoreUrl(storeUrl);
      if (parsed.kind === 'redis') registerSecret(parsed.password);
    } catch {
      // An invalid URL is reported (redacted) by validation.
    }
  }
}

function stringAt(section: unknown, key: string): string | undefined {
  if (!section || typeof section !== 'object') return undefined;
  const value = (section as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

function storeUrlProblem(url: string): string | undefined {
  try {
    parseStoreUrl(url);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * The store `rotor serve` uses when none is configured: a SQLite file under `store.dataDir` with
 * a real upstream; memory when simulated (a simulated account's state is worthless after a restart).
 */
export function defaultStoreUrl(config: GatewayConfig): string {
  return config.upstream.apiKey ? `sqlite:${config.store.dataDir.replace(/\/+$/, '')}/rotor.db` : 'memory';
}

/** Validate a parsed configuration object; `source` names where it came from in messages. */
export function parseGatewayConfig(input: unknown, source = 'configuration'): GatewayConfig {
  const result = gatewayConfigSchema.safeParse(input ?? {});
  if (result.success) {
    // Checked here, not in the schema: the message must not echo a Redis password.
    const storeProblem =
      result.data.store.url === undefined ? undefined : storeUrlProblem(result.data.store.url);
    if (storeProblem) throw new ConfigError(`Invalid ${source}:\n  store.url: ${storeProblem}`);
    return result.data;
  }
  const lines = issueLines(result.error.issues, input);
  throw new ConfigError(`Invalid ${source}:\n  ${lines.join('\n  ')}`);
}

/**
 * Load the configuration: the YAML file if any, then environment overrides:
 * `OPENROUTER_API_KEY`, `OPENROUTER_BASE_URL`, `ROTOR_PORT`, `ROTOR_HOST`, `ROTOR_ORDER`
 * (comma-separated), `ROTOR_API_KEYS` (comma-separated client keys), `ROTOR_LOG_LEVEL`,
 * `ROTOR_RECONCILE_INTERVAL_MS`, `ROTOR_STORE`, `ROTOR_REPLICA_ID`, `ROTOR_ALLOW_PAID_FALLBACK` and
 * `ROTOR_SIM_FREE_TIER` (`true`/`false`).
 */
export function loadGatewayConfig(
  options: { path?: string | undefined; env?: NodeJS.ProcessEnv; overrides?: GatewayConfigInput } = {},
): GatewayConfig {
  const env = options.env ?? process.env;
  const path = options.path ?? env.ROTOR_CONFIG;
  registerSecret(env.OPENROUTER_API_KEY); // before the file is read: no excerpt of it may show the key
  for (const k of splitList(env.ROTOR_API_KEYS ?? '')) registerSecret(k);
  let fromFile: Record<string, unknown> = {};
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(`Cannot read config file ${path}: ${(err as Error).message}`);
    }
    try {
      fromFile = (parseYaml(text) as Record<string, unknown> | null) ?? {};
    } catch (err) {
      // Only the parser's first line (what and where): its source excerpt could quote a secret of any shape.
      const what = (err as Error).message.split('\n')[0]!.trim();
      throw new ConfigError(`Config file ${path} is not valid YAML: ${what}`);
    }
  }
  const merged = structuredClone(fromFile) as Record<string, Record<string, unknown> | undefined>;
  const section = (name: string): Record<string, unknown> => {
    const existing = merged[name];
    if (existing && typeof existing === 'object') return existing;
    const created: Record<string, unknown> = {};
    merged[name] = created;
    return created;
  };
  if (env.OPENROUTER_API_KEY) section('upstream').apiKey = env.OPENROUTER_API_KEY;
  if (env.OPENROUTER_BASE_URL) section('upstream').baseUrl = env.OPENROUTER_BASE_URL;
  if (env.ROTOR_HOST) section('server').host = env.ROTOR_HOST;
  if (env.ROTOR_PORT) section('server').port = numberFromEnv('ROTOR_PORT', env.ROTOR_PORT);
  if (env.ROTOR_API_KEYS) section('server').apiKeys = splitList(env.ROTOR_API_KEYS);
  if (env.ROTOR_ORDER) section('rotation').order = splitList(env.ROTOR_ORDER);
  if (env.ROTOR_LOG_LEVEL) section('log').level = env.ROTOR_LOG_LEVEL;
  if (env.ROTOR_RECONCILE_INTERVAL_MS)
    section('reconcile').intervalMs = numberFromEnv(
      'ROTOR_RECONCILE_INTERVAL_MS',
      env.ROTOR_RECONCILE_INTERVAL_MS,
    );
  if (env.ROTOR_STORE) section('store').url = env.ROTOR_STORE;
  if (env.ROTOR_REPLICA_ID) section('store').replicaId = env.ROTOR_REPLICA_ID;
  if (env.ROTOR_ALLOW_PAID_FALLBACK)
    section('quota').allowPaidFallback = booleanFromEnv(
      'ROTOR_ALLOW_PAID_FALLBACK',
      env.ROTOR_ALLOW_PAID_FALLBACK,
    );
  if (env.ROTOR_SIM_FREE_TIER)
    section('sim').freeTier = booleanFromEnv('ROTOR_SIM_FREE_TIER', env.ROTOR_SIM_FREE_TIER);
  for (const [name, value] of Object.entries(options.overrides ?? {})) {
    if (value && typeof value === 'object' && !Array.isArray(value)) Object.assign(section(name), value);
    else (merged as Record<string, unknown>)[name] = value;
  }
  registerConfigSecrets(merged);
  return parseGatewayConfig(
    merged,
    path ? `config file ${path} (with environment overrides)` : 'configuration',
  );
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function booleanFromEnv(name: string, value: string): boolean {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new ConfigError(`${name} must be true or false, got "${value}"`);
}

function numberFromEnv(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new ConfigError(`${name} must be a number, got "${value}"`);
  return n;
}
