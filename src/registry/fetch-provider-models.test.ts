/** `fetchProviderModels` against a local socket: Cloudflare's paged search API, errors that name the URL and never the key. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProviderCatalog } from '../providers/provider-catalog-file.js';
import type { Provider } from '../providers/provider-catalog-schema.js';
import { FetchModelsError } from './fetch-models.js';
import { fetchProviderModels } from './fetch-provider-models.js';

let server: Server;
let origin: string;
let seen: { url: string; authorization?: string }[] = [];
let cloudflare: Provider;
let groq: Provider;

/** Three models over two pages of two, as Cloudflare's `result_info` tells. */
const PAGES: Record<string, unknown> = {
  '1': {
    success: true,
    result: [{ name: '@cf/a' }, { name: '@cf/b' }],
    result_info: { page: 1, per_page: 2, count: 2, total_count: 3 },
  },
  '2': {
    success: true,
    result: [{ name: '@cf/c' }],
    result_info: { page: 2, per_page: 2, count: 1, total_count: 3 },
  },
};

beforeAll(async () => {
  const catalog = await loadProviderCatalog();
  cloudflare = catalog.providers.find((p) => p.id === 'cloudflare')!;
  groq = catalog.providers.find((p) => p.id === 'groq')!;
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({
      url: `${url.pathname}${url.search}`,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    res.setHeader('content-type', 'application/json');
    if (url.pathname === '/search') {
      res.end(JSON.stringify(PAGES[url.searchParams.get('page') ?? '1']));
    } else if (url.pathname === '/denied') {
      res.statusCode = 403;
      res.end(JSON.stringify({ success: false, errors: [{ code: 10000, message: 'Authentication error' }] }));
    } else {
      res.end(JSON.stringify({ object: 'list', models: [] }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('fetchProviderModels', () => {
  it("follows Cloudflare's pages until the total is read, sending the key", async () => {
    seen = [];
    const list = await fetchProviderModels({
      id: 'cloudflare',
      provider: cloudflare,
      modelsUrl: `${origin}/search`,
      apiKey: 'cf-token',
    });
    expect(list.models.map((m) => m.id)).toEqual(['@cf/a', '@cf/b', '@cf/c']);
    expect(seen).toEqual([
      { url: '/search', authorization: 'Bearer cf-token' },
      { url: '/search?page=2', authorization: 'Bearer cf-token' },
    ]);
  });

  it("an error answer names the URL and the provider's message, never the key", async () => {
    const err = await fetchProviderModels({
      id: 'cloudflare',
      provider: cloudflare,
      modelsUrl: `${origin}/denied`,
      apiKey: 'cf-secret-token',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchModelsError);
    expect((err as Error).message).toBe(`GET ${origin}/denied failed: HTTP 403 (Authentication error)`);
  });

  it("a body that is not the provider's shape says so", async () => {
    const err = await fetchProviderModels({ id: 'groq', provider: groq, modelsUrl: `${origin}/other` }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toBe(
      `GET ${origin}/other: not groq's model list (expected {"data": [...]})`,
    );
  });
});
