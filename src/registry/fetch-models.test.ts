import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FetchModelsError, fetchModels, modelsUrl } from './fetch-models.js';

let server: Server | undefined;

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

describe('fetchModels', () => {
  it('GETs {baseUrl}/models with the key as a bearer token', async () => {
    let seen: IncomingMessage | undefined;
    const baseUrl = await serve((req, res) => {
      seen = req;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ data: [{ id: 'a/b:free' }] }));
    });
    const list = await fetchModels(`${baseUrl}/`, { apiKey: 'sk-or-secret' });
    expect(list.models.map((model) => model.id)).toEqual(['a/b:free']);
    expect(seen?.method).toBe('GET');
    expect(seen?.url).toBe('/api/v1/models');
    expect(seen?.headers.authorization).toBe('Bearer sk-or-secret');
  });

  it('sends no authorization header without a key', async () => {
    let authorization: string | undefined = 'unset';
    const baseUrl = await serve((req, res) => {
      authorization = req.headers.authorization;
      res.end('{"data":[]}');
    });
    await fetchModels(baseUrl);
    expect(authorization).toBeUndefined();
  });

  it('reports an HTTP error with its status and message, never the key', async () => {
    const baseUrl = await serve((_req, res) => {
      res.statusCode = 401;
      res.end(JSON.stringify({ error: { code: 401, message: 'User not found.' } }));
    });
    const error = await fetchModels(baseUrl, { apiKey: 'sk-or-secret' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(FetchModelsError);
    expect((error as FetchModelsError).status).toBe(401);
    expect((error as Error).message).toBe(`GET ${baseUrl}/models failed: HTTP 401 (User not found.)`);
    expect((error as Error).message).not.toContain('secret');
  });

  it('reports a body that is not JSON or not a model list', async () => {
    const baseUrl = await serve((req, res) => res.end(req.url === '/bad/models' ? 'oops' : '{"nope":1}'));
    const root = baseUrl.replace('/api/v1', '');
    await expect(fetchModels(`${root}/bad`)).rejects.toThrow(/is not JSON/);
    await expect(fetchModels(baseUrl)).rejects.toThrow(/no `data` array/);
  });

  it('gives up after the timeout', async () => {
    const baseUrl = await serve(() => {
      // Never answers.
    });
    await expect(fetchModels(baseUrl, { timeoutMs: 100 })).rejects.toThrow(
      /no complete answer within 100 ms/,
    );
  });

  it('reports a refused connection', async () => {
    const baseUrl = await serve((_req, res) => res.end());
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    await expect(fetchModels(baseUrl)).rejects.toThrow(/failed: .*ECONNREFUSED|failed: connect/);
  });

  it('builds the models URL with or without a trailing slash', () => {
    expect(modelsUrl('https://openrouter.ai/api/v1')).toBe('https://openrouter.ai/api/v1/models');
    expect(modelsUrl('https://openrouter.ai/api/v1//')).toBe('https://openrouter.ai/api/v1/models');
  });
});
