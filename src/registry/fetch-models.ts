/**
 * `GET {baseUrl}/models` with undici. The API key, when given, goes only into the Authorization
 * header: it never appears in errors.
 */
import { request } from 'undici';
import { VERSION } from '../version.js';
import { type ParsedModelList, parseModelList } from './openrouter-model.js';

export interface FetchModelsOptions {
  /** Aborts the request (e.g. on Ctrl-C). */
  signal?: AbortSignal;
  /** Whole-request limit, ms. Default 30 000. */
  timeoutMs?: number;
  /** Sent as a bearer token if set; the list is public, so it is optional. */
  apiKey?: string;
}

export class FetchModelsError extends Error {
  constructor(
    message: string,
    /** HTTP status, if the server answered. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FetchModelsError';
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** The models URL for a base URL such as `https://openrouter.ai/api/v1` (trailing slash or not). */
export function modelsUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/models`;
}

export async function fetchModels(
  baseUrl: string,
  options: FetchModelsOptions = {},
): Promise<ParsedModelList> {
  const url = modelsUrl(baseUrl);
  const { body, statusCode } = await fetchJson(url, options);
  try {
    return parseModelList(body);
  } catch (err) {
    throw new FetchModelsError(`GET ${redactUrl(url)}: ${(err as Error).message}`, statusCode, {
      cause: err,
    });
  }
}

/** `GET url` as JSON; any failure (network, timeout, non-2xx, not JSON) is a `FetchModelsError` naming the URL. */
export async function fetchJson(
  url: string,
  options: FetchModelsOptions = {},
): Promise<{ body: unknown; statusCode: number }> {
  const shown = redactUrl(url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': `rotor/${VERSION}` };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;

  let statusCode: number;
  let text: string;
  try {
    const response = await request(url, { method: 'GET', headers, signal });
    statusCode = response.statusCode;
    text = await response.body.text();
  } catch (err) {
    const reason = timeout.aborted
      ? `no complete answer within ${timeoutMs} ms`
      : options.signal?.aborted
        ? 'aborted'
        : err instanceof Error
          ? err.message || err.name
          : String(err);
    throw new FetchModelsError(`GET ${shown} failed: ${reason}`, undefined, { cause: err });
  }
  if (statusCode < 200 || statusCode >= 300) {
    throw new FetchModelsError(`GET ${shown} failed: HTTP ${statusCode}${errorDetail(text)}`, statusCode);
  }
  try {
    return { body: JSON.parse(text), statusCode };
  } catch (err) {
    throw new FetchModelsError(`GET ${shown}: the answer is not JSON`, statusCode, { cause: err });
  }
}

/**
 * The error's message, shortened; empty when the body says nothing useful. OpenRouter's and
 * OpenAI's `{"error": {"message"}}`, Cloudflare's `{"errors": [{"message"}]}`, a bare text.
 */
function errorDetail(text: string): string {
  let message: unknown;
  try {
    const body = JSON.parse(text) as {
      error?: { message?: unknown } | string;
      errors?: { message?: unknown }[];
    };
    message =
      typeof body.error === 'string'
        ? body.error
        : (body.error?.message ?? (Array.isArray(body.errors) ? body.errors[0]?.message : undefined));
  } catch {
    message = text.trim();
  }
  if (typeof message !== 'string' || message === '') return '';
  return ` (${message.length > 200 ? `${message.slice(0, 197)}...` : message})`;
}

/** Credentials in a URL (`https://user:pass@host`) are not shown. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}
