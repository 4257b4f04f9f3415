/**
 * One OpenAI-compatible upstream (OpenRouter, a local server, another gateway), as data.
 * rotor has a single adapter for all of them; what differs is configuration.
 */
export interface UpstreamConfig {
  /** Stable name used in metrics, state keys and logs, e.g. `openrouter`. */
  id: string;
  /** API root including the version path, e.g. `https://openrouter.ai/api/v1` (no trailing slash needed). */
  baseUrl: string;
  /** Bearer key. Only ever sent in the `Authorization` header; never logged or echoed in errors. */
  apiKey?: string;
  /** OpenRouter attribution: sent as `HTTP-Referer` when set. */
  referer?: string;
  /** OpenRouter attribution: sent as `X-Title` when set. */
  title?: string;
  /** Extra request headers sent on every call. */
  headers?: Record<string, string>;
}

/** The request headers for an upstream (without content-type / accept, which depend on the call). */
export function upstreamHeaders(upstream: UpstreamConfig): Record<string, string> {
  const h: Record<string, string> = {};
  // Lower-case names so a configured `Authorization` or `X-Title` cannot be sent twice.
  for (const [name, value] of Object.entries(upstream.headers ?? {})) h[name.toLowerCase()] = value;
  if (upstream.apiKey) h['authorization'] = `Bearer ${upstream.apiKey}`;
  if (upstream.referer) h['http-referer'] = upstream.referer;
  if (upstream.title) h['x-title'] = upstream.title;
  return h;
}
