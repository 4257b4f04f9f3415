/**
 * The servers compared, each started in its own process against the same upstream, and the
 * request each one is sent: (a) the upstream directly, (b) a bare undici proxy, (c) rotor,
 * (d) Portkey's gateway with a fallback config across the same 12 models.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEED_ROTATION_ORDER } from '../../dist/engine/seed-defaults.js';
import { CLI, freePort, PRIMARY, startNode } from './servers.mjs';

export const UPSTREAM_KEY = 'sk-bench';
const MESSAGES = [{ role: 'user', content: 'Say hello in one short sentence.' }];

const scratch = mkdtempSync(join(tmpdir(), 'rotor-bench-'));

/** A scratch file that lives as long as the run. */
export function scratchFile(name, text) {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

/**
 * The simulator as upstream. `scenario` (YAML text) e.g. slows streams down; by default latency is
 * off and the account's free limits are off, so the upstream is never the bottleneck or the refuser.
 */
export async function startUpstream({ scenario, latencyScale = 0 } = {}) {
  const port = await freePort();
  const args = [CLI, 'sim', '--host', '127.0.0.1', '--port', String(port), '--no-free-limits'];
  if (scenario) args.push('--scenario', scratchFile(`scenario-${port}.yaml`, scenario));
  else args.push('--latency-scale', String(latencyScale));
  const base = `http://127.0.0.1:${port}`;
  const proc = await startNode({ name: 'simulator', args, readyUrl: `${base}/api/v1/models` });
  return { proc, base, apiBase: `${base}/api/v1` };
}

/** Seed-ordered rotation (12 models), pinned so rotor and Portkey see the same targets. */
export const ROTATION = [...SEED_ROTATION_ORDER];

export const SERVERS = {
  direct: {
    label: 'upstream direct',
    async start(upstream) {
      return { proc: undefined, url: `${upstream.apiBase}/chat/completions` };
    },
    request(stream) {
      return {
        headers: { authorization: `Bearer ${UPSTREAM_KEY}` },
        body: { model: PRIMARY, messages: MESSAGES, ...(stream ? { stream: true } : {}) },
      };
    },
  },
  proxy: {
    label: 'bare undici proxy',
    async start(upstream) {
      const port = await freePort();
      const proc = await startNode({
        name: 'bare-proxy',
        args: ['bench/bare-proxy.mjs', '--port', String(port), '--upstream', upstream.apiBase],
        readyUrl: `http://127.0.0.1:${port}/health`,
      });
      return { proc, url: `http://127.0.0.1:${port}/v1/chat/completions` };
    },
    request: autoRequest,
  },
  rotor: {
    label: 'rotor',
    start: (upstream, opts) => startRotor(upstream, { ...opts, logLevel: 'silent' }),
    request: autoRequest,
  },
  rotorInfo: {
    label: 'rotor (info logs)',
    start: (upstream, opts) => startRotor(upstream, { ...opts, logLevel: 'info' }),
    request: autoRequest,
  },
  /** rotor built in another checkout (`BENCH_COMPARE_ROTOR=/path`), for before/after figures of a change. */
  rotorB: {
    label: 'rotor (compared build)',
    start: (upstream, opts) =>
      startRotor(upstream, { ...opts, logLevel: 'silent', root: process.env.BENCH_COMPARE_ROTOR }),
    request: autoRequest,
  },
  portkey: {
    label: 'Portkey 1.15.2',
    async start(upstream) {
      const port = await freePort();
      // Portkey binds every interface; the benchmark only ever talks to it on 127.0.0.1.
      const proc = await startNode({
        name: 'portkey',
        args: ['node_modules/@portkey-ai/gateway/build/start-server.js', `--port=${port}`, '--headless'],
        env: { NODE_ENV: 'production' },
        readyUrl: `http://127.0.0.1:${port}/`,
      });
      const config = {
        strategy: { mode: 'fallback' },
        targets: ROTATION.map((model) => ({
          provider: 'openai',
          custom_host: upstream.apiBase,
          api_key: UPSTREAM_KEY,
          override_params: { model },
        })),
      };
      return {
        proc,
        url: `http://127.0.0.1:${port}/v1/chat/completions`,
        headers: {
          'x-portkey-provider': 'openai',
          'x-portkey-custom-host': upstream.apiBase,
          'x-portkey-config': JSON.stringify(config),
          authorization: `Bearer ${UPSTREAM_KEY}`,
        },
      };
    },
    request: autoRequest,
  },
};

function autoRequest(stream) {
  return { headers: {}, body: { model: 'auto', messages: MESSAGES, ...(stream ? { stream: true } : {}) } };
}

/**
 * rotor's gateway as users run it (`rotor serve`), with a key so it calls the simulator over HTTP,
 * the seed's rotation pinned, and local quota pacing and `GET /key` polling off (the simulator's free
 * limits are off too).
 */
export async function startRotor(
  upstream,
  {
    logLevel = 'silent',
    nodeOptions = (process.env.BENCH_ROTOR_NODE_OPTIONS ?? '').split(' ').filter(Boolean),
    env = {},
    root = process.env.BENCH_ROTOR_ROOT,
  } = {},
) {
  const port = await freePort();
  const config = [
    'server:',
    '  host: 127.0.0.1',
    `  port: ${port}`,
    'rotation:',
    '  order:',
    ...ROTATION.map((m) => `    - ${m}`),
    'engine:',
    '  quota:',
    '    freeRequestsPerMinute: 0',
    // The simulator's GET /key reports the 50/day of a free account even with its limits off;
    // polling it would make rotor enforce that locally and refuse the 51st request.
    'quota:',
    '  keyPollMs: 0',
    // The default store of `rotor serve` with a key (SQLite), in a fresh file: no state from earlier runs.
    'store:',
    `  url: sqlite:${scratchFile(`rotor-${port}.db`, '')}`,
    '',
  ].join('\n');
  const proc = await startNode({
    name: `rotor (${logLevel})`,
    args: [root ? join(root, CLI) : CLI, 'serve', '--config', scratchFile(`rotor-${port}.yaml`, config)],
    env: {
      OPENROUTER_API_KEY: UPSTREAM_KEY,
      OPENROUTER_BASE_URL: upstream.apiBase,
      ROTOR_LOG_LEVEL: logLevel,
      ...env,
    },
    // Logs go to /dev/null: what is measured is producing them, not a terminal drawing them.
    stdout: logLevel === 'silent' ? 'pipe' : 'ignore',
    nodeOptions,
    readyUrl: `http://127.0.0.1:${port}/health`,
  });
  return { proc, url: `http://127.0.0.1:${port}/v1/chat/completions` };
}
