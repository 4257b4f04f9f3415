/**
 * A pooled provider's live model list: `GET` its `modelsUrl` (with its key, when it has one; a
 * public list does not mind it) and read the answer in the provider's own shape. Cloudflare's
 * search API is paged (`result_info`): the pages are followed, up to `MAX_PAGES`. The key goes only
 * into the Authorization header, never into an error.
 */
import type { JoinedProvider } from '../providers/discover-providers.js';
import {
  ModelListShapeError,
  type ProviderModelList,
  parseProviderModelList,
} from '../providers/provider-model-list.js';
import { FetchModelsError, type FetchModelsOptions, fetchJson, redactUrl } from './fetch-models.js';

/** Pages of a paged list read at most (Cloudflare lists about a hundred models, a few pages). */
const MAX_PAGES = 20;

export type ProviderListSource = Pick<JoinedProvider, 'id' | 'provider' | 'modelsUrl' | 'apiKey'>;

export interface FetchedProviderModels extends ProviderModelList {
  /** Where the list came from. */
  url: string;
}

/** Throws `FetchModelsError` (naming the URL) when the list cannot be read; the provider must have a `modelsUrl`. */
export async function fetchProviderModels(
  source: ProviderListSource,
  options: Omit<FetchModelsOptions, 'apiKey'> = {},
): Promise<FetchedProviderModels> {
  const url = source.modelsUrl;
  if (url === undefined) throw new FetchModelsError(`${source.id} has no model list to fetch`);
  const fetchOptions: FetchModelsOptions = {
    ...options,
    ...(source.apiKey === undefined ? {} : { apiKey: source.apiKey }),
  };
  const out: FetchedProviderModels = { url, models: [], invalid: [] };
  const seen = new Set<string>();
  for (let page = 1; page <= MAX_PAGES; page++) {
    const pageUrl = page === 1 ? url : withPage(url, page);
    const { body, statusCode } = await fetchJson(pageUrl, fetchOptions);
    let parsed: ProviderModelList;
    try {
      parsed = parseProviderModelList(source.provider, body);
    } catch (err) {
      if (!(err instanceof ModelListShapeError)) throw err;
      throw new FetchModelsError(
        `GET ${redactUrl(pageUrl)}: not ${source.id}'s model list (${err.message})`,
        statusCode,
        { cause: err },
      );
    }
    for (const m of parsed.models) {
      if (seen.has(m.id)) continue;
      seen.add(m.id);
      out.models.push(m);
    }
    out.invalid.push(...parsed.invalid);
    if (source.provider.models.shape !== 'cloudflare' || !morePages(body, page, parsed.models.length)) break;
  }
  return out;
}

/** Cloudflare's `result_info`: another page when the total is larger than what the pages so far held. */
function morePages(body: unknown, page: number, onPage: number): boolean {
  const info = (body as { result_info?: Record<string, unknown> }).result_info;
  if (!info || onPage === 0) return false;
  const perPage = Number(info.per_page);
  const total = Number(info.total_count);
  const pages = Number(info.total_pages);
  if (Number.isFinite(pages) && pages > 0) return page < pages;
  return Number.isFinite(total) && Number.isFinite(perPage) && perPage > 0 && page * perPage < total;
}

function withPage(url: string, page: number): string {
  const parsed = new URL(url);
  parsed.searchParams.set('page', String(page));
  return parsed.toString();
}
