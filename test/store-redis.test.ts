/**
 * Several gateway replicas on one Redis against one simulator, over real sockets: the account's
 * limit holds in total, a rate limit seen by one replica is honoured by the others within
 * milliseconds, a half-open breaker admits one probe in total, and a Redis outage loses no request
 * and re-syncs when Redis returns. Each test uses its own key prefix on the shared Redis
 * (127.0.0.1:6379); the outage test runs its own `redis-server` on a free port.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../src/engine/engine-events.js';
import { SEED_ROTATION_ORDER } from '../src/engine/seed-defaults.js';
import type { Gateway } from '../src/server/gateway.js';
import { type ScenarioInput, type Simulator, startSimulator } from '../src/sim/index.js';
import { skipWithoutService } from './required-service.js';
import { startServe } from './serve-process.js';
import {
  chat,
  deleteKeys,
  freePort,
  gatewayOn,
  hello,
  metric,
  PrivateRedis,
  redisUnavailable,
  redisUrl,
  sleep,
  status,
  uniquePrefix,
  until,
} from './store-helpers.js';

const [A, B] = SEED_ROTATION_ORDER as [string, string];
const skipRedis = skipWithoutService('Redis', redisUnavailable());

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function simulator(scenario: ScenarioInput = {}): Promise<Simulator> {
  const sim = await startSimulator({ latencyScale: 0, seed: 31, scenario });
  cleanups.push(() => sim.close());
  return sim;
}

function prefix(port?: number): string {
  const p = uniquePrefix();
  cleanups.push(() => deleteKeys(p, port));
  return p;
}

async function replicas(n: number, sim: Simulator, url: string, overrides = {}): Promise<Gateway[]> {
  const gateways = await Promise.all(Array.from({ length: n }, () => gatewayOn(sim, url, overrides)));
  for (const g of gateways) cleanups.push(() => g.close());
  return gateways;
}

/** Within a minute window with at least `seconds` left, so a burst is counted in one minute. */
async function awayFromMinuteEnd(seconds = 6): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < seconds * 1000) await sleep(left + 50);
}

const eventsOf = (gateway: Gateway, type: EngineEvent['type']) => {
  const seen: Array<{ event: EngineEvent; atMs: number }> = [];
  gateway.rotor.engine.subscribe((event) => {
    if (event.type === type) seen.push({ event, atMs: performance.now() });
  });
  return seen;
};

describe.skipIf(skipRedis)('Redis: replicas share quota, health and probes', () => {
  it('three replicas never send more than the account per-minute limit in total', async () => {
    const sim = await simulator({ account: { perMinute: 100 } });
    const gateways = await replicas(3, sim, redisUrl(prefix()), {
      engine: { quota: { freeRequestsPerMinute: 5 } },
      maxQueueWaitMs: 0,
    } as never);
    await awayFromMinuteEnd();
    const results = await Promise.all(Array.from({ length: 15 }, (_, i) => chat(gateways[i % 3]!)));
    // Alone, each replica would have let 5 through (15 in total).
    expect(sim.attempts()).toHaveLength(5);
    expect(results.filter((r) => r.status === 200)).toHaveLength(5);
    const refused = results.filter((r) => r.status !== 200);
    expect(refused).toHaveLength(10);
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(r.body.error?.code).toBe('quota_exhausted');
      expect(Number(r.retryAfter)).toBeLessThanOrEqual(61);
    }
    const shared = (await status(gateways[0]!)).store.shared as { deniedQuota: number };
    expect(shared).toBeDefined();
  });

  it('a model rate limit seen by one replica is honoured by the other within 50 ms', async () => {
    const sim = await simulator({
      faults: [{ model: A, kind: 'upstream_rate_limit', retryAfterSeconds: 60, maxHits: 1 }],
    });
    const [one, two] = (await replicas(2, sim, redisUrl(prefix()))) as [Gateway, Gateway];
    const seenByOne = eventsOf(one, 'cooldown_started');
    const seenByTwo = eventsOf(two, 'cooldown_started');
    expect((await chat(one)).model).toBe(B);
    await until('the cooldown on replica 2', () => seenByTwo.length > 0, 2000);
    expect(seenByTwo[0]!.event).toMatchObject({ model: A, origin: 'remote' });
    expect(seenByTwo[0]!.atMs - seenByOne[0]!.atMs).toBeLessThan(50);
    expect(two.rotor.engine.unavailability(A)?.reason).toBe('cooling_down');

    const before = sim.attempts().length;
    expect((await chat(two)).model).toBe(B);
    expect(
      sim
        .attempts()
        .slice(before)
        .map((a) => a.model),
    ).toEqual([B]);
    // No echo: the fact went out once and came back to nobody.
    expect(seenByOne).toHaveLength(1);
  });

  it('a half-open breaker admits exactly one probe across the replicas', async () => {
    const sim = await simulator({
      faults: [
        { model: A, kind: 'server_error', status: 503, maxHits: 1 },
        { model: A, kind: 'slow_first_token', delayMs: 300 },
      ],
    });
    const engine = { circuitBreakerThreshold: 1, breaker: { openBaseMs: 400 }, retry: { jitter: false } };
    const gateways = await replicas(3, sim, redisUrl(prefix()), { engine });
    expect((await chat(gateways[0]!)).model).toBe(B);
    const openUntil = gateways[0]!.rotor.engine.metrics().models.find((m) => m.model === A)!
      .breakerOpenUntilMs!;
    for (const g of gateways) {
      await until(
        'the breaker open everywhere',
        () => g.rotor.engine.unavailability(A)?.reason === 'breaker_open',
        2000,
      );
    }
    await sleep(Math.max(0, openUntil - Date.now()) + 30);

    const before = sim.attempts().length;
    const burst = await Promise.all(Array.from({ length: 9 }, (_, i) => chat(gateways[i % 3]!)));
    expect(burst.map((r) => r.status)).toEqual(Array(9).fill(200));
    const probes = sim
      .attempts()
      .slice(before)
      .filter((a) => a.model === A);
    expect(probes).toHaveLength(1);
    expect(burst.filter((r) => r.model === A)).toHaveLength(1);
    // The probe succeeded: every replica closes the breaker.
    for (const g of gateways) {
      await until(
        'the breaker closed everywhere',
        () => g.rotor.engine.metrics().models.find((m) => m.model === A)?.breakerState === 'closed',
        2000,
      );
    }
  });

  it('separate `rotor serve` processes share the account limit and a model rate limit', async () => {
    const sim = await simulator({
      account: { perMinute: 100 },
      faults: [{ model: A, kind: 'upstream_rate_limit', retryAfterSeconds: 60, maxHits: 1 }],
    });
    const dir = mkdtempSync(join(tmpdir(), 'rotor-replicas-'));
    const config = join(dir, 'rotor.yaml');
    writeFileSync(
      config,
      [
        'maxQueueWaitMs: 0',
        'engine:',
        '  quota:',
        '    freeRequestsPerMinute: 5',
        'quota:',
        '  keyPollMs: 0',
        'reconcile:',
        '  enabled: false',
        '',
      ].join('\n'),
    );
    const env = {
      OPENROUTER_API_KEY: 'sk-test-upstream',
      OPENROUTER_BASE_URL: sim.url,
      ROTOR_STORE: redisUrl(prefix()),
      ROTOR_CONFIG: config,
    };
    const [one, two] = await Promise.all([startServe(env), startServe(env)]);
    cleanups.push(
      () => one.proc.kill('SIGKILL'),
      () => two.proc.kill('SIGKILL'),
    );
    await awayFromMinuteEnd(8);

    expect((await chat(one.url)).model).toBe(B); // A: 429 (60 s) → B
    await sleep(50);
    const before = sim.attempts().length;
    expect((await chat(two.url)).model).toBe(B);
    expect(
      sim
        .attempts()
        .slice(before)
        .map((a) => a.model),
    ).toEqual([B]);

    // 3 of the 5 counted so far (the 429 counts too); 8 more requests, alternating: 2 go out.
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => chat(i % 2 ? two.url : one.url)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(2);
    expect(results.filter((r) => r.status === 429)).toHaveLength(6);
    expect(sim.attempts()).toHaveLength(5);
    expect((await status(two.url)).store).toMatchObject({ kind: 'redis', degraded: false });
  });
});

