/**
 * The SQLite store end to end: gateways restarted on the same file keep cooldowns, breakers,
 * quota counts and rolling stats; `rotor serve` on a locked file fails with one clear line, and
 * on a corrupt one keeps it aside and starts fresh, saying so. Real sockets, a real simulator, a temp directory per test.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SEED_ROTATION_ORDER } from '../src/engine/seed-defaults.js';
import type { Gateway } from '../src/server/gateway.js';
import { type Simulator, startSimulator } from '../src/sim/index.js';
import { serveFailure, startServe } from './serve-process.js';
import { chat, gatewayOn, metric, status } from './store-helpers.js';

const [A, B] = SEED_ROTATION_ORDER as [string, string];
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function simulator(): Promise<Simulator> {
  const sim = await startSimulator({
    latencyScale: 0,
    seed: 21,
    scenario: { faults: [{ model: A, kind: 'upstream_rate_limit', retryAfterSeconds: 60, maxHits: 1 }] },
  });
  cleanups.push(() => sim.close());
  return sim;
}

function tempStore(): { dir: string; url: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rotor-store-'));
  const file = join(dir, 'rotor.db');
  return { dir, file, url: `sqlite:${file}` };
}

async function started(sim: Simulator, url: string, overrides = {}): Promise<Gateway> {
  const gw = await gatewayOn(sim, url, overrides);
  cleanups.push(() => gw.close());
  return gw;
}

describe('SQLite: state survives a restart', () => {
  it('a model cooling down gets nothing after a restart; a spent daily quota is refused at once', async () => {
    const sim = await simulator();
    const store = tempStore();

    // Gateway 1: the primary answers 429 with a 60 s hint; the request is served by the next model.
    const one = await started(sim, store.url);
    expect((await chat(one)).model).toBe(B);
    expect(sim.attempts().map((a) => [a.model, a.outcome])).toEqual([
      [A, 'upstream_rate_limit'],
      [B, 'ok'],
    ]);
    const cooldownUntil = (await status(one)).models.find((m) => m.model === A)?.cooldownUntilMs;
    expect(cooldownUntil).toBeGreaterThan(Date.now() + 55_000);
    await one.close();

    // Gateway 2 on the same file: still cooling, so not one attempt goes to the primary.
    sim.reset();
    const two = await started(sim, store.url);
    const s2 = await status(two);
    expect(s2.store).toMatchObject({ kind: 'sqlite', degraded: false });
    expect(s2.models.find((m) => m.model === A)?.cooldownUntilMs).toBe(cooldownUntil);
    expect(s2.models.find((m) => m.model === B)?.successfulRequests).toBe(1); // rolling stats kept
    expect((await chat(two)).model).toBe(B);
    expect(sim.attempts().filter((a) => a.model === A)).toEqual([]);

    // The account's daily quota runs out upstream: the gateway learns it from the 429.
    sim.setAccount({ dayUsed: 50 });
    const spent = await chat(two);
    expect(spent.status).toBe(429);
    await two.close();

    // Gateway 3: answers 429 at once with Retry-After to 00:00 UTC, sending nothing upstream.
    sim.reset();
    const three = await started(sim, store.url);
    const startedMs = Date.now();
    const refused = await chat(three);
    expect(Date.now() - startedMs).toBeLessThan(1000);
    expect(refused.status).toBe(429);
    expect(refused.body.error?.code).toBe('quota_exhausted');
    const toMidnightS = (Math.floor(Date.now() / 86_400_000 + 1) * 86_400_000 - Date.now()) / 1000;
    expect(Math.abs(Number(refused.retryAfter) - toMidnightS)).toBeLessThan(5);
    expect(sim.attempts()).toEqual([]);
    const account = (await status(three)).system.accounts.find((a) => a.account === 'openrouter');
    expect(account).toMatchObject({ blockedScope: 'account_day' });
    expect(await metric(three, 'rotor_store_degraded')).toBe(0);
  });

  it('an open breaker survives a restart and sends nothing until it half-opens', async () => {
    const sim = await startSimulator({
      latencyScale: 0,
      seed: 22,
      scenario: { faults: [{ model: A, kind: 'server_error', status: 503 }] },
    });
    cleanups.push(() => sim.close());
    const store = tempStore();
    const engine = { circuitBreakerThreshold: 1, breaker: { openBaseMs: 60_000 }, retry: { jitter: false } };
    const one = await started(sim, store.url, { engine });
    expect((await chat(one)).model).toBe(B);
    await one.close();
    sim.reset();
    const two = await started(sim, store.url, { engine });
    expect((await status(two)).models.find((m) => m.model === A)?.breakerState).toBe('open');
    expect((await chat(two)).model).toBe(B);
    expect(sim.attempts().filter((a) => a.model === A)).toEqual([]);
  });
});

describe('SQLite: a file rotor cannot use is one clear line, not a stack trace', () => {
  it('a file locked by another process', async () => {
    const store = tempStore();
    const holder = new Database(store.file);
    holder.pragma('journal_mode = WAL');
    holder.exec('CREATE TABLE IF NOT EXISTS other (x)');
    holder.exec('BEGIN EXCLUSIVE');
    holder.exec('INSERT INTO other VALUES (1)');
    cleanups.push(() => holder.close());
    const { code, stderr } = await serveFailure({ ROTOR_STORE: store.url });
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([
      `rotor: SQLite store ${store.file}: database is locked by another process (another rotor on the same file?); stop it, or give this gateway its own file with ROTOR_STORE=sqlite:PATH.`,
    ]);
  });

  it('a corrupt file is kept aside as *.corrupt-<time> and the gateway starts fresh', async () => {
    const store = tempStore();
    writeFileSync(store.file, 'not a database; someone wrote text here '.repeat(30));
    const served = await startServe({ ROTOR_STORE: store.url });
    cleanups.push(async () => {
      served.proc.kill('SIGTERM');
      await served.exited;
    });
    const health = await fetch(`${served.url}/health`);
    expect(health.status).toBe(200);
    expect(readdirSync(store.dir).filter((f) => /^rotor\.db\.corrupt-/.test(f))).toHaveLength(1);
    expect(served.stderr()).not.toMatch(/at .*\.js:\d+/);
  });
});
