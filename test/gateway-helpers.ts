/** Starting a gateway against a simulator for tests, and reading Prometheus text. */

import type { Logger } from 'pino';
import { type Gateway, startGateway } from '../src/server/gateway.js';
import { loadGatewayConfig } from '../src/server/gateway-config.js';
import { type ScenarioInput, type Simulator, startSimulator } from '../src/sim/index.js';

export interface GatewayFixture {
  gateway: Gateway;
  sim: Simulator;
  /** `http://127.0.0.1:PORT/v1` */
  baseURL: string;
  close(): Promise<void>;
}

/**
 * A gateway pointed at its own simulator (not the built-in one), so a test controls the
 * scenario. `overrides` are gateway config sections (server, engine, timeouts, …).
 */
export async function gatewayWithSimulator(
  options: {
    scenario?: ScenarioInput;
    overrides?: Record<string, unknown>;
    latencyScale?: number;
    /** Where the gateway logs (default: nowhere). */
    logger?: Logger;
  } = {},
): Promise<GatewayFixture> {
  const sim = await startSimulator({
    latencyScale: options.latencyScale ?? 0,
    seed: 11,
    scenario: options.scenario ?? {},
  });
  const overrides = options.overrides ?? {};
  const config = loadGatewayConfig({
    env: {},
    overrides: {
      ...overrides,
      server: { port: 0, ...(overrides.server as object) },
      upstream: { baseUrl: sim.url, apiKey: 'sk-test-upstream-secret', ...(overrides.upstream as object) },
      timeouts: { connectMs: 1000, firstTokenMs: 500, idleMs: 500, ...(overrides.timeouts as object) },
      // No `GET /key` polling unless a test asks for it: scenarios with `freeLimits: false` still report a limit.
      quota: { keyPollMs: 0, ...(overrides.quota as object) },
      log: { level: 'silent' },
    } as never,
  });
  const gateway = await startGateway(config, options.logger ? { logger: options.logger } : {});
  return {
    gateway,
    sim,
    baseURL: `${gateway.url}/v1`,
    async close() {
      await gateway.close();
      await sim.close();
    },
  };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parse Prometheus text exposition; throws on any line that is not a comment or a sample. */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$/;
  for (const raw of text.split('\n')) {
    if (raw === '' || raw.startsWith('# HELP ') || raw.startsWith('# TYPE ')) continue;
    const m = line.exec(raw);
    if (!m) throw new Error(`not Prometheus text: ${raw}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, '$1');
    }
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The raw SSE body's `data:` payloads, in order. */
export async function rawEvents(res: Response): Promise<string[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice('data: '.length));
}
