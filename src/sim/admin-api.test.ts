import { afterEach, describe, expect, it } from 'vitest';
import { ask, chat, chatStream, type Json } from '../../test/fixtures-sim/sim-helpers.js';
import { ManualClock } from '../engine/clock.js';
import { type Simulator, startSimulator } from './simulator.js';

const MODEL = 'meta-llama/llama-3.3-8b-instruct:free';
const OTHER = 'meta-llama/llama-4-maverick:free';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function admin(s: Simulator, method: string, path: string, body?: unknown) {
  const res = await fetch(`${s.origin}/__sim/${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

describe('admin API over HTTP', () => {
  it('adds faults at run time, reports their hits, removes them by id', async () => {
    sim = await startSimulator({ latencyScale: 0 });
    const added = await admin(sim, 'POST', 'faults', {
      id: 'down',
      model: MODEL,
      kind: 'server_error',
      status: 503,
    });
    expect(added.status).toBe(200);
    expect(added.json.faults[0]).toMatchObject({
      id: 'down',
      kind: 'server_error',
      status: 503,
      fromMs: 0,
      hits: 0,
    });
    expect((await chat(sim.url, ask(MODEL))).status).toBe(503);
    expect((await chat(sim.url, ask(OTHER))).status).toBe(200);
    expect((await admin(sim, 'GET', 'faults')).json.faults[0].hits).toBe(1);
    expect((await admin(sim, 'DELETE', 'faults/down')).json.faults).toEqual([]);
    expect((await admin(sim, 'DELETE', 'faults/down')).status).toBe(404);
    expect((await chat(sim.url, ask(MODEL))).status).toBe(200);
  });

  it('replaces and clears the schedule', async () => {
    sim = await startSimulator({
      latencyScale: 0,
      scenario: { faults: [{ kind: 'no_response', model: 'x' }] },
    });
    await admin(sim, 'POST', 'faults', [{ kind: 'missing_done' }, { kind: 'rate_limited', model: 'y' }]);
    expect((await admin(sim, 'GET', 'faults')).json.faults.map((f: Json) => f.kind)).toEqual([
      'no_response',
      'missing_done',
      'rate_limited',
    ]);
    const replaced = await admin(sim, 'PUT', 'faults', [{ kind: 'model_gone', model: MODEL }]);
    expect(replaced.json.faults.map((f: Json) => f.kind)).toEqual(['model_gone']);
    expect((await chat(sim.url, ask(MODEL))).status).toBe(404);
    await admin(sim, 'DELETE', 'faults');
    expect(sim.faults()).toEqual([]);
  });

  it('refuses an invalid fault with 400 naming the path and the value', async () => {
    sim = await startSimulator({ latencyScale: 0 });
    const { status, json } = await admin(sim, 'POST', 'faults', { kind: 'server_error', status: 418 });
    expect(status).toBe(400);
    expect(json.error.issues).toEqual([expect.stringMatching(/^\[0\]\.status: .*\(got 418\)$/)]);
    expect(sim.faults()).toEqual([]);
    const bad = await fetch(`${sim.origin}/__sim/faults`, { method: 'POST', body: '{oops' });
    expect(bad.status).toBe(400);
  });

  it('reports every attempt, filterable by model', async () => {
    const clock = new ManualClock();
    sim = await startSimulator({ latencyScale: 0, clock });
    await chat(sim.url, ask(MODEL));
    await clock.advance(1_500);
    await chatStream(sim.url, ask(OTHER));
    await chat(sim.url, ask(MODEL), { key: null });
    const all = await admin(sim, 'GET', 'attempts');
    expect(all.json).toEqual({
      attempts: [
        { timeMs: 0, model: MODEL, stream: false, outcome: 'ok', status: 200 },
        { timeMs: 1_500, model: OTHER, stream: true, outcome: 'ok', status: 200 },
        { timeMs: 1_500, model: MODEL, stream: false, outcome: 'unauthorized', status: 401 },
      ],
      dropped: 0,
    });
    const filtered = await admin(sim, 'GET', `attempts?model=${encodeURIComponent(OTHER)}`);
    expect(filtered.json.attempts).toHaveLength(1);
    await admin(sim, 'DELETE', 'attempts');
    expect(sim.attempts()).toEqual([]);
  });

  it('resets counters and attempts, optionally faults and t = 0', async () => {
    const clock = new ManualClock();
    sim = await startSimulator({
      latencyScale: 0,
      clock,
      scenario: { faults: [{ kind: 'missing_done', maxHits: 1 }] },
    });
    for (let i = 0; i < 3; i++) await chat(sim.url, ask(MODEL));
    expect(sim.account().day.used).toBe(3);
    await clock.advance(5_000);
    const state = await admin(sim, 'POST', 'reset', {});
    expect(state.json.account.day.used).toBe(0);
    expect(state.json.attempts).toBe(0);
    expect(state.json.faults[0].hits).toBe(0);
    expect(state.json.elapsedMs).toBe(5_000);
    const restarted = await admin(sim, 'POST', 'reset', { clearFaults: true, restartClock: true });
    expect(restarted.json.faults).toEqual([]);
    expect(restarted.json.elapsedMs).toBe(0);
    await chat(sim.url, ask(MODEL));
    expect(sim.attempts()[0]!.timeMs).toBe(0);
    expect((await admin(sim, 'POST', 'reset', { everything: true })).status).toBe(400);
  });

  it('sets the account usage and credits, which /key and the limits follow', async () => {
    sim = await startSimulator({ latencyScale: 0 });
    const account = await admin(sim, 'POST', 'account', { dayUsed: 50 });
    expect(account.json.day).toMatchObject({ limit: 50, used: 50, remaining: 0 });
    const refused = await chat(sim.url, ask(MODEL));
    expect(refused.json.error.message).toMatch(/^Rate limit exceeded: free-models-per-day\./);
    const credited = await admin(sim, 'POST', 'account', { hasCredits: true });
    expect(credited.json.day).toMatchObject({ limit: 1000, used: 50 });
    expect((await chat(sim.url, ask(MODEL))).status).toBe(200);
    expect((await admin(sim, 'GET', 'account')).json.day.used).toBe(51);
  });

  it('changes the latency scale and reports state; unknown routes are 404', async () => {
    sim = await startSimulator({ latencyScale: 1, seed: 3 });
    const state = await admin(sim, 'POST', 'settings', { latencyScale: 0 });
    expect(state.json).toMatchObject({ seed: 3, latencyScale: 0 });
    expect(state.json.models).toContain(MODEL);
    expect((await chat(sim.url, ask(MODEL))).status).toBe(200);
    expect((await admin(sim, 'POST', 'settings', { latencyScale: -1 })).status).toBe(400);
    expect((await admin(sim, 'GET', 'nothing')).status).toBe(404);
  });
});
