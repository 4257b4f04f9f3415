/**
 * What a gateway needs to use a simulated provider: its base URL, model-list URL and a key, and
 * the same as environment variables rotor's discovery reads (`GROQ_BASE_URL`, `GROQ_API_KEY`,
 * `CLOUDFLARE_ACCOUNT_ID`, …), so "point rotor at the simulator" is one object spread into `env`.
 */
import { baseUrlEnvName } from '../../providers/discover-providers.js';
import type { ProviderQuota, QuotaView } from './provider-quota.js';
import type { SimProviderEntry } from './provider-world.js';

export interface SimProviderEndpoint {
  id: string;
  name: string;
  /** OpenAI-compatible base URL, e.g. `http://127.0.0.1:8090/groq/openai/v1`. */
  baseUrl: string;
  /** The model list, in the provider's own shape. */
  modelsUrl: string;
  /** A key the simulator accepts (local servers need none). */
  apiKey?: string;
  /** `<ID>_BASE_URL`, the provider's first key variable and any base-URL variables. */
  env: Record<string, string>;
}

/**
 * The providers a keyless demo pools besides OpenRouter: Groq (generous, and it paces from its
 * headers) and Gemini (no headers; 5 a minute, 20 a day, a day that ends at midnight Pacific),
 * so both ways of learning quota show.
 */
export const SIMULATED_POOL_PROVIDERS: readonly string[] = ['groq', 'gemini'];

/** Every endpoint's variables in one environment (`{...process.env, ...simulatedProviderEnv(sim.providers())}`). */
export function simulatedProviderEnv(endpoints: readonly SimProviderEndpoint[]): Record<string, string> {
  return Object.assign({}, ...endpoints.map((e) => e.env));
}

/** The key the simulated pool uses for a provider (any non-empty key works unless `apiKeys` is set). */
export function simulatedKey(providerId: string): string {
  return `sim-${providerId}-key`;
}

export function endpointOf(entry: SimProviderEntry, origin: string, apiKey?: string): SimProviderEndpoint {
  const baseUrl = `${origin}${entry.basePath}`;
  const env: Record<string, string> = { [baseUrlEnvName(entry.id)]: baseUrl };
  const key = entry.provider.local ? undefined : (apiKey ?? simulatedKey(entry.id));
  const keyVar = entry.provider.key_env[0];
  if (key !== undefined && keyVar !== undefined) env[keyVar] = key;
  for (const variable of Object.values(entry.provider.base_url_vars)) {
    if (variable === 'CLOUDFLARE_ACCOUNT_ID') env[variable] = entry.accountId;
  }
  return {
    id: entry.id,
    name: entry.provider.name,
    baseUrl,
    modelsUrl: `${origin}${entry.modelsPath}`,
    ...(key === undefined ? {} : { apiKey: key }),
    env,
  };
}

/** One provider's state for the admin API and `Simulator.providerState`. */
export interface SimProviderSnapshot {
  id: string;
  enabled: boolean;
  basePath: string;
  modelsPath: string;
  models: string[];
  limits: ReturnType<ProviderQuota['limits']>;
  /** Model id → every enforced window as headers would report it now. */
  quota: Record<string, QuotaView[]>;
}

export function snapshotOf(entry: SimProviderEntry, nowMs: number): SimProviderSnapshot {
  const quota: Record<string, QuotaView[]> = {};
  for (const id of entry.models.keys()) quota[id] = entry.quota.view(id, nowMs);
  return {
    id: entry.id,
    enabled: entry.enabled,
    basePath: entry.basePath,
    modelsPath: entry.modelsPath,
    models: [...entry.models.keys()],
    limits: entry.quota.limits(),
    quota,
  };
}
