/**
 * The account's free-model quota as the gateway learns it from `GET /key`, and the paid-model
 * rule: no silent cost escalation unless `quota.allowPaidFallback` says so. Real sockets, one
 * simulator per test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SEED_ROTATION_ORDER } from '../src/engine/seed-defaults.js';
import type { Gateway } from '../src/server/gateway.js';
import { type ScenarioInput, type Simulator, startSimulator } from '../src/sim/index.js';
import { chat, gatewayOn, hello, status } from './store-helpers.js';

const [A] = SEED_ROTATION_ORDER as [string];
const PAID = 'openai/gpt-4o-mini';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function simulator(scenario: ScenarioInput = {}): Promise<Simulator> {
  const sim = await startSimulator({ latencyScale: 0, seed: 41, scenario });
  cleanups.push(() => sim.close());
  return sim;
}

async function gateway(
  sim: Simulator,
  overrides: Record<string, Record<string, unknown>> = {},
): Promise<Gateway> {
  const gw = await gatewayOn(sim, 'memory', overrides);
  cleanups.push(() => gw.close());
  return gw;
}

const toMidnightS = () => (Math.floor(Date.now() / 86_400_000 + 1) * 86_400_000 - Date.now()) / 1000;

describe('GET /key: the daily quota, known before it is hit', () => {
  it('spent at start: :free requests get 429 at once with Retry-After to 00:00 UTC, nothing sent', async () => {
    const sim = await simulator();
    sim.setAccount({ dayUsed: 50 });
    const gw = await gateway(sim, { quota: { keyPollMs: 60_000 } });
    expect(await gw.quotaPoller?.first).toMatchObject({ ok: true, limit: 50, remaining: 0, used: 50 });
    const started = Date.now();
    const res = await chat(gw);
    expect(Date.now() - started).toBeLessThan(500);
    expect(res.status).toBe(429);
    expect(res.body.error?.code).toBe('quota_exhausted');
    expect(Math.abs(Number(res.retryAfter) - toMidnightS())).toBeLessThan(5);
    expect(sim.attempts()).toEqual([]);
    expect((await status(gw)).keyQuota).toMatchObject({ ok: true, limit: 50, remaining: 0 });
  });

  it('a learned daily limit is enforced locally: the request past it is refused without an upstream call', async () => {
    const sim = await simulator({ account: { perDay: 3 } });
    const gw = await gateway(sim, { quota: { keyPollMs: 60_000 } });
    await gw.quotaPoller?.first;
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await chat(gw));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(sim.attempts()).toHaveLength(3);
  });

  it('polls again: a quota spent later is learned at the next poll', async () => {
    const sim = await simulator();
    const gw = await gateway(sim, { quota: { keyPollMs: 60_000 } });
    expect(await gw.quotaPoller?.first).toMatchObject({ remaining: 50 });
    sim.setAccount({ dayUsed: 50 });
    await gw.quotaPoller?.pollNow();
    expect((await chat(gw)).status).toBe(429);
    expect(sim.attempts()).toEqual([]);
  });

  it('keyPollMs 0 never asks', async () => {
    const sim = await simulator();
    const gw = await gateway(sim, { quota: { keyPollMs: 0 } });
    expect(gw.quotaPoller).toBeUndefined();
    expect((await status(gw)).keyQuota).toBeNull();
  });
});

describe('paid models: never escalate cost silently', () => {
  const scenario: ScenarioInput = { models: [{ id: PAID }] };

  it('by default a paid model is left out of auto, but a client naming it still gets it', async () => {
    const sim = await simulator(scenario);
    const gw = await gateway(sim, { rotation: { order: [PAID, A] } });
    expect(gw.rotor.engine.rotationOrder).toEqual([A]);
    expect((await chat(gw)).model).toBe(A);
    expect(sim.attempts().map((a) => a.model)).toEqual([A]);
    expect((await chat(gw, { ...hello, model: PAID })).model).toBe(PAID);
  });

  it('with the daily quota spent and no paid fallback allowed: 429, not a paid model', async () => {
    const sim = await simulator(scenario);
    sim.setAccount({ dayUsed: 50 });
    const gw = await gateway(sim, { rotation: { order: [A, PAID] }, quota: { keyPollMs: 60_000 } });
    await gw.quotaPoller?.first;
    expect((await chat(gw)).status).toBe(429);
    expect(sim.attempts()).toEqual([]);
  });

  it('allowPaidFallback: the paid model serves auto traffic once the free quota is spent', async () => {
    const sim = await simulator(scenario);
    sim.setAccount({ dayUsed: 50 });
    const gw = await gateway(sim, {
      rotation: { order: [A, PAID] },
      quota: { keyPollMs: 60_000, allowPaidFallback: true },
    });
    await gw.quotaPoller?.first;
    const res = await chat(gw);
    expect(res.status).toBe(200);
    expect(res.model).toBe(PAID);
    expect(sim.attempts().map((a) => a.model)).toEqual([PAID]);
  });
});
