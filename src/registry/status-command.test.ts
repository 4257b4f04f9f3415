/**
 * `rotor status` against a gateway started in-process (simulated upstream, real sockets).
 */

import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { captureIo as capture } from '../../test/capture-io.js';
import { type Gateway, startGateway } from '../server/gateway.js';
import { loadGatewayConfig } from '../server/gateway-config.js';
import { runStatus } from './status-command.js';
import { describeState, formatStatus, type GatewayStatus } from './status-command-format.js';

const LLAMA_8B = 'meta-llama/llama-3.3-8b-instruct:free';
const hello = { model: 'auto', messages: [{ role: 'user', content: 'hello' }] };

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gateway(server: Record<string, unknown> = {}): Promise<Gateway> {
  const gw = await startGateway(
    loadGatewayConfig({
      env: {},
      overrides: {
        server: { port: 0, ...server },
        sim: { latencyScale: 0 },
        log: { level: 'silent' },
      } as never,
    }),
  );
  cleanups.push(() => gw.close());
  return gw;
}

const clockTime = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/** Status times are real: the gateway under test runs on the real clock. */
const captureIo = (options: { colour?: boolean; env?: NodeJS.ProcessEnv } = {}) =>
  capture({ now: () => new Date(), ...options });

describe('rotor status', () => {
  it('shows the header and a per-model table in rotation order', async () => {
    const gw = await gateway();
    gw.simulator!.addFault({
      model: LLAMA_8B,
      kind: 'upstream_rate_limit',
      retryAfterSeconds: 30,
      maxHits: 1,
    });
    for (let i = 0; i < 3; i++) await gw.rotor.chat(hello);

    const io = captureIo();
    expect(await runStatus({ url: gw.url, clockTime }, io)).toBe(0);
    const [header, current, requests, hedging, quota, reconcile, blank, table, ...rest] = io.out
      .join('\n')
      .split('\n');
    expect(header).toMatch(
      new RegExp(
        `^rotor \\d+\\.\\d+\\.\\d+ at ${gw.url} · SIMULATED \\(no OPENROUTER_API_KEY\\) · up \\d+s$`,
      ),
    );
    expect(current).toBe(
      'current cognitivecomputations/dolphin-mistral-24b-venice-edition:free (#2 of 12) · 1 rotation · 0 resets to primary',
    );
    expect(requests).toBe('requests 3 · success 100 % · first try 66.7 % · 1.33 attempts/request');
    expect(hedging).toBe('hedging: 0 hedges started · 0 won · 0 wasted');
    expect(quota).toMatch(
      /^quota openrouter: \d+\/20 this minute \(reset \d\d:\d\d:00\), 4(\/\d+)? today \(reset 00:00:00\)$/,
    );
    expect(reconcile).toMatch(/^model list: /);
    expect(blank).toBe('');
    expect(table).toMatch(/^#\s+MODEL\s+STATE\s+SUCCESS\s+P50\s+P95\s+HEDGE AT\s+REQUESTS\s+IN-FLIGHT$/);
    expect(rest[0]).toMatch(
      new RegExp(
        `^1\\s+${LLAMA_8B}\\s+cooling until \\d\\d:\\d\\d:\\d\\d \\(rate limited .*\\)\\s+0 %\\s+—\\s+—\\s+(\\d+ ms|\\d+\\.\\d s)\\s+1\\s+0$`,
      ),
    );
    expect(rest[1]).toMatch(
      /^2\*\s+cognitivecomputations\/dolphin-mistral-24b-venice-edition:free\s+available\s+100 %\s+\d+ ms\s+\d+ ms\s+(\d+ ms|\d+\.\d s)\s+3\s+0$/,
    );
    expect(rest[11]).toMatch(
      /^12\s+deepseek\/deepseek-chat-v3\.1:free\s+available\s+—\s+—\s+—\s+(\d+ ms|\d+\.\d s)\s+0\s+0$/,
    );
    expect(rest[12]).toMatch(/^\* = current model\./);
  });

  it('colours the states on a terminal', async () => {
    const gw = await gateway();
    const io = captureIo({ colour: true });
    expect(await runStatus({ url: gw.url }, io)).toBe(0);
    expect(io.out.join('\n')).toContain('\u001b[32mavailable');
  });

  it('prints the status JSON for scripts, with ROTOR_URL as the default address', async () => {
    const gw = await gateway();
    await gw.rotor.chat(hello);
    const io = captureIo({ env: { ROTOR_URL: `${gw.url}/v1/` } });
    expect(await runStatus({ json: true }, io)).toBe(0);
    const status = JSON.parse(io.out.join('\n'));
    expect(status).toMatchObject({ rotor: { simulated: true }, currentModel: LLAMA_8B });
    expect(status.rotation).toHaveLength(12);
    expect(status.system.requests.total).toBe(1);
  });

  it('sends the client key when the gateway requires one, and says so when it is missing', async () => {
    const gw = await gateway({ apiKeys: ['sk-client-1'] });
    const without = captureIo();
    expect(await runStatus({ url: gw.url }, without)).toBe(1);
    expect(without.err.join('\n')).toContain('refused the request: it needs a key (--key or ROTOR_API_KEY)');
    const withKey = captureIo({ env: { ROTOR_API_KEY: 'sk-client-1' } });
    expect(await runStatus({ url: gw.url }, withKey)).toBe(0);
    expect(withKey.out.join('\n')).not.toContain('sk-client-1');
  });

  it('exits 1 with a clear message when no gateway answers', async () => {
    const io = captureIo();
    expect(await runStatus({ url: 'http://127.0.0.1:1' }, io)).toBe(1);
    expect(io.err).toEqual([
      'rotor status: cannot reach the gateway at http://127.0.0.1:1: ECONNREFUSED. Is `rotor serve` running there? (--url or ROTOR_URL)',
    ]);
    expect(io.out).toEqual([]);
  });

  it('gives up after the timeout when the gateway does not answer', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(resolve);
        }),
    );
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const io = captureIo();
    expect(await runStatus({ url, timeoutMs: 100 }, io)).toBe(1);
    expect(io.err.join('\n')).toContain(`cannot reach the gateway at ${url}: no answer within 100 ms`);
  });
});

