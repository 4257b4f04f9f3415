import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRouterFixturesDir } from '../../test/repo-fixtures.js';
import { assembleCompletion } from '../chat/assemble-completion.js';
import type { ChatCompletion, ChatCompletionChunk } from '../chat/chat-types.js';
import { rawChunkText } from '../chat/raw-chunk-text.js';
import { type Clock, systemClock } from '../engine/clock.js';
import type { AttemptTimeouts, BatchedChunkSource, TransportRequest } from './chat-transport.js';
import { isBatchedChunkSource, UpstreamFailure } from './chat-transport.js';
import { classifyBodyError, classifyHttpError } from './classify.js';
import { UpstreamClient } from './upstream-client.js';
import type { UpstreamConfig } from './upstream-config.js';

// ---------- a tiny scripted upstream on a real socket ----------

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

interface TestServer {
  url: string;
  port: number;
  /** Requests seen: method, url, headers, parsed body. */
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[];
  connections: number;
  /** Resolves when the next server-side socket closes. */
  nextSocketClose(): Promise<void>;
  close(): Promise<void>;
}

async function startServer(handler: Handler): Promise<TestServer> {
  const sockets = new Set<Socket>();
  let closeWaiters: (() => void)[] = [];
  const requests: TestServer['requests'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
    });
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  const state = { connections: 0 };
  server.on('connection', (s: Socket) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => {
      sockets.delete(s);
      const waiters = closeWaiters;
      closeWaiters = [];
      for (const w of waiters) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/api/v1`,
    port,
    requests,
    get connections() {
      return state.connections;
    },
    nextSocketClose: () => new Promise((resolve) => closeWaiters.push(resolve)),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const sse = (obj: unknown): string => `data: ${JSON.stringify(obj)}\n\n`;

function chunk(delta: Record<string, unknown>, finish: string | null = null): ChatCompletionChunk {
  return {
    id: 'gen-1',
    object: 'chat.completion.chunk',
    created: 1700000000,
    model: 'm/served:free',
    provider: 'TestProvider',
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
}

const USAGE = { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 };
const HAPPY_STREAM = [
  ': OPENROUTER PROCESSING\n\n',
  sse(chunk({ role: 'assistant', content: '' })),
  sse(chunk({ content: 'Hel' })),
  sse(chunk({ content: 'lo' }, 'stop')),
  sse({ ...chunk({}), choices: [], usage: USAGE }),
  'data: [DONE]\n\n',
];

function streamHeaders(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
}

function writeStream(parts: string[]): Handler {
  return (_req, res) => {
    streamHeaders(res);
    for (const p of parts) res.write(p);
    res.end();
  };
}

// ---------- the client under test ----------

const FIXED_NOW = Date.UTC(2026, 4, 20, 12, 0, 0);
const fixedClock: Clock = { now: () => FIXED_NOW, sleep: systemClock.sleep };
const API_KEY = 'sk-or-v1-secret0123456789abcdef';
const FAST: AttemptTimeouts = { connectMs: 1_000, firstTokenMs: 2_000, idleMs: 2_000, totalMs: 5_000 };

let server: TestServer | undefined;
let client: UpstreamClient;

beforeEach(() => {
  client = new UpstreamClient({ clock: fixedClock });
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  await client.close();
});

function upstream(s: TestServer, extra: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return { id: 'test', baseUrl: s.url, apiKey: API_KEY, ...extra };
}

function request(s: TestServer, over: Partial<TransportRequest> = {}): TransportRequest {
  return {
    upstream: upstream(s),
    model: 'm/requested:free',
    body: { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
    timeouts: FAST,
    ...over,
  };
}

async function collect(it: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const out: ChatCompletionChunk[] = [];
  for await (const c of it) out.push(c);
  return out;
}

/** Run the iteration; return the chunks seen and what it threw. */
async function collectUntilError(
  it: AsyncIterable<ChatCompletionChunk>,
): Promise<{ chunks: ChatCompletionChunk[]; error: unknown }> {
  const chunks: ChatCompletionChunk[] = [];
  try {
    for await (const c of it) chunks.push(c);
  } catch (error) {
    return { chunks, error };
  }
  return { chunks, error: undefined };
}

/** Read with `nextBatch` until the end or an error. */
async function collectBatches(
  it: AsyncIterable<ChatCompletionChunk>,
): Promise<{ batches: ChatCompletionChunk[][]; error: unknown }> {
  expect(isBatchedChunkSource(it)).toBe(true);
  const source = it as unknown as BatchedChunkSource;
  const batches: ChatCompletionChunk[][] = [];
  try {
    for (let b = await source.nextBatch(); b !== null; b = await source.nextBatch()) batches.push(b);
  } catch (error) {
    return { batches, error };
  }
  return { batches, error: undefined };
}

function asFailure(err: unknown): UpstreamFailure {
  expect(err).toBeInstanceOf(UpstreamFailure);
  return err as UpstreamFailure;
}

async function openError(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected openStream to reject');
}

// ---------- tests ----------

describe('UpstreamClient.openStream: success', () => {
  it('streams parsed chunks, skips keep-alives, and sends the right request', async () => {
    server = await startServer(writeStream(HAPPY_STREAM));
    const s = server;
    const req = request(s, {
      upstream: upstream(s, {
        referer: 'https://example.org',
        title: 'rotor test',
        headers: { 'X-Extra': '1' },
      }),
      body: {
        model: 'auto',
        messages: [{ role: 'user', content: 'hi' }],
        stream: false,
        temperature: 0.1,
        top_k: 3,
      },
    });
    const chunks = await collect(await client.openStream(req));
    expect(chunks).toHaveLength(4);
    const completion = assembleCompletion(chunks);
    expect(completion.choices[0]?.message.content).toBe('Hello');
    expect(completion.usage).toEqual(USAGE);
    expect(completion.model).toBe('m/served:free');

    const seen = s.requests[0]!;
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/api/v1/chat/completions');
    expect(seen.headers['authorization']).toBe(`Bearer ${API_KEY}`);
    expect(seen.headers['http-referer']).toBe('https://example.org');
    expect(seen.headers['x-title']).toBe('rotor test');
    expect(seen.headers['x-extra']).toBe('1');
    expect(seen.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen.body)).toEqual({
      model: 'm/requested:free',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.1,
      top_k: 3,
    });
  });

  it('nextBatch hands over the same chunks, one batch per socket read, with their upstream text', async () => {
    server = await startServer((_req, res) => {
      streamHeaders(res);
      res.write(HAPPY_STREAM.slice(0, 3).join('')); // keep-alive + two chunks in one write
      setTimeout(() => res.end(HAPPY_STREAM.slice(3).join('')), 20);
    });
    const { batches, error } = await collectBatches(await client.openStream(request(server)));
    expect(error).toBeUndefined();
    expect(batches.map((b) => b.length)).toEqual([2, 2]);
    const chunks = batches.flat();
    expect(chunks).toEqual(await collect(await client.openStream(request(server))));
    // Each chunk keeps the exact text it arrived as, so the gateway can forward it unchanged.
    expect(chunks.map((c) => `data: ${rawChunkText(c)}\n\n`)).toEqual(HAPPY_STREAM.slice(1, 5));
  });

  it('nextBatch delivers chunks that arrived before a failure, then rejects', async () => {
    server = await startServer(
      writeStream([sse(chunk({ content: 'a' })) + 'data: {"id":"x",\n\n', 'data: [DONE]\n\n']),
    );
    const { batches, error } = await collectBatches(await client.openStream(request(server)));
    expect(batches.flat().map((c) => c.choices[0]?.delta.content)).toEqual(['a']);
    const f = asFailure(error);
    expect(f.failure.message).toBe('Upstream sent a malformed stream chunk');
    expect(f.afterContent).toBe(true);
  });

  it('a chunk parsed from a multi-line data event keeps no upstream text (it would break SSE framing)', async () => {
    const text = JSON.stringify(chunk({ content: 'x' }, 'stop'), null, 1).split('\n');
    server = await startServer(
      writeStream([`${text.map((l) => `data: ${l}`).join('\n')}\n\n`, 'data: [DONE]\n\n']),
    );
    const chunks = await collect(await client.openStream(request(server)));
    expect(chunks).toHaveLength(1);
    expect(rawChunkText(chunks[0]!)).toBeUndefined();
  });

  it('reuses one keep-alive socket for consecutive requests', async () => {
    server = await startServer(writeStream(HAPPY_STREAM));
    for (let i = 0; i < 3; i++) await collect(await client.openStream(request(server)));
    expect(server.connections).toBe(1);
  });

  it('keeps the socket after an error answer (429s are frequent; reconnecting would cost a handshake)', async () => {
    server = await startServer((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 429, message: 'Rate limit exceeded' } }));
    });
    for (let i = 0; i < 3; i++) {
      expect(asFailure(await openError(client.openStream(request(server)))).failure.kind).toBe('rate_limit');
    }
    expect(server.connections).toBe(1);
  });

  it('accepts a JSON completion instead of SSE and yields equivalent chunks', async () => {
    const completion: ChatCompletion = {
      id: 'gen-json',
      object: 'chat.completion',
      created: 1700000001,
      model: 'm/served:free',
      provider: 'JsonProvider',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
          },
          finish_reason: 'tool_calls',
          logprobs: null,
        },
      ],
      usage: USAGE,
    };
    server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(completion));
    });
    const chunks = await collect(await client.openStream(request(server)));
    expect(assembleCompletion(chunks)).toEqual(completion);
  });

  it('a slow consumer does not trip the idle timeout (the socket is paused, not silent)', async () => {
    const parts = [sse(chunk({ role: 'assistant', content: '' }))];
    for (let i = 0; i < 400; i++) parts.push(sse(chunk({ content: 'x' })));
    parts.push(sse(chunk({}, 'stop')), 'data: [DONE]\n\n');
    server = await startServer(writeStream(parts));
    const it = await client.openStream(request(server, { timeouts: { ...FAST, idleMs: 40 } }));
    let n = 0;
    for await (const _ of it) {
      if (++n % 50 === 0) await new Promise((r) => setTimeout(r, 25));
    }
    expect(n).toBe(402);
  });
});

describe('UpstreamClient.openStream: every error fixture over a real socket', () => {
  const dir = findFixtureDir();
  for (const file of readdirSync(dir).sort()) {
    it(file, async () => {
      const text = readFileSync(join(dir, file), 'utf8');
      if (file.endsWith('.sse')) {
        server = await startServer((_req, res) => {
          streamHeaders(res);
          res.end(text);
        });
        const { chunks, error } = await collectUntilError(await client.openStream(request(server)));
        expect(chunks.map((c) => c.choices[0]?.delta.content)).toEqual(['The answer']);
        const f = asFailure(error);
        expect(f.afterContent).toBe(true);
        expect(f.failure).toMatchObject({ kind: 'rate_limit', scope: 'model', status: 200 });
        return;
      }
      const fx = JSON.parse(text) as { status: number; headers: Record<string, string>; body: unknown };
      server = await startServer((_req, res) => {
        res.writeHead(fx.status, { 'content-type': 'application/json', ...fx.headers });
        res.end(JSON.stringify(fx.body));
      });
      const f = asFailure(await openError(client.openStream(request(server))));
      const expected =
        fx.status === 200
          ? classifyBodyError(fx.body, 200, FIXED_NOW)
          : classifyHttpError(fx.status, fx.headers, JSON.stringify(fx.body), FIXED_NOW);
      expect(f.failure).toEqual(expected);
      expect(f.afterContent).toBe(false);
      expect(f.message).not.toMatch(/user_[A-Za-z0-9]*\d/);
    });
  }
});

describe('UpstreamClient.openStream: stream faults', () => {
  it('a stream that delivered its finish_reason and usage, then closed without [DONE], is complete', async () => {
    server = await startServer(writeStream(HAPPY_STREAM.slice(0, 5)));
    const { chunks, error } = await collectUntilError(await client.openStream(request(server)));
    expect(error).toBeUndefined();
    expect(chunks).toHaveLength(4);
    expect(chunks[2]?.choices[0]?.finish_reason).toBe('stop');
  });

  it('a stream cut before any finish_reason is a server error after content', async () => {
    server = await startServer(writeStream(HAPPY_STREAM.slice(0, 3)));
    const { chunks, error } = await collectUntilError(await client.openStream(request(server)));
    expect(chunks).toHaveLength(2);
    const f = asFailure(error);
    expect(f.failure).toMatchObject({
      kind: 'server_error',
      message: 'Upstream stream ended without a finish_reason (the answer is incomplete)',
    });
    expect(f.afterContent).toBe(true);
  });

  it('[DONE] without any finish_reason is a server error', async () => {
    server = await startServer(writeStream([sse(chunk({ content: 'a' })), 'data: [DONE]\n\n']));
    const { error } = await collectUntilError(await client.openStream(request(server)));
    expect(asFailure(error).failure.message).toMatch(/without a finish_reason/);
  });

  it('a malformed chunk is a server error; chunks before it are still delivered', async () => {
    server = await startServer(
      writeStream([
        sse(chunk({ role: 'assistant', content: '' })),
        'data: {"id":"x",\n\n',
        'data: [DONE]\n\n',
      ]),
    );
    const { chunks, error } = await collectUntilError(await client.openStream(request(server)));
    expect(chunks).toHaveLength(1);
    const f = asFailure(error);
    expect(f.failure).toMatchObject({
      kind: 'server_error',
      message: 'Upstream sent a malformed stream chunk',
    });
    expect(f.afterContent).toBe(false); // the role-only chunk is not content
  });

  it('an error chunk with a string code mid-stream is classified', async () => {
    server = await startServer(
      writeStream([
        sse(chunk({ content: 'partial' })),
        sse({ ...chunk({}, 'error'), error: { code: 'server_error', message: 'provider crashed' } }),
      ]),
    );
    const { error } = await collectUntilError(await client.openStream(request(server)));
    const f = asFailure(error);
    expect(f.failure).toMatchObject({
      kind: 'server_error',
      upstreamCode: 'server_error',
      message: 'provider crashed',
    });
    expect(f.afterContent).toBe(true);
  });

  it('a connection destroyed before headers is a network failure', async () => {
    server = await startServer((req) => req.socket.destroy());
    const f = asFailure(await openError(client.openStream(request(server))));
    expect(f.failure.kind).toBe('network');
  });

  it('a refused connection is a network failure', async () => {
    const s = await startServer(() => {});
    await s.close();
    const f = asFailure(await openError(client.openStream(request(s))));
    expect(f.failure.kind).toBe('network');
    expect(f.message).toMatch(/ECONNREFUSED/);
  });

  it('a connection reset mid-stream is a network failure after content', async () => {
    server = await startServer((req, res) => {
      streamHeaders(res);
      res.write(sse(chunk({ content: 'a' })));
      setTimeout(() => req.socket.destroy(), 10);
    });
    const { error } = await collectUntilError(await client.openStream(request(server)));
    const f = asFailure(error);
    expect(f.failure.kind).toBe('network');
    expect(f.afterContent).toBe(true);
  });

  it('never puts the API key in a failure message, even when the upstream echoes it', async () => {
    server = await startServer((req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `bad key ${req.headers['authorization']}`, code: 401 } }));
    });
    const f = asFailure(
      await openError(
        client.openStream(request(server, { upstream: { ...upstream(server), apiKey: 'plainkey42' } })),
      ),
    );
    expect(f.failure.kind).toBe('auth');
    expect(f.message).not.toContain('plainkey42');
  });
});

describe('UpstreamClient.openStream: timeouts', () => {
  it('no headers within firstTokenMs → timeout first_token, and the socket is closed', async () => {
    server = await startServer(() => {});
    const closed = server.nextSocketClose();
    const f = asFailure(
      await openError(client.openStream(request(server, { timeouts: { ...FAST, firstTokenMs: 50 } }))),
    );
    expect(f.failure).toMatchObject({ kind: 'timeout', phase: 'first_token' });
    await closed;
  });

  it('keep-alive comments do not count as a first token', async () => {
    let timer: NodeJS.Timeout | undefined;
    server = await startServer((_req, res) => {
      streamHeaders(res);
      timer = setInterval(() => res.write(': OPENROUTER PROCESSING\n\n'), 10);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const it = await client.openStream(request(server, { timeouts: { ...FAST, firstTokenMs: 80 } }));
    const { chunks, error } = await collectUntilError(it);
    expect(chunks).toEqual([]);
    expect(asFailure(error).failure).toMatchObject({ kind: 'timeout', phase: 'first_token' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
  });

  it('a stall between chunks → timeout idle after content', async () => {
    server = await startServer((_req, res) => {
      streamHeaders(res);
      res.write(sse(chunk({ content: 'a' })));
    });
    const { chunks, error } = await collectUntilError(
      await client.openStream(request(server, { timeouts: { ...FAST, idleMs: 50 } })),
    );
    expect(chunks).toHaveLength(1);
    const f = asFailure(error);
    expect(f.failure).toMatchObject({ kind: 'timeout', phase: 'idle' });
    expect(f.afterContent).toBe(true);
  });

  it('a stream that keeps going past totalMs → timeout total', async () => {
    let timer: NodeJS.Timeout | undefined;
    server = await startServer((_req, res) => {
      streamHeaders(res);
      timer = setInterval(() => res.write(sse(chunk({ content: 'x' }))), 10);
      res.on('close', () => clearInterval(timer));
    });
    const { chunks, error } = await collectUntilError(
      await client.openStream(request(server, { timeouts: { ...FAST, totalMs: 120 } })),
    );
    expect(chunks.length).toBeGreaterThan(0);
    expect(asFailure(error).failure).toMatchObject({ kind: 'timeout', phase: 'total' });
  });
});

describe('UpstreamClient.openStream: cancellation', () => {
  it('abort while waiting for headers rejects with the signal reason and closes the socket', async () => {
    server = await startServer(() => {});
    const closed = server.nextSocketClose();
    const ac = new AbortController();
    const p = client.openStream(request(server, { signal: ac.signal }));
    setTimeout(() => ac.abort(new Error('client went away')), 20);
    const err = await openError(p);
    expect(err).not.toBeInstanceOf(UpstreamFailure);
    expect((err as Error).message).toBe('client went away');
    await closed;
  });

  it('an already-aborted signal rejects without sending anything', async () => {
    server = await startServer(() => {});
    const ac = new AbortController();
    ac.abort('gone');
    expect(await openError(client.openStream(request(server, { signal: ac.signal })))).toBe('gone');
    expect(server.requests).toHaveLength(0);
  });

  it('abort mid-stream rejects the iteration with the reason and closes the socket', async () => {
    server = await startServer((_req, res) => {
      streamHeaders(res);
      res.write(sse(chunk({ content: 'a' })));
    });
    const closed = server.nextSocketClose();
    const ac = new AbortController();
    const it = await client.openStream(request(server, { signal: ac.signal }));
    const chunks: ChatCompletionChunk[] = [];
    let error: unknown;
    try {
      for await (const c of it) {
        chunks.push(c);
        ac.abort(new Error('stop now'));
      }
    } catch (e) {
      error = e;
    }
    expect(chunks).toHaveLength(1);
    expect(error).not.toBeInstanceOf(UpstreamFailure);
    expect((error as Error).message).toBe('stop now');
    await closed;
  });

  it('breaking out of the iteration aborts the upstream request', async () => {
    server = await startServer((_req, res) => {
      streamHeaders(res);
      res.write(sse(chunk({ content: 'a' })));
      res.write(sse(chunk({ content: 'b' })));
    });
    const closed = server.nextSocketClose();
    const it = await client.openStream(request(server));
    for await (const _ of it) break;
    await closed;
  });
});

describe('UpstreamClient metadata endpoints', () => {
  it('listModels returns the data array; getKeyInfo the data object', async () => {
    server = await startServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/api/v1/models') res.end(JSON.stringify({ data: [{ id: 'a:free' }, { id: 'b' }] }));
      else res.end(JSON.stringify({ data: { label: 'k', is_free_tier: true } }));
    });
    expect(await client.listModels(upstream(server))).toEqual([{ id: 'a:free' }, { id: 'b' }]);
    expect(await client.getKeyInfo(upstream(server))).toEqual({ label: 'k', is_free_tier: true });
    expect(server.requests.map((r) => [r.method, r.url, r.headers['authorization']])).toEqual([
      ['GET', '/api/v1/models', `Bearer ${API_KEY}`],
      ['GET', '/api/v1/key', `Bearer ${API_KEY}`],
    ]);
  });

  it('getKeyInfo falls back to /auth/key on 404', async () => {
    server = await startServer((req, res) => {
      if (req.url === '/api/v1/key') {
        res.writeHead(404).end();
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ data: { label: 'old' } }));
    });
    expect(await client.getKeyInfo(upstream(server))).toEqual({ label: 'old' });
  });

  it('errors become UpstreamFailure; abort rejects with the reason', async () => {
    server = await startServer((req, res) => {
      if (req.url?.endsWith('/models')) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'No auth credentials found', code: 401 } }));
      }
      // /key: never answers
    });
    expect(asFailure(await openError(client.listModels(upstream(server)))).failure.kind).toBe('auth');
    const ac = new AbortController();
    const p = client.getKeyInfo(upstream(server), ac.signal);
    setTimeout(() => ac.abort('bye'), 20);
    expect(await openError(p)).toBe('bye');
  });
});

function findFixtureDir(): string {
  return join(openRouterFixturesDir(), 'errors');
}
