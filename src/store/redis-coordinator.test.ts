/**
 * The Redis coordinator against a real Redis (127.0.0.1:6379, a unique key prefix per test):
 * exact shared counts under concurrency, one probe slot, fact exchange without echo, and
 * degradation when Redis is unreachable. Skipped, with the reason, when no Redis is running.
 */
import { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { skipWithoutService } from '../../test/required-service.js';
import { seededRandom } from '../engine/random.js';
import { RotationEngine } from '../engine/rotation-engine.js';
import type { RedisAddress } from './parse-store-url.js';
import { RedisCoordinator } from './redis-coordinator.js';

const A = 'a/primary:free';
const B = 'b/second:free';
const PAID = 'p/paid';

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.setTimeout(500, () => {
      s.destroy();
      resolve(false);
    });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });
}
const skipRedis = skipWithoutService(
  'Redis coordinator',
  (await reachable(6379)) ? undefined : 'no Redis on 127.0.0.1:6379',
);

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function address(prefix: string, port = 6379): RedisAddress {
  return { host: '127.0.0.1', port, db: 0, tls: false, prefix };
}

function newPrefix(): string {
  const prefix = `rotor:test:${process.pid}:${Math.random().toString(36).slice(2, 10)}:`;
  cleanups.push(async () => {
    const r = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await r.connect();
    const keys = await r.keys(`${prefix}*`);
    if (keys.length > 0) await r.del(...keys);
    r.disconnect();
  });
  return prefix;
}

async function replica(
  prefix: string,
  options: { perMinute?: number; port?: number; openBaseMs?: number } = {},
) {
  const engine = new RotationEngine(
    {
      rotationOrder: [A, B, PAID],
      quota: { freeRequestsPerMinute: options.perMinute ?? 0 },
      // A fast schedule (and cooldowns before it) so a probe can be due within a test.
      ...(options.openBaseMs === undefined
        ? {}
        : { breaker: { openBaseMs: options.openBaseMs }, retry: { baseDelayMs: options.openBaseMs / 10 } }),
    },
    { random: seededRandom(1) },
  );
  const coordinator = await RedisCoordinator.connect({
    address: address(prefix, options.port),
    connectTimeoutMs: 300,
    resyncIntervalMs: 0,
  });
  cleanups.push(() => coordinator.close());
  await coordinator.attach(engine);
  return { engine, coordinator };
}

