/**
 * Which providers the gateway pools, from the catalog, the config's `providers:` and the
 * environment: zero config — every provider whose key variable is set joins (`<ID>_BASE_URL`
 * overrides its base URL), as `discoverProviders` decides. OpenRouter stays what it always was
 * (the `upstream:` section, `OPENROUTER_API_KEY`, the model registry); with no provider key at
 * all nothing here changes anything. Pure: the catalog, the config and the environment come in.
 */
import {
  discoverProviders,
  type Env,
  type JoinedProvider,
  type SkippedProvider,
} from '../providers/discover-providers.js';
import { mergeProviderOverrides } from '../providers/merge-provider-overrides.js';
import type { ProviderCatalog } from '../providers/provider-catalog-schema.js';
import { OPENROUTER_PROVIDER, pairId } from '../router/pair-id.js';
import type { ModelOptions, UpstreamOptions } from '../router/rotor-options.js';

export interface ProviderPlan {
  /** The shipped catalog with the config's overrides applied. */
  catalog: ProviderCatalog;
  /** Providers that join the pool (OpenRouter apart: it is the `upstream:` section). */
  joined: JoinedProvider[];
  /** Providers left out, each with its reason (OpenRouter's when it is left out). */
  skipped: SkippedProvider[];
  /** Whether OpenRouter is an upstream: with its key, or (simulated) when no provider joined. */
  openRouter: boolean;
  /** One upstream per joined provider. */
  upstreams: UpstreamOptions[];
  /** Each joined provider's `rotation` models, as `<provider>:<id>` pairs. */
  models: ModelOptions[];
  /** The automatic rotation: providers in the catalog's `auto_order`, OpenRouter's part at its place. */
  rotation(openRouterRotation: readonly string[]): string[];
}

/**
 * `overrides` is the config's `providers:` (validated here with the catalog's schema: throws
 * `RegistryError` naming each bad field). `openRouterKey`: whether OpenRouter has a key.
 */
export function planProviders(
  shipped: ProviderCatalog,
  overrides: unknown,
  env: Env,
  openRouterKey: boolean,
  source = 'rotor.yaml',
): ProviderPlan {
  const catalog = mergeProviderOverrides(shipped, overrides, source);
  const found = discoverProviders(catalog, env);
  const joined = found.joined.filter((j) => j.id !== OPENROUTER_PROVIDER);
  const skipped = found.skipped.filter((s) => s.id !== OPENROUTER_PROVIDER);
  const openRouter = openRouterKey || joined.length === 0;
  if (!openRouter) skipped.unshift({ id: OPENROUTER_PROVIDER, reason: 'no key: set OPENROUTER_API_KEY' });
  const upstreams: UpstreamOptions[] = joined.map((j) => ({
    id: j.id,
    baseUrl: j.baseUrl,
    ...(j.apiKey === undefined ? {} : { apiKey: j.apiKey }),
    provider: j.id,
  }));
  const models: ModelOptions[] = joined.flatMap((j) =>
    j.provider.rotation.map((id) => ({ id: pairId(j.id, id), upstream: j.id, upstreamId: id })),
  );
  const order = providerOrder(
    catalog,
    joined.map((j) => j.id),
  );
  return {
    catalog,
    joined,
    skipped,
    openRouter,
    upstreams,
    models,
    rotation(openRouterRotation) {
      const out: string[] = [];
      for (const id of order) {
        if (id === OPENROUTER_PROVIDER) {
          if (openRouter) out.push(...openRouterRotation);
          continue;
        }
        const j = joined.find((x) => x.id === id);
        if (j) out.push(...j.provider.rotation.map((m) => pairId(id, m)));
      }
      return [...new Set(out)];
    },
  };
}

/** `auto_order` first, then joined providers it does not name (catalog order, local servers last); OpenRouter always placed. */
function providerOrder(catalog: ProviderCatalog, joined: readonly string[]): string[] {
  const listed = catalog.auto_order.filter((id) => id === OPENROUTER_PROVIDER || joined.includes(id));
  const rest = joined.filter((id) => !listed.includes(id));
  const order = [...listed, ...rest];
  if (!order.includes(OPENROUTER_PROVIDER)) order.push(OPENROUTER_PROVIDER);
  return order;
}
