/**
 * fast-check throws arbitrary bytes, request lines, headers and JSON at a running gateway (real
 * sockets). Every answer is a well-formed response — an OpenAI-shaped error body for every error —
 * or a closed connection; rotor itself never answers 5xx (an upstream's 502/503/504 is not rotor's
 * fault, its `internal_error` would be); the process survives and its memory stays flat.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayFixture, gatewayWithSimulator } from './gateway-helpers.js';
import { isOpenAiError, type RawAnswer, rawRequest } from './raw-http.js';

let f: GatewayFixture;
let port: number;
beforeAll(async () => {
  f = await gatewayWithSimulator({
    overrides: { server: { apiKeys: ['fuzz-key-1'], bodyLimitBytes: 64 * 1024 }, deadlineMs: 5000 },
  });
  port = f.gateway.port;
});
afterAll(() => f.close());

const PATHS = [
  '/',
  '/health',
  '/ready',
  '/metrics',
  '/v1/models',
  '/v1/models/auto',
  '/v1/chat/completions',
  '/chat/completions',
  '/v1/rotor/status',
  '/v1/rotor/events',
  '/v1/nothing',
];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'BREW'];

function check(answer: RawAnswer, method: string): void {
  if (answer.status === 0) return; // closed without an answer: allowed
  expect(answer.status).toBeGreaterThanOrEqual(100);
  const body = answer.body;
  if (answer.status >= 400 && method !== 'HEAD') {
    if (!isOpenAiError(body))
      throw new Error(`not OpenAI-shaped (${answer.status}): ${answer.raw.slice(0, 400)}`);
    const code = JSON.parse(body).error.code;
    if (answer.status >= 500 && ![502, 503, 504].includes(answer.status))
      throw new Error(`rotor answered ${answer.status}: ${body.slice(0, 300)}`);
    if (code === 'internal_error') throw new Error(`internal_error: ${body.slice(0, 300)}`);
  }
}

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/);
const headerValue = fc.oneof(
  fc.string({ maxLength: 60 }).map((s) => s.replace(/[\r\n\0]/g, ' ')),
  fc.constantFrom(
    'Bearer fuzz-key-1',
    'bearer fuzz-key-1',
    'Bearer nope',
    'application/json',
    '0x10',
    '  50  ',
    '-1',
  ),
);
const headerName = fc.oneof(
  token,
  fc.constantFrom(
    'authorization',
    'content-type',
    'x-rotor-deadline-ms',
    'x-request-id',
    'origin',
    'transfer-encoding',
    'expect',
    'content-length',
  ),
);
const path = fc.oneof(
  fc.constantFrom(...PATHS),
  fc
    .constantFrom(...PATHS)
    .chain((p) => fc.string({ maxLength: 20 }).map((s) => `${p}${encodeURI(s).replace(/%25/g, '%')}`)),
  fc.constantFrom(
    '/v1/models/%E0%A4%A',
    '/%',
    '//x',
    '/v1/models/..%2f..%2f',
    '/?key=fuzz-key-1',
    '/v1/rotor/status?key=fuzz-key-1',
  ),
);
const chatBody = fc.oneof(
  fc.json({ maxDepth: 6 }),
  fc
    .record(
      {
        model: fc.oneof(fc.constant('auto'), fc.string({ maxLength: 30 })),
        messages: fc.oneof(
          fc.array(
            fc.record({
              role: fc.constantFrom('user', 'system', 'robot'),
              content: fc.oneof(fc.string({ maxLength: 40 }), fc.anything({ maxDepth: 2 })),
            }),
            { maxLength: 3 },
          ),
          fc.anything({ maxDepth: 2 }),
        ),
        stream: fc.oneof(fc.boolean(), fc.anything({ maxDepth: 1 })),
        n: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.anything({ maxDepth: 1 })),
        max_tokens: fc.oneof(fc.integer(), fc.string()),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
  fc.string({ maxLength: 200 }),
  fc.integer({ min: 1, max: 3000 }).map((d) => `${'['.repeat(d)}${']'.repeat(d)}`),
);

describe('fuzzing the gateway', () => {
  it('answers well-formed or closes, never a 5xx of its own, never crashes, memory flat', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    // 1. Arbitrary bytes.
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 400 }), async (bytes) => {
        check(await rawRequest(port, Buffer.from(bytes), 5000, { halfClose: true }), 'RAW');
      }),
      { numRuns: 120, seed: 1301 },
    );
    // 2. Well-framed requests with arbitrary methods, paths, headers and bodies.
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...METHODS),
        path,
        fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 }),
        chatBody,
        async (method, target, headers, body) => {
          const framing = new Set(['content-length', 'transfer-encoding', 'expect', 'connection']);
          const lines = headers.filter(([n]) => !framing.has(n.toLowerCase())).map(([n, v]) => `${n}: ${v}`);
          const payload = Buffer.from(body);
          const request = `${method} ${target} HTTP/1.1\r\nHost: fuzz\r\n${lines.join('\r\n')}${lines.length ? '\r\n' : ''}Content-Length: ${payload.length}\r\nConnection: close\r\n\r\n`;
          check(
            await rawRequest(port, Buffer.concat([Buffer.from(request, 'latin1'), payload]), 8000),
            method,
          );
        },
      ),
      { numRuns: 200, seed: 1302 },
    );
    // 3. Valid framing and auth, arbitrary chat bodies: the route's own validation.
    await fc.assert(
      fc.asyncProperty(chatBody, fc.option(headerValue), async (body, deadline) => {
        const headers: Record<string, string> = {
          authorization: 'Bearer fuzz-key-1',
          'content-type': 'application/json',
        };
        if (deadline !== null && deadline.trim() !== '') headers['x-rotor-deadline-ms'] = deadline;
        let res: Response;
        try {
          res = await fetch(`${f.baseURL}/chat/completions`, { method: 'POST', headers, body });
        } catch {
          return; // fetch refused the header value itself: nothing reached rotor
        }
        const text = await res.text();
        check({ status: res.status, headers: {}, body: text, raw: text }, 'POST');
      }),
      { numRuns: 150, seed: 1303 },
    );
    expect((await fetch(`${f.gateway.url}/health`)).status).toBe(200);
    const grownMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
    // Generous: the test's own arbitraries and fetch buffers live in this heap too.
    expect(grownMb).toBeLessThan(80);
  }, 60_000);
});
