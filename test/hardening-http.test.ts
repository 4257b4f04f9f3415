/**
 * Hostile and careless HTTP, over real sockets: every answer is OpenAI-shaped (or the connection is
 * closed), never Node's bare status line, never a 5xx from rotor itself.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../src/server/http-body.js';
import { type GatewayFixture, gatewayWithSimulator, postJson } from './gateway-helpers.js';
import { isOpenAiError, rawRequest } from './raw-http.js';

const hello = { model: 'auto', messages: [{ role: 'user', content: 'hi' }] };
const CLIENT_KEY = 'client-key-hardening-1';
const auth = { authorization: `Bearer ${CLIENT_KEY}` };

let f: GatewayFixture;
let port: number;
beforeAll(async () => {
  f = await gatewayWithSimulator({
    overrides: { server: { apiKeys: [CLIENT_KEY], cors: { origins: ['https://app.example'] } } },
  });
  port = f.gateway.port;
});
afterAll(() => f.close());

const errorOf = async (res: Response) => ((await res.json()) as { error: Record<string, unknown> }).error;

describe('malformed HTTP gets an OpenAI-shaped 400/431 from the clientError handler', () => {
  const cases: Array<[string, string, number, string]> = [
    ['garbage bytes', '\x00\x01\x02garbage\r\n\r\n', 400, 'malformed_request'],
    [
      'Content-Length plus Transfer-Encoding',
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
      'malformed_request',
    ],
    [
      'a bad chunked body',
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
      400,
      'malformed_request',
    ],
    [
      'a negative Content-Length',
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n',
      400,
      'malformed_request',
    ],
    [
      'a 20 KB header',
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'request_headers_too_large',
    ],
  ];
  for (const [name, bytes, status, code] of cases) {
    it(name, async () => {
      const answer = await rawRequest(port, bytes);
      expect(answer.status).toBe(status);
      expect(answer.headers['content-type']).toMatch(/application\/json/);
      expect(isOpenAiError(answer.body)).toBe(true);
      expect(JSON.parse(answer.body).error.code).toBe(code);
      expect(answer.headers.connection).toBe('close');
    });
  }

  it('the gateway keeps serving afterwards', async () => {
    expect((await fetch(`${f.gateway.url}/health`)).status).toBe(200);
  });
});

describe('paths, methods and HEAD', () => {
  it('a malformed %-escape in a model id is 400 invalid_path, not a 502', async () => {
    const res = await fetch(`${f.baseURL}/models/%E0%A4%A`, { headers: auth });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('invalid_path');
    const ok = await fetch(`${f.baseURL}/models/${encodeURIComponent('auto')}`, { headers: auth });
    expect(ok.status).toBe(200);
  });

  it('HEAD answers every GET route with its headers and no body', async () => {
    for (const path of [
      '/health',
      '/',
      '/ready',
      '/metrics',
      '/v1/models',
      '/models',
      '/v1/models/auto',
      '/v1/rotor/status',
      '/v1/rotor/events',
    ]) {
      const answer = await rawRequest(
        port,
        `HEAD ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CLIENT_KEY}\r\nConnection: close\r\n\r\n`,
      );
      expect([path, answer.status]).toEqual([path, path === '/ready' ? answer.status : 200]);
      expect(answer.status).toBeLessThan(500 + (path === '/ready' ? 4 : 0));
      expect(answer.raw.slice(answer.raw.indexOf('\r\n\r\n') + 4)).toBe('');
    }
    const get = await fetch(`${f.gateway.url}/health`);
    const head = await fetch(`${f.gateway.url}/health`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(get.headers.get('content-length'));
  });

  it('a known path with the wrong method is 405 with Allow; an unknown path stays 404', async () => {
    const res = await fetch(`${f.baseURL}/chat/completions`, { headers: auth });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
    expect((await errorOf(res)).code).toBe('method_not_allowed');
    const del = await fetch(`${f.gateway.url}/health`, { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const post = await postJson(`${f.baseURL}/models`, {}, auth);
    expect(post.status).toBe(405);
    const unknown = await fetch(`${f.gateway.url}/v1/nothing`, { headers: auth });
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe('unknown_route');
  });
});

describe('client auth', () => {
  it('the Bearer scheme is case-insensitive (RFC 7235)', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const res = await postJson(`${f.baseURL}/chat/completions`, hello, {
        authorization: `${scheme} ${CLIENT_KEY}`,
      });
      expect([scheme, res.status]).toEqual([scheme, 200]);
    }
    expect(
      (await postJson(`${f.baseURL}/chat/completions`, hello, { authorization: `Basic ${CLIENT_KEY}` }))
        .status,
    ).toBe(401);
  });

  it('?key= is accepted only on the dashboard data routes (status, events), never elsewhere', async () => {
    const q = `?key=${CLIENT_KEY}`;
    expect((await fetch(`${f.gateway.url}/v1/rotor/status${q}`)).status).toBe(200);
    const events = await fetch(`${f.gateway.url}/v1/rotor/events${q}`);
    expect(events.status).toBe(200);
    await events.body?.cancel();
    expect((await postJson(`${f.baseURL}/chat/completions${q}`, hello)).status).toBe(401);
    expect((await fetch(`${f.baseURL}/models${q}`)).status).toBe(401);
    expect((await fetch(`${f.gateway.url}/metrics${q}`)).status).toBe(401);
    expect((await fetch(`${f.gateway.url}/v1/rotor/status?key=wrong`)).status).toBe(401);
  });
});

describe('request bodies and headers', () => {
  it(`a body nested deeper than ${MAX_JSON_DEPTH} levels is 400 invalid_json naming the limit`, async () => {
    const deep = `{"model":"auto","messages":[{"role":"user","content":"hi"}],"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const res = await postJson(`${f.baseURL}/chat/completions`, deep, auth);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('invalid_json');
    expect(error.message).toContain(String(MAX_JSON_DEPTH));
    // Both sides of the limit: exactly MAX_JSON_DEPTH levels is accepted.
    const atLimit = `{"model":"auto","messages":[{"role":"user","content":"hi"}],"x":${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}}`;
    expect((await postJson(`${f.baseURL}/chat/completions`, atLimit, auth)).status).toBe(200);
    const overLimit = `{"model":"auto","messages":[{"role":"user","content":"hi"}],"x":${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}}`;
    expect((await postJson(`${f.baseURL}/chat/completions`, overLimit, auth)).status).toBe(400);
    // Brackets inside strings are text, not nesting.
    const inString = { ...hello, messages: [{ role: 'user', content: '['.repeat(5000) }] };
    expect((await postJson(`${f.baseURL}/chat/completions`, inString, auth)).status).toBe(200);
  });

  it('x-rotor-deadline-ms takes plain decimal digits only', async () => {
    for (const bad of ['0x10', '1e3', '0', '-5', '1.5', 'abc', '50 ms']) {
      const res = await postJson(`${f.baseURL}/chat/completions`, hello, {
        ...auth,
        'x-rotor-deadline-ms': bad,
      });
      expect([bad, res.status]).toEqual([bad, 400]);
      expect((await errorOf(res)).param).toBe('x-rotor-deadline-ms');
    }
    // Spaces around the value (which fetch would trim) over a raw socket.
    const body = JSON.stringify(hello);
    const spaced = await rawRequest(
      port,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CLIENT_KEY}\r\nContent-Type: application/json\r\nX-Rotor-Deadline-Ms: 50\t \r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect([200, 400]).toContain(spaced.status); // the parser strips optional whitespace; 50 is then valid
    const ok = await postJson(`${f.baseURL}/chat/completions`, hello, {
      ...auth,
      'x-rotor-deadline-ms': '60000',
    });
    expect(ok.status).toBe(200);
  });

  it('n > 1 is 400 unsupported_feature; n = 1 is served', async () => {
    const res = await postJson(`${f.baseURL}/chat/completions`, { ...hello, n: 3 }, auth);
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: 'unsupported_feature', param: 'n' });
    expect((await postJson(`${f.baseURL}/chat/completions`, { ...hello, n: 1 }, auth)).status).toBe(200);
  });

  it('a 3 MB model name is not echoed back whole', async () => {
    const res = await postJson(
      `${f.baseURL}/chat/completions`,
      { ...hello, model: 'm'.repeat(3_000_000) },
      auth,
    );
    expect(res.status).toBe(404);
    const text = await res.text();
    expect(text.length).toBeLessThan(3000);
    expect(text).toMatch(/more characters/);
  });
});

describe('CORS (server.cors.origins)', () => {
  it('a preflight from an allowed origin gets the route methods; other origins get no CORS headers', async () => {
    const pre = await fetch(`${f.baseURL}/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(pre.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const other = await fetch(`${f.baseURL}/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('actual responses (errors included) carry the CORS headers for an allowed origin', async () => {
    const res = await postJson(`${f.baseURL}/chat/completions`, hello, {
      ...auth,
      origin: 'https://app.example',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(res.headers.get('access-control-expose-headers')).toMatch(/x-rotor-model/);
    const denied = await postJson(`${f.baseURL}/chat/completions`, hello, { origin: 'https://app.example' });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });
});

/** One model behind an upstream nobody listens on (port 9, discard): every attempt is refused. */
const UNREACHABLE_UPSTREAM = {
  upstream: { baseUrl: 'http://127.0.0.1:9/api/v1' },
  rotation: { order: ['a/one:free'] },
  engine: { retry: { maxRetries: 0 } },
  deadlineMs: 3000,
};

