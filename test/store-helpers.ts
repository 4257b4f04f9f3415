/**
 * Helpers for the store tests: gateways on a given store URL against one simulator, a private
 * `redis-server` to stop and restart, unique Redis key prefixes, and reading metrics and status.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Gateway, startGateway } from '../src/server/gateway.js';
import { loadGatewayConfig } from '../src/server/gateway-config.js';
import type { Simulator } from '../src/sim/index.js';
import { parsePrometheus, postJson } from './gateway-helpers.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const hello = { model: 'auto', messages: [{ role: 'user', content: 'hello' }] };
export const SHARED_REDIS = { host: '127.0.0.1', port: 6379 };

/** A gateway (in this process) on `storeUrl`, pointed at `sim`. `overrides` are config sections. */
export async function gatewayOn(
  sim: Simulator,
  storeUrl: string,
  overrides: Record<string, Record<string, unknown>> = {},
): Promise<Gateway> {
  const config = loadGatewayConfig({
    env: {},
    overrides: {
      ...overrides,
      server: { port: 0, ...overrides.server },
      upstream: { baseUrl: sim.url, apiKey: 'sk-test-upstream', ...overrides.upstream },
      timeouts: { connectMs: 1000, firstTokenMs: 2000, idleMs: 2000, ...overrides.timeouts },
      store: { url: storeUrl, ...overrides.store },
      quota: { keyPollMs: 0, ...overrides.quota },
      reconcile: { enabled: false, ...overrides.reconcile },
      log: { level: 'silent', ...overrides.log },
    } as never,
  });
  return startGateway(config);
}

export async function chat(gateway: Gateway | string, body: object = hello) {
  const base = typeof gateway === 'string' ? gateway : gateway.url;
  const res = await postJson(`${base}/v1/chat/completions`, body);
  const json = (await res.json()) as {
    choices?: unknown[];
    error?: { message: string; code?: string; type?: string };
  };
  return {
    status: res.status,
    model: res.headers.get('x-rotor-model'),
    retryAfter: res.headers.get('retry-after'),
    body: json,
  };
}

export interface StatusModel {
  model: string;
  breakerState: string;
  breakerOpenUntilMs: number | null;
  cooldownUntilMs: number | null;
  totalRequests: number;
  successfulRequests: number;
}
export interface GatewayStatus {
  models: StatusModel[];
  system: {
    accounts: Array<{
      account: string;
      dayUsed: number;
      blockedUntilMs: number | null;
      blockedScope: string | null;
    }>;
  };
  store: { kind: string; degraded: boolean; shared: Record<string, unknown> | null };
  keyQuota: { ok: boolean; limit: number | null; remaining: number | null } | null;
}

export async function status(gateway: Gateway | string): Promise<GatewayStatus> {
  const base = typeof gateway === 'string' ? gateway : gateway.url;
  return (await (await fetch(`${base}/v1/rotor/status`)).json()) as GatewayStatus;
}

export async function metric(gateway: Gateway | string, name: string): Promise<number | undefined> {
  const base = typeof gateway === 'string' ? gateway : gateway.url;
  const text = await (await fetch(`${base}/metrics`)).text();
  return parsePrometheus(text).find((s) => s.name === name)?.value;
}

/** Poll `check` every 10 ms until it is truthy; throws with `what` after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T> | T, timeoutMs = 5000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A unique key prefix for one test, so tests never see each other's keys on the shared Redis. */
export function uniquePrefix(): string {
  return `rotor:test:${process.pid}:${Math.random().toString(36).slice(2, 10)}:`;
}

export function redisUrl(prefix: string, port = SHARED_REDIS.port): string {
  return `redis://127.0.0.1:${port}/0?prefix=${encodeURIComponent(prefix)}`;
}

/** Why the Redis tests cannot run here, or undefined when they can. */
export function redisUnavailable(): string | undefined {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'redis-server is not installed (apt-get install -y redis-server)';
  }
  try {
    const pong = execFileSync(
      'redis-cli',
      ['-h', SHARED_REDIS.host, '-p', String(SHARED_REDIS.port), 'PING'],
      {
        encoding: 'utf8',
        timeout: 2000,
      },
    );
    if (pong.trim() !== 'PONG') throw new Error(pong);
  } catch {
    return `no Redis on ${SHARED_REDIS.host}:${SHARED_REDIS.port} (start one: redis-server --daemonize yes --port 6379 --save '')`;
  }
  return undefined;
}

/** Delete every key under `prefix` on the Redis at `port`. */
export function deleteKeys(prefix: string, port = SHARED_REDIS.port): void {
  const keys = execFileSync('redis-cli', ['-p', String(port), '--scan', '--pattern', `${prefix}*`], {
    encoding: 'utf8',
    timeout: 5000,
  })
    .split('\n')
    .filter(Boolean);
  for (let i = 0; i < keys.length; i += 100) {
    execFileSync('redis-cli', ['-p', String(port), 'DEL', ...keys.slice(i, i + 100)], { stdio: 'ignore' });
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** A private `redis-server` on `port` (no persistence), for tests that stop and restart it. */
export class PrivateRedis {
  private proc: ChildProcess | undefined;
  /** `args`: more `redis-server` options, e.g. `['--requirepass', 'x']`. */
  constructor(
    readonly port: number,
    private readonly args: readonly string[] = [],
  ) {}

  async start(): Promise<void> {
    const proc = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...this.args],
      {
        stdio: 'ignore',
      },
    );
    this.proc = proc;
    await until(`redis-server on port ${this.port}`, () => canConnect(this.port), 5000);
  }

  /** Stop it abruptly (SIGKILL): clients see their connections drop. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    this.proc = undefined;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}
