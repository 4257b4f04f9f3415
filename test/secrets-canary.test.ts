/**
 * A canary upstream key (and a canary Redis password and client key) fed through every error path
 * a test can reach — config errors, YAML syntax errors, an upstream that echoes the key back in
 * every error, an unreachable Redis, an unusable SQLite file, hostile client requests — and then
 * every byte rotor wrote (stdout, stderr, HTTP bodies and headers, status, metrics, events) is
 * searched for it. Shown at most as `sk-or-v1-…` plus the last four characters.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from './raw-http.js';
import { serveFailure, startServe } from './serve-process.js';

const CANARY = 'sk-or-v1-c4n4ry5ecret0123456789abcdef0123456789abcdef0123456789abcdEF12';
/** The part of the key no output may show (everything but the prefix and the last four). */
const CANARY_BODY = CANARY.slice('sk-or-v1-'.length, -4);
const REDIS_PASSWORD = 'redis-canary-password-77a1b2c3';
const CLIENT_KEY = 'client-canary-key-0f9e8d7c6b5a';

function expectNoSecret(text: string, where: string): void {
  for (const secret of [CANARY_BODY, REDIS_PASSWORD, CLIENT_KEY]) {
    if (text.includes(secret))
      throw new Error(
        `${where} leaks a secret:\n${text.slice(Math.max(0, text.indexOf(secret) - 200), text.indexOf(secret) + 100)}`,
      );
  }
}

const dir = mkdtempSync(join(tmpdir(), 'rotor-canary-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('config and YAML errors never print a secret', () => {
  it('an unknown key under upstream: (the key in the environment and in the file)', async () => {
    const config = file('typo.yaml', `upstream:\n  titel: r\n  apiKey: ${CANARY}\n`);
    const { code, stderr, stdout } = await serveFailure({ OPENROUTER_API_KEY: CANARY }, ['--config', config]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/titel/);
    expect(stderr).toContain('sk-or-v1-…EF12'); // the masked form says which key without giving it away
    expectNoSecret(stderr + stdout, 'stderr');
  });

  it('a YAML syntax error next to an apiKey: line', async () => {
    // The parser's excerpt quotes the line before the error: here, the key's.
    for (const [name, text] of [
      ['indent.yaml', `upstream:\n  apiKey: ${CANARY}\n bad: 1\n`],
      ['client.yaml', `server:\n  apiKeys:\n    - ${CLIENT_KEY}\n   bad: 1\n`],
      ['quoted.yaml', `upstream:\n  apiKey: "${CANARY}\n`],
    ] as const) {
      const { code, stderr, stdout } = await serveFailure({}, ['--config', file(name, text)]);
      expect(code).toBe(2);
      expect(stderr).toMatch(/not valid YAML/);
      expectNoSecret(stderr + stdout, `stderr for ${name}`);
    }
  });

  it('a wrong value elsewhere, and a Redis URL with a password and a bad option', async () => {
    const config = file(
      'bad-port.yaml',
      `server:\n  bodyLimitBytes: lots\n  apiKeys: [${CLIENT_KEY}]\nupstream:\n  apiKey: ${CANARY}\n`,
    );
    const a = await serveFailure({}, ['--config', config]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/server\.bodyLimitBytes/);
    const b = await serveFailure({
      OPENROUTER_API_KEY: CANARY,
      ROTOR_STORE: `redis://user:${REDIS_PASSWORD}@127.0.0.1:1/0?nope=1`,
    });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/unknown option "nope"/);
    for (const out of [a, b]) expectNoSecret(out.stderr + out.stdout, 'stderr');
  });

  it('an unusable SQLite store with a key configured', async () => {
    const { code, stderr, stdout } = await serveFailure({
      OPENROUTER_API_KEY: CANARY,
      // A regular file where its directory should be.
      ROTOR_STORE: `sqlite:${file('not-a-dir', 'x')}/rotor.db`,
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/SQLite store/);
    expectNoSecret(stderr + stdout, 'stderr');
  });
});