describe('upstream network details stay out of client errors', () => {
  it('a refused connection says "upstream unreachable", not the address', async () => {
    const g = await gatewayWithSimulator({
      overrides: UNREACHABLE_UPSTREAM,
    });
    try {
      const res = await postJson(`${g.baseURL}/chat/completions`, hello);
      expect(res.status).toBeGreaterThanOrEqual(500);
      const text = await res.text();
      expect(isOpenAiError(text)).toBe(true);
      expect(text).toMatch(/Upstream unreachable \(ECONNREFUSED\)/);
      expect(text).not.toMatch(/127\.0\.0\.1:9\b/);
    } finally {
      await g.close();
    }
  });

  it('operators find the address in the debug log, and only at debug level', async () => {
    const lines: Array<{ level: number; msg: string; detail?: string }> = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    const g = await gatewayWithSimulator({
      overrides: UNREACHABLE_UPSTREAM,
      logger: pino({ level: 'debug' }, sink),
    });
    try {
      await (await postJson(`${g.baseURL}/chat/completions`, hello)).text();
      const details = lines.filter((l) => l.msg === 'upstream failure detail');
      expect(details.length).toBeGreaterThan(0);
      for (const d of details) {
        expect(d.level).toBe(20); // pino's debug
        expect(d.detail).toMatch(/ECONNREFUSED 127\.0\.0\.1:9\b/);
      }
    } finally {
      await g.close();
    }
  });
});