describe('model state', () => {
  const base: GatewayStatus['models'][number] = {
    model: 'a/b',
    totalRequests: 0,
    recentSuccessRate: 1,
    latencyP50Ms: null,
    latencyP95Ms: null,
    breakerState: 'closed',
    breakerOpenUntilMs: null,
    cooldownUntilMs: null,
    cooldownReason: null,
    cooldownDetail: null,
    inFlight: 0,
    retired: null,
    available: true,
    unavailableReason: null,
  };
  const now = Date.UTC(2026, 7, 20, 12, 0, 0);

  it('names the most decisive state', () => {
    expect(describeState({ ...base, retired: { atMs: now, reason: 'gone' } }, now, clockTime).text).toBe(
      'retired (gone)',
    );
    expect(
      describeState({ ...base, breakerState: 'open', breakerOpenUntilMs: now + 30_000 }, now, clockTime).text,
    ).toBe('open until 12:00:30');
    expect(describeState({ ...base, breakerState: 'half_open' }, now, clockTime).text).toBe('half-open');
    expect(
      describeState(
        {
          ...base,
          breakerState: 'half_open',
          available: false,
          unavailableReason: { reason: 'probe_budget_spent', untilMs: now + 3_600_000 },
        },
        now,
        clockTime,
      ).text,
    ).toBe('half-open, no probe until 13:00:00 (probe budget)');
    expect(
      describeState(
        { ...base, cooldownUntilMs: now + 5_000, cooldownReason: 'consecutive_failures' },
        now,
        clockTime,
      ).text,
    ).toBe('cooling until 12:00:05 (consecutive_failures)');
    expect(
      describeState(
        {
          ...base,
          available: false,
          unavailableReason: { reason: 'account_blocked', detail: 'free-models-per-day' },
        },
        now,
        clockTime,
      ).text,
    ).toBe('unavailable (account_blocked: free-models-per-day)');
    expect(describeState(base, now, clockTime)).toEqual({ state: 'available', text: 'available' });
  });
});

describe('reconcile lines', () => {
  const now = Date.UTC(2026, 7, 20, 12, 0, 0);
  const status = (reconcile?: GatewayStatus['reconcile']): GatewayStatus => ({
    rotor: { version: '0.1.0', simulated: false, upstream: 'https://openrouter.ai/api/v1' },
    atMs: now,
    currentModel: null,
    rotation: [],
    system: {
      totalRotations: 0,
      resetsToPrimary: 0,
      requests: { total: 0, successRate: 1, firstTrySuccessRate: 1 },
      accounts: [],
    },
    models: [],
    ...(reconcile === undefined ? {} : { reconcile }),
  });
  const text = (reconcile?: GatewayStatus['reconcile']) =>
    formatStatus(status(reconcile), { colour: false, url: 'http://gw', clockTime }).split('\n');

  it('says when the list was reconciled and what changed, most telling first', () => {
    const lines = text({
      atMs: now - 180_000,
      ok: true,
      baseUrl: 'https://openrouter.ai/api/v1',
      changes: [
        { type: 'retired', model: 'a/gone:free', reason: 'no longer listed' },
        { type: 'added', model: 'b/new:free', status: 'untested', reason: 'new free model' },
        { type: 'order', reason: 'rotation rebuilt', added: ['b/new:free'], removed: ['a/gone:free'] },
      ],
    });
    expect(lines.slice(1, 2)).toEqual(['current no model available · 0 rotations · 0 resets to primary']);
    expect(lines.slice(3, 7)).toEqual([
      'model list: reconciled with https://openrouter.ai/api/v1 at 11:57:00 (3m00s ago): 1 retired, 1 added, order changed',
      '  order changed (+1 −1): rotation rebuilt',
      '  retired a/gone:free: no longer listed',
      '  added b/new:free (untested): new free model',
    ]);
  });

  it('shows a failed run, a gateway that has not reconciled, and says nothing for one that cannot', () => {
    expect(text({ atMs: now - 5_000, ok: false, error: 'HTTP 503', changes: [] })[3]).toBe(
      'model list: reconcile failed at 11:59:55 (5s ago): HTTP 503',
    );
    expect(text(null)[3]).toMatch(/^model list: not reconciled/);
    expect(text(undefined).join('\n')).not.toContain('model list');
  });

  it('lists at most eight changes', () => {
    const changes = Array.from({ length: 12 }, (_, i) => ({
      type: 'retired',
      model: `a/m${i}:free`,
      reason: 'gone',
    }));
    const lines = text({ atMs: now, ok: true, changes });
    expect(lines[3]).toBe('model list: reconciled at 12:00:00 (0s ago): 12 retired');
    expect(lines[12]).toBe('  … 4 more (--json)');
  });
});