describe('a running gateway with an upstream that echoes the key in every error', () => {
  let upstream: Server;
  let serve: Awaited<ReturnType<typeof startServe>>;
  const seen: string[] = [];
  const record = async (label: string, res: Response) => {
    seen.push(`${label} ${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}`);
  };

  beforeAll(async () => {
    // Every answer quotes the Authorization header it got, as careless providers do.
    upstream = createServer((req, res) => {
      req.resume();
      const echoed = String(req.headers.authorization);
      const status = req.url?.includes('/key') ? 401 : 500;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            code: status,
            message: `Incorrect API key provided: ${echoed} (${CANARY})`,
            metadata: { raw: echoed },
          },
        }),
      );
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.address() as AddressInfo;
    serve = await startServe(
      {
        OPENROUTER_API_KEY: CANARY,
        OPENROUTER_BASE_URL: `http://127.0.0.1:${port}/api/v1`,
        ROTOR_API_KEYS: CLIENT_KEY,
        ROTOR_STORE: `redis://rotor:${REDIS_PASSWORD}@127.0.0.1:1/0`, // unreachable: degraded, logged
        ROTOR_LOG_LEVEL: 'debug',
        ROTOR_ORDER: 'a/one:free,b/two:free',
      },
      [
        '--config',
        file(
          'fast.yaml',
          'deadlineMs: 3000\nmaxQueueWaitMs: 500\nengine:\n  retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 50 }\n',
        ),
      ],
    );
  }, 30_000);

  afterAll(async () => {
    serve?.proc.kill('SIGKILL');
    await new Promise<void>((resolve) => upstream?.close(() => resolve()));
  });

  it('no response, log line or status snapshot carries a secret', async () => {
    const auth = { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' };
    const chat = (body: string, headers: Record<string, string> = auth) =>
      fetch(`${serve.url}/v1/chat/completions`, { method: 'POST', headers, body });
    const hello = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] });
    const failed = await chat(hello);
    expect(failed.status).toBeGreaterThanOrEqual(400);
    await record('chat', failed);
    await record('stream', await chat(JSON.stringify({ ...JSON.parse(hello), stream: true })));
    await record(
      'explicit model',
      await chat(JSON.stringify({ model: 'a/one:free', messages: [{ role: 'user', content: 'hi' }] })),
    );
    await record('bad json', await chat('{"model":'));
    await record('wrong client key', await chat(hello, { authorization: `Bearer ${CANARY}` }));
    await record('key in body', await chat(JSON.stringify({ model: CANARY, messages: [] })));
    await record('status', await fetch(`${serve.url}/v1/rotor/status`, { headers: auth }));
    await record('metrics', await fetch(`${serve.url}/metrics`, { headers: auth }));
    await record('models', await fetch(`${serve.url}/v1/models`, { headers: auth }));
    await record('model id', await fetch(`${serve.url}/v1/models/${CANARY}`, { headers: auth }));
    await record('route', await fetch(`${serve.url}/v1/${CANARY}?key=${CLIENT_KEY}`));
    const port = Number(new URL(serve.url).port);
    seen.push(
      (await rawRequest(port, `GET /health HTTP/1.1\r\nX-Key: ${CANARY}\r\n${'x'.repeat(20_000)}\r\n\r\n`))
        .raw,
    );
    const events = await fetch(`${serve.url}/v1/rotor/events?key=${CLIENT_KEY}`);
    const reader = events.body!.getReader();
    const first = await reader.read();
    seen.push(new TextDecoder().decode(first.value));
    await reader.cancel();

    serve.proc.kill('SIGTERM');
    await serve.exited;
    const output = `${serve.stdout()}\n${serve.stderr()}`;
    // The error paths were really reached: the upstream's answer and the Redis outage were logged.
    expect(output).toMatch(/redis unreachable/);
    expect(seen.join('\n')).toMatch(/Incorrect API key provided/);
    expectNoSecret(output, 'the gateway log');
    for (const entry of seen) expectNoSecret(entry, 'a response');
  }, 30_000);
});