const waitFor = async (check: () => boolean, ms = 2000) => {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe.skipIf(skipRedis)('RedisCoordinator', () => {
  it('counts :free attempts exactly across replicas, under concurrency', async () => {
    const prefix = newPrefix();
    const one = await replica(prefix, { perMinute: 5 });
    const two = await replica(prefix, { perMinute: 5 });
    const request = { model: A, account: 'openrouter', isProbe: false, free: true };
    const verdicts = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).coordinator.admit(request)),
    );
    const minuteStart = Math.floor(Date.now() / 60_000) * 60_000;
    const ok = verdicts.filter((v) => v.ok).length;
    // A minute boundary inside the burst would start a new window; then at most twice the limit.
    expect(Date.now() - minuteStart < 1000 ? ok <= 10 : ok === 5).toBe(true);
    for (const v of verdicts.filter((x) => !x.ok)) {
      expect(v).toMatchObject({ reason: 'account_quota', scope: 'account_minute' });
    }
  });

  it('denies past the learned daily limit until 00:00 UTC', async () => {
    const prefix = newPrefix();
    const { engine, coordinator } = await replica(prefix);
    engine.setAccountQuota('openrouter', { limit: 2, remaining: 2, used: 0 });
    const request = { model: A, account: 'openrouter', isProbe: false, free: true };
    expect(await coordinator.admit(request)).toEqual({ ok: true });
    expect(await coordinator.admit(request)).toEqual({ ok: true });
    const denied = await coordinator.admit(request);
    expect(denied).toEqual({
      ok: false,
      reason: 'account_quota',
      scope: 'account_day',
      untilMs: (Math.floor(Date.now() / 86_400_000) + 1) * 86_400_000,
    });
  });

  it('paid attempts that are not probes never ask Redis', async () => {
    const { coordinator } = await replica(newPrefix(), { perMinute: 1 });
    for (let i = 0; i < 3; i++) {
      expect(
        await coordinator.admit({ model: PAID, account: 'openrouter', isProbe: false, free: false }),
      ).toEqual({
        ok: true,
      });
    }
    expect(coordinator.stats()).toMatchObject({ admitted: 0, admittedUnchecked: 0 });
  });

  it('one probe slot across replicas; its holder may take it again; its verdict frees it', async () => {
    const prefix = newPrefix();
    const one = await replica(prefix);
    const two = await replica(prefix);
    const probe = { model: PAID, account: 'openrouter', isProbe: true, free: false };
    expect(await one.coordinator.admit(probe)).toEqual({ ok: true });
    const taken = await two.coordinator.admit(probe);
    expect(taken).toMatchObject({ ok: false, reason: 'probe_taken' });
    expect(await one.coordinator.admit(probe)).toEqual({ ok: true }); // re-entrant
    // A verdict on the model in the holder (here a cooldown; likewise a breaker opening or closing)
    // frees the slot right after publishing it, on the same connection.
    one.engine.coolDown(PAID, 1, 'manual', 'probe verdict stand-in');
    await waitFor(() => two.coordinator.stats().received > 0);
    expect(await two.coordinator.admit(probe)).toEqual({ ok: true });
  });

  it('facts flow one way without echo, and a late joiner gets those still in force', async () => {
    const prefix = newPrefix();
    const one = await replica(prefix);
    const two = await replica(prefix);
    one.engine.coolDown(A, 60_000, 'rate_limited', 'rate limited (server reset hint)');
    one.engine.coolDown(B, 1, 'manual', 'over before anyone joins');
    await waitFor(() => two.engine.unavailability(A)?.reason === 'cooling_down');
    const events = two.engine.recentEvents().filter((e) => e.type === 'cooldown_started');
    expect(events.every((e) => e.origin === 'remote')).toBe(true);
    await new Promise((r) => setTimeout(r, 30));
    expect(one.coordinator.stats().received).toBe(0); // nothing came back
    const late = await replica(prefix);
    expect(late.engine.unavailability(A)).toMatchObject({ reason: 'cooling_down' });
    expect(late.engine.unavailability(B)).toBeUndefined();
  });

  it('a failed probe on one replica passes the outage start and the probes of the day to the others', async () => {
    const prefix = newPrefix();
    const one = await replica(prefix, { openBaseMs: 50 });
    const two = await replica(prefix, { openBaseMs: 50 });
    for (let i = 0; i < 5; i++) one.engine.recordFailure(A, { kind: 'server_error', message: '503' });
    const since = one.engine.metrics().models.find((m) => m.model === A)!.outageSinceMs!;
    await new Promise((r) => setTimeout(r, 100)); // past the open time (50 ms + 20 % jitter)
    const got = one.engine.acquire({ order: [A] });
    expect(got.ok && got.lease.isProbe).toBe(true);
    if (got.ok) got.lease.fail({ kind: 'server_error', message: '503' });
    const onTwo = () => two.engine.metrics().models.find((m) => m.model === A)!;
    await waitFor(() => onTwo().probesToday === 1);
    expect(onTwo()).toMatchObject({ breakerState: 'open', outageSinceMs: since });
    const late = await replica(prefix, { openBaseMs: 50 });
    expect(late.engine.metrics().models.find((m) => m.model === A)).toMatchObject({
      outageSinceMs: since,
      probesToday: 1,
    });
  });

  it('a retirement and a later restore both reach every replica, and a late joiner sees the model usable', async () => {
    const prefix = newPrefix();
    const one = await replica(prefix);
    const two = await replica(prefix);
    one.engine.retire(B, 'No endpoints found');
    await waitFor(() => two.engine.unavailability(B)?.reason === 'retired');
    one.engine.restore(B, 'listed again');
    await waitFor(() => two.engine.unavailability(B) === undefined);
    expect(
      two.engine.recentEvents().filter((e) => e.type === 'model_restored' && e.origin === 'remote'),
    ).toHaveLength(1);
    const late = await replica(prefix);
    expect(late.engine.unavailability(B)).toBeUndefined();
  });

  it('unreachable: starts degraded, admits at once, warns once', async () => {
    const warnings: string[] = [];
    const logger = { warn: (_: unknown, m: string) => warnings.push(m), info() {}, debug() {} } as never;
    const engine = new RotationEngine({ rotationOrder: [A] }, { random: seededRandom(1) });
    const coordinator = await RedisCoordinator.connect({
      address: address(newPrefix(), 1),
      connectTimeoutMs: 100,
      logger,
    });
    cleanups.push(() => coordinator.close());
    await coordinator.attach(engine);
    expect(coordinator.degraded()).toBe(true);
    const started = performance.now();
    expect(await coordinator.admit({ model: A, account: 'openrouter', isProbe: true, free: true })).toEqual({
      ok: true,
    });
    expect(performance.now() - started).toBeLessThan(5);
    await new Promise((r) => setTimeout(r, 300)); // reconnection attempts go on, silently
    expect(warnings).toHaveLength(1);
  });
});