describe.skipIf(skipRedis)('Redis: an outage degrades to local state and re-syncs', () => {
  it('Redis stopped and restarted mid-traffic: every request answered, gauge 1 then 0, facts re-synced', async () => {
    const port = await freePort();
    const redis = new PrivateRedis(port);
    await redis.start();
    cleanups.push(() => redis.stop());
    const sim = await simulator({ account: { freeLimits: false } });
    const [one, two] = (await replicas(2, sim, redisUrl(uniquePrefix(), port), {
      engine: { quota: { freeRequestsPerMinute: 0 } },
    } as never)) as [Gateway, Gateway];
    for (const g of [one, two]) expect(await metric(g, 'rotor_store_degraded')).toBe(0);

    // Steady traffic to both replicas for the whole test (to B by name, so A sees only what we send).
    const statuses: number[] = [];
    let sending = true;
    const traffic = (async () => {
      for (let i = 0; sending; i++) {
        statuses.push((await chat(i % 2 ? two : one, { ...hello, model: B })).status);
        await sleep(5);
      }
    })();
    try {
      await sleep(100);
      const beforeOutage = statuses.length;
      await redis.stop();
      for (const g of [one, two]) {
        await until('degraded', async () => (await metric(g, 'rotor_store_degraded')) === 1, 3000);
      }
      expect((await status(one)).store).toMatchObject({ kind: 'redis', degraded: true });
      await sleep(200); // traffic goes on meanwhile

      // While Redis is down, replica 1 alone sees the primary rate limited.
      sim.addFault({ model: A, kind: 'upstream_rate_limit', retryAfterSeconds: 60, maxHits: 1 });
      expect((await chat(one)).model).toBe(B);
      expect(one.rotor.engine.unavailability(A)?.reason).toBe('cooling_down');
      expect(two.rotor.engine.unavailability(A)).toBeUndefined();
      const duringOutage = statuses.length;

      await redis.start();
      for (const g of [one, two]) {
        await until('re-synced', async () => (await metric(g, 'rotor_store_degraded')) === 0, 5000);
      }
      // Replica 1 pushed what it learned meanwhile; replica 2 applied it.
      await until(
        'replica 2 cooling A',
        () => two.rotor.engine.unavailability(A)?.reason === 'cooling_down',
        2000,
      );
      const before = sim.attempts().length;
      expect((await chat(two)).model).toBe(B);
      expect(
        sim
          .attempts()
          .slice(before)
          .some((a) => a.model === A),
      ).toBe(false);
      await sleep(100);
      expect(beforeOutage).toBeGreaterThan(2);
      expect(duringOutage - beforeOutage).toBeGreaterThan(5);
      expect(statuses.length).toBeGreaterThan(duringOutage);
    } finally {
      sending = false;
      await traffic.catch(() => {});
    }
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect((await status(two)).store).toMatchObject({ degraded: false });
  });
});
