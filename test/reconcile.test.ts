/**
 * Reconciling the rotation with the live model list, end to end over real sockets: a simulator
 * serving the real Aug 2026 `GET /models` snapshot (in which none of the seed's 12 models is free
 * any more), and a gateway started with the shipped registry's seed rotation.
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SEED_ROTATION_ORDER } from '../src/engine/seed-defaults.js';
import { type Gateway, startGateway } from '../src/server/gateway.js';
import { type GatewayConfigInput, loadGatewayConfig } from '../src/server/gateway-config.js';
import { type Simulator, startSimulator } from '../src/sim/index.js';
import type { ChatTransport } from '../src/upstream/chat-transport.js';
import { UpstreamClient } from '../src/upstream/upstream-client.js';
import { modelsSnapshotPath } from './repo-fixtures.js';

const LIVE_REGISTRY_MODEL = 'nvidia/nemotron-nano-9b-v2:free'; // the one registry model still free in Aug 2026
const LIVE_NEW_MODEL = 'openai/gpt-oss-20b:free';
const hello = { model: 'auto', messages: [{ role: 'user', content: 'hello' }] };

interface StatusModel {
  model: string;
  retired: { atMs: number; reason: string } | null;
}
interface Status {
  currentModel: string | null;
  rotation: string[];
  pinnedOrder: boolean;
  models: StatusModel[];
  events: Array<{ type: string; model?: string; reason?: string }>;
  reconcile: {
    atMs: number;
    ok: boolean;
    error?: string;
    baseUrl: string;
    liveFree: number;
    changes: Array<{ type: string; model?: string; reason: string }>;
  } | null;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function snapshotSim(): Promise<Simulator> {
  const sim = await startSimulator({ modelsFile: modelsSnapshotPath(), latencyScale: 0, seed: 5 });
  cleanups.push(() => sim.close());
  return sim;
}

async function gateway(
  upstream: { baseUrl: string; apiKey?: string },
  overrides: GatewayConfigInput = {},
  transport?: ChatTransport,
): Promise<Gateway> {
  const config = loadGatewayConfig({
    env: {},
    overrides: {
      ...overrides,
      server: { port: 0 },
      upstream: { apiKey: 'sk-test', ...upstream },
      timeouts: { connectMs: 1000, firstTokenMs: 2000, idleMs: 2000 },
      log: { level: 'silent' },
    },
  });
  const gw = await startGateway(config, transport ? { transport } : {});
  cleanups.push(async () => {
    await gw.close();
  });
  return gw;
}

async function chat(gw: Gateway): Promise<{ status: number; model: string }> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(hello),
  });
  const body = (await res.json()) as { model?: string };
  return { status: res.status, model: body.model ?? '' };
}

async function status(gw: Gateway): Promise<Status> {
  return (await (await fetch(`${gw.url}/v1/rotor/status`)).json()) as Status;
}

function retiredIn(s: Status, model: string): string | undefined {
  return s.models.find((m) => m.model === model)?.retired?.reason;
}

describe('reconciling with the live list at start', () => {
  it('the first request after start is answered by a currently free model with one upstream attempt', async () => {
    const sim = await snapshotSim();
    const gw = await gateway({ baseUrl: sim.url });
    expect(gw.rotor.engine.rotationOrder).toEqual([...SEED_ROTATION_ORDER]); // the shipped, stale order
    const report = await gw.reconciler!.first;
    expect(report.ok).toBe(true);

    const answer = await chat(gw);
    expect(answer).toEqual({ status: 200, model: LIVE_REGISTRY_MODEL });
    expect(sim.attempts().map((a) => [a.model, a.outcome])).toEqual([[LIVE_REGISTRY_MODEL, 'ok']]);
  });

  it('status shows the retired seed entries with their reason, and what the reconciliation changed', async () => {
    const sim = await snapshotSim();
    const gw = await gateway({ baseUrl: sim.url });
    await gw.reconciler!.first;
    const s = await status(gw);

    expect(s.reconcile).toMatchObject({ ok: true, baseUrl: sim.url });
    expect(s.reconcile!.liveFree).toBe(s.rotation.length);
    expect(s.rotation[0]).toBe(LIVE_REGISTRY_MODEL);
    expect(s.rotation).toContain(LIVE_NEW_MODEL);
    expect(s.rotation).not.toContain('openrouter/free');
    expect(s.rotation).not.toContain('nvidia/nemotron-3.5-content-safety:free');
    for (const seed of SEED_ROTATION_ORDER) {
      expect(s.rotation).not.toContain(seed);
      expect(retiredIn(s, seed)).toMatch(
        new RegExp(
          `^no longer listed as a free model on ${escapeRegExp(sim.url)}, checked \\d{4}-\\d\\d-\\d\\dT`,
        ),
      );
    }
    const changes = s.reconcile!.changes;
    expect(changes.filter((c) => c.type === 'retired').map((c) => c.model)).toEqual([...SEED_ROTATION_ORDER]);
    expect(changes.filter((c) => c.type === 'added')).toHaveLength(s.rotation.length);
    expect(changes.find((c) => c.type === 'added' && c.model === LIVE_NEW_MODEL)?.reason).toContain(
      'untested',
    );
    expect(changes.at(-1)).toMatchObject({ type: 'order' });
    // The dashboard gets the same changes as engine events, each with its reason.
    expect(s.events.filter((e) => e.type === 'model_retired')).toHaveLength(12);
    expect(s.events.find((e) => e.type === 'order_changed')?.reason).toBe(changes.at(-1)!.reason);
    expect(s.currentModel).toBe(LIVE_REGISTRY_MODEL);
  });

  it('/v1/models lists the reconciled rotation', async () => {
    const sim = await snapshotSim();
    const gw = await gateway({ baseUrl: sim.url });
    await gw.reconciler!.first;
    const body = (await (await fetch(`${gw.url}/v1/models`)).json()) as {
      data: Array<{ id: string; rotor: { context_length: number | null } }>;
    };
    const ids = body.data.map((m) => m.id);
    expect(ids.slice(0, 2)).toEqual(['auto', LIVE_REGISTRY_MODEL]);
    expect(ids).not.toContain(SEED_ROTATION_ORDER[0]);
    expect(body.data.find((m) => m.id === LIVE_NEW_MODEL)?.rotor.context_length).toBe(131_072);
  });
});

describe('a model that starts answering 404 during traffic', () => {
  it('is retired after one failure, for everyone, and never tried again', async () => {
    const sim = await snapshotSim();
    const gw = await gateway({ baseUrl: sim.url });
    await gw.reconciler!.first;
    const [primary, second] = gw.rotor.engine.rotationOrder as [string, string];
    sim.addFault({ model: primary, kind: 'model_gone' });

    expect(await chat(gw)).toEqual({ status: 200, model: second });
    expect(sim.attempts().map((a) => [a.model, a.status])).toEqual([
      [primary, 404],
      [second, 200],
    ]);
    const s = await status(gw);
    expect(retiredIn(s, primary)).toBe(`No endpoints found for ${primary}.`);
    expect(s.currentModel).toBe(second);

    for (let i = 0; i < 3; i++) expect((await chat(gw)).model).toBe(second);
    // The next check finds it gone from the list too: it leaves the rotation and stays retired.
    const report = await gw.reconciler!.reconcileNow();
    expect(report.changes).toEqual([expect.objectContaining({ type: 'order' })]);
    expect(gw.rotor.engine.rotationOrder).not.toContain(primary);
    await chat(gw);
    expect(sim.attempts().filter((a) => a.model === primary)).toHaveLength(1);
  });
});

describe('an operator-pinned order', () => {
  it('is kept as it is: dead entries retired and skipped, nothing added', async () => {
    const sim = await snapshotSim();
    const order = [SEED_ROTATION_ORDER[0]!, SEED_ROTATION_ORDER[1]!, LIVE_NEW_MODEL, LIVE_REGISTRY_MODEL];
    const gw = await gateway({ baseUrl: sim.url }, { rotation: { order } });
    const report = await gw.reconciler!.first;
    expect(report.changes.map((c) => [c.type, 'model' in c ? c.model : undefined])).toEqual([
      ['retired', SEED_ROTATION_ORDER[0]],
      ['retired', SEED_ROTATION_ORDER[1]],
    ]);

    const s = await status(gw);
    expect(s.pinnedOrder).toBe(true);
    expect(s.rotation).toEqual(order);
    expect(retiredIn(s, SEED_ROTATION_ORDER[0]!)).toContain('no longer listed as a free model');
    expect(s.events.some((e) => e.type === 'order_changed')).toBe(false);

    expect(await chat(gw)).toEqual({ status: 200, model: LIVE_NEW_MODEL });
    expect(sim.attempts().map((a) => a.model)).toEqual([LIVE_NEW_MODEL]);
  });
});

describe('when the list cannot be fetched', () => {
  it('the gateway serves with the rotation it has and says so in status', async () => {
    const sim = await startSimulator({ latencyScale: 0, seed: 5 }); // the seed's models, all answering
    cleanups.push(() => sim.close());
    const closedPort = await freePort();
    const gw = await gateway(
      { baseUrl: `http://127.0.0.1:${closedPort}/api/v1` },
      { reconcile: { timeoutMs: 2000 } },
      redirectTo(sim.url),
    );
    const report = await gw.reconciler!.first;
    expect(report.ok).toBe(false);
    expect(report.error).toMatch(/ECONNREFUSED|connect/i);

    expect(await chat(gw)).toEqual({ status: 200, model: SEED_ROTATION_ORDER[0] });
    const s = await status(gw);
    expect(s.reconcile).toMatchObject({ ok: false, liveFree: 0, changes: [] });
    expect(s.rotation).toEqual([...SEED_ROTATION_ORDER]);
  });

  it('a request never waits for a list that is slow to come', async () => {
    const sim = await startSimulator({ latencyScale: 0, seed: 5 });
    cleanups.push(() => sim.close());
    const silent = await silentServer(); // accepts the connection, never answers
    const gw = await gateway(
      { baseUrl: `http://127.0.0.1:${silent.port}/api/v1` },
      { reconcile: { timeoutMs: 15_000 } },
      redirectTo(sim.url),
    );
    expect(await chat(gw)).toEqual({ status: 200, model: SEED_ROTATION_ORDER[0] });
    expect(gw.reconciler!.last()).toBeNull(); // still waiting for the list
    expect((await status(gw)).reconcile).toBeNull();
  });
});

describe('configuration', () => {
  it('simulated mode reconciles against the built-in simulator when sim.modelsFile is set', async () => {
    const config = loadGatewayConfig({
      env: {},
      overrides: {
        server: { port: 0 },
        sim: { latencyScale: 0, modelsFile: modelsSnapshotPath() },
        log: { level: 'silent' },
      },
    });
    const gw = await startGateway(config);
    cleanups.push(async () => {
      await gw.close();
    });
    expect(gw.simulated).toBe(true);
    expect((await gw.reconciler!.first).ok).toBe(true);
    expect(await chat(gw)).toEqual({ status: 200, model: LIVE_REGISTRY_MODEL });
    expect(gw.simulator!.attempts()).toHaveLength(1);
  });

  it('is off in simulated mode without a snapshot, and when disabled', async () => {
    const simulated = loadGatewayConfig({
      env: {},
      overrides: { server: { port: 0 }, log: { level: 'silent' } },
    });
    const gw = await startGateway(simulated);
    cleanups.push(async () => {
      await gw.close();
    });
    expect(gw.reconciler).toBeUndefined();
    expect((await status(gw)).reconcile).toBeNull();

    const sim = await snapshotSim();
    const off = await gateway({ baseUrl: sim.url }, { reconcile: { enabled: false } });
    expect(off.reconciler).toBeUndefined();
  });

  it('reads defaults and ROTOR_RECONCILE_INTERVAL_MS', () => {
    expect(loadGatewayConfig({ env: {} }).reconcile).toEqual({ intervalMs: 21_600_000, timeoutMs: 15_000 });
    expect(loadGatewayConfig({ env: { ROTOR_RECONCILE_INTERVAL_MS: '600000' } }).reconcile.intervalMs).toBe(
      600_000,
    );
    expect(() => loadGatewayConfig({ env: { ROTOR_RECONCILE_INTERVAL_MS: 'soon' } })).toThrow(
      'ROTOR_RECONCILE_INTERVAL_MS must be a number',
    );
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Chat goes to `baseUrl` whatever upstream the gateway was configured with. */
function redirectTo(baseUrl: string): ChatTransport {
  const client = new UpstreamClient();
  cleanups.push(() => client.close());
  return { openStream: (req) => client.openStream({ ...req, upstream: { ...req.upstream, baseUrl } }) };
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function silentServer(): Promise<{ port: number }> {
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as { port: number }).port };
}
