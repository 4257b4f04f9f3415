/**
 * Zero-config: which catalog providers join the pool, from the environment alone. A provider joins
 * when one of its `key_env` variables is set; `<ID>_BASE_URL` (id upper-cased, `-` → `_`)
 * overrides its base URL; a local server (no key to tell us it runs) joins only when its
 * `<ID>_BASE_URL` is set or the config enables it. Pure: the environment comes in as an argument.
 */
import type { Provider, ProviderCatalog } from './provider-catalog-schema.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** A provider ready to be called. */
export interface JoinedProvider {
  id: string;
  provider: Provider;
  /** Base URL with placeholders filled and no trailing slash. */
  baseUrl: string;
  /** Bearer key; absent for servers that need none. Never log it. */
  apiKey?: string;
  /** Where the key came from: the variable's name, or `config`. */
  keySource?: string;
  /** Where to list models (absolute), if the provider has a list. */
  modelsUrl?: string;
}

export interface SkippedProvider {
  id: string;
  /** Why it did not join, in words for the start-up banner and `rotor status`. */
  reason: string;
}

export interface DiscoveredProviders {
  /** Catalog order, local servers last (they are the last resort). */
  joined: JoinedProvider[];
  skipped: SkippedProvider[];
}

/** `github-models` → `GITHUB_MODELS_BASE_URL`. */
export function baseUrlEnvName(id: string): string {
  return `${id.toUpperCase().replace(/-/g, '_')}_BASE_URL`;
}

export function discoverProviders(
  catalog: Pick<ProviderCatalog, 'providers'>,
  env: Env,
): DiscoveredProviders {
  const joined: JoinedProvider[] = [];
  const skipped: SkippedProvider[] = [];
  for (const provider of catalog.providers) {
    const result = discoverOne(provider, env);
    if ('reason' in result) skipped.push(result);
    else joined.push(result);
  }
  joined.sort((a, b) => Number(a.provider.local) - Number(b.provider.local));
  return { joined, skipped };
}

function discoverOne(provider: Provider, env: Env): JoinedProvider | SkippedProvider {
  const id = provider.id;
  if (provider.enabled === false) return { id, reason: 'disabled in the config' };
  const urlVar = baseUrlEnvName(id);
  const urlFromEnv = nonEmpty(env[urlVar]);
  if (urlFromEnv !== undefined && !/^https?:\/\/\S+$/.test(urlFromEnv)) {
    return { id, reason: `${urlVar} is not an http(s) URL: ${JSON.stringify(urlFromEnv.slice(0, 80))}` };
  }
  const key = findKey(provider, env);
  if (provider.local) {
    if (urlFromEnv === undefined && provider.enabled !== true) {
      return { id, reason: `local server: set ${urlVar} or enable it in the config` };
    }
  } else if (key === undefined) {
    if (provider.key_env.length > 0) return { id, reason: `no key: set ${provider.key_env.join(' or ')}` };
    if (urlFromEnv === undefined && provider.enabled !== true) {
      return { id, reason: `needs no key: set ${urlVar} or enable it in the config` };
    }
  }
  const filled = fillPlaceholders(urlFromEnv ?? provider.base_url, provider, env);
  if ('missing' in filled) return { id, reason: `no ${filled.missing}: it fills the base URL` };
  const baseUrl = filled.url.replace(/\/+$/, '');
  const modelsUrl = modelsUrlFor(provider, baseUrl, urlFromEnv !== undefined, env);
  return {
    id,
    provider,
    baseUrl,
    ...(key ? { apiKey: key.value, keySource: key.source } : {}),
    ...(modelsUrl !== undefined ? { modelsUrl } : {}),
  };
}

function findKey(provider: Provider, env: Env): { value: string; source: string } | undefined {
  for (const name of provider.key_env) {
    const value = nonEmpty(env[name]);
    if (value !== undefined) return { value, source: name };
  }
  return provider.api_key === undefined ? undefined : { value: provider.api_key, source: 'config' };
}

function fillPlaceholders(url: string, provider: Provider, env: Env): { url: string } | { missing: string } {
  let out = url;
  for (const [placeholder, variable] of Object.entries(provider.base_url_vars)) {
    if (!out.includes(`{${placeholder}}`)) continue;
    const value = nonEmpty(env[variable]);
    if (value === undefined) return { missing: variable };
    out = out.replaceAll(`{${placeholder}}`, encodeURIComponent(value));
  }
  return { url: out };
}

/**
 * The model list's URL. A relative path hangs off the base URL. An absolute one (GitHub's catalog,
 * Cloudflare's search API) is the real site's, so when `<ID>_BASE_URL` moved the base URL it is
 * rebased onto the new one: what comes before the catalog base URL's path in the new base URL
 * (`http://127.0.0.1:8090/github-models` for `…/github-models/inference`), then the list's path.
 * A base URL that does not end with the catalog's path cannot be rebased: no list rather than the
 * real site's (a simulator or a proxy would otherwise report the real site's models).
 */
function modelsUrlFor(provider: Provider, baseUrl: string, moved: boolean, env: Env): string | undefined {
  const path = provider.models.path;
  if (path === undefined) return undefined;
  if (!/^https?:\/\//.test(path)) return `${baseUrl}/${path.replace(/^\/+/, '')}`;
  const filled = fillPlaceholders(path, provider, env);
  if (!('url' in filled)) return undefined;
  if (!moved) return filled.url;
  const catalogBase = fillPlaceholders(provider.base_url, provider, env);
  if (!('url' in catalogBase)) return undefined;
  const basePath = new URL(catalogBase.url).pathname.replace(/\/+$/, '');
  const list = new URL(filled.url);
  if (new URL(catalogBase.url).origin !== list.origin || !baseUrl.endsWith(basePath)) return undefined;
  return `${baseUrl.slice(0, baseUrl.length - basePath.length)}${list.pathname}${list.search}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v === undefined || v === '' ? undefined : v;
}
