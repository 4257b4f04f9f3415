/**
 * What clients see on the wire when things fail, through the real gateway and real sockets: raw
 * SSE at the commit point, honest exhaustion that the official `openai` SDK obeys at its default
 * settings, cancellations labelled 499, and `max_tokens` as a ceiling.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { SEED_ROTATION_ORDER } from '../src/engine/seed-defaults.js';
import type { ScenarioInput } from '../src/sim/index.js';
import {
  type GatewayFixture,
  gatewayWithSimulator,
  parsePrometheus,
  postJson,
  rawEvents,
} from './gateway-helpers.js';

const [A, B] = SEED_ROTATION_ORDER as [string, string];
const hello = { model: 'auto', messages: [{ role: 'user', content: 'hello' }] };

let f: GatewayFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

async function start(scenario: ScenarioInput, overrides: Record<string, unknown> = {}, latencyScale = 0) {
  f = await gatewayWithSimulator({
    scenario: { account: { freeLimits: false }, ...scenario },
    overrides: { engine: { quota: { freeRequestsPerMinute: 0 } }, ...overrides },
    latencyScale,
  });
  return f;
}

describe('raw SSE at the commit point', () => {
  it('a stream cut before any content fails over invisibly: one clean stream from the next model, ending in [DONE]', async () => {
    const g = await start({ faults: [{ model: A, kind: 'stream_cut', afterChunks: 0 }] });
    const res = await postJson(`${g.baseURL}/chat/completions`, { ...hello, stream: true });
    expect(res.headers.get('x-rotor-model')).toBe(B);
    const events = await rawEvents(res);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.some((c) => c.error !== undefined)).toBe(false);
    expect(new Set(chunks.map((c) => c.model))).toEqual(new Set([B]));
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('stop');
  });

  it('a stream cut after content ends with one in-band error chunk (real code, the stream’s own id) and no [DONE]', async () => {
    const g = await start({ faults: [{ model: A, kind: 'stream_cut', afterChunks: 2 }] });
    const res = await postJson(`${g.baseURL}/chat/completions`, { ...hello, stream: true });
    const events = await rawEvents(res);
    expect(events).not.toContain('[DONE]');
    const chunks = events.map((e) => JSON.parse(e));
    const last = chunks.at(-1);
    expect(last.error).toBeDefined();
    expect(last.error.code).not.toBe(200);
    expect(last.error.code).toBeGreaterThanOrEqual(500);
    expect(last.choices[0].finish_reason).toBe('error');
    expect(last.id).toBe(chunks[0].id);
    expect(chunks.filter((c) => c.error !== undefined)).toHaveLength(1);
  });

  it('an upstream stream with its finish_reason but no [DONE] reaches the client complete: [DONE], no error chunk, no penalty', async () => {
    const g = await start({ faults: [{ model: A, kind: 'missing_done' }] });
    for (let i = 0; i < 4; i++) {
      const res = await postJson(`${g.baseURL}/chat/completions`, { ...hello, stream: true });
      expect(res.headers.get('x-rotor-model')).toBe(A);
      const events = await rawEvents(res);
      expect(events.at(-1)).toBe('[DONE]');
      expect(events.slice(0, -1).some((e) => JSON.parse(e).error !== undefined)).toBe(false);
    }
    const primary = g.gateway.rotor.engine.metrics().models.find((m) => m.model === A)!;
    expect(primary).toMatchObject({ consecutiveFailures: 0, failedRequests: 0, cooldownUntilMs: null });
  });
});

describe('honest exhaustion, as the openai SDK sees it at its default settings', () => {
  it('daily quota spent: RateLimitError within a second (x-should-retry: false stops the SDK sleeping out Retry-After)', async () => {
    const g = await start({ account: { freeLimits: true, perDay: 1 } });
    const client = new OpenAI({ baseURL: g.baseURL, apiKey: 'unused' });
    await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] });
    const started = Date.now();
    const err = await client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(Date.now() - started).toBeLessThan(1000);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.headers.get('x-should-retry')).toBe('false');
    expect(Number(e.headers.get('retry-after'))).toBeGreaterThan(60);
    expect((e.error as { code?: string }).code).toBe('quota_exhausted');
  });

  it('every model rate-limited: 429 with Retry-After, not a 502', async () => {
    const g = await start({ faults: [{ model: '*', kind: 'upstream_rate_limit' }] }, { maxQueueWaitMs: 0 });
    const res = await postJson(`${g.baseURL}/chat/completions`, hello);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toBe('rate_limit_exceeded');
    // One attempt per model, up to the cap (6); each model is now cooling.
    expect(g.sim.attempts()).toHaveLength(6);
    expect(new Set(g.sim.attempts().map((a) => a.model)).size).toBe(6);
  });
});

describe('client-caused endings are cancelled (499), never a model failure', () => {
  it('20 requests with a 300 ms deadline against a primary answering in ~0.9 s: 504s for them, no health change, attempts labelled cancelled', async () => {
    const g = await start({}, { timeouts: { firstTokenMs: 5000, idleMs: 5000 } }, 1);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        postJson(`${g.baseURL}/chat/completions`, hello, { 'x-rotor-deadline-ms': '300' }),
      ),
    );
    for (const r of responses) expect(r.status).toBe(504);
    for (const m of g.gateway.rotor.engine.metrics().models) {
      expect(m).toMatchObject({ consecutiveFailures: 0, breakerState: 'closed', cooldownUntilMs: null });
    }
    const samples = parsePrometheus(await (await fetch(`${g.gateway.url}/metrics`)).text());
    const cancelled = samples.find(
      (s) => s.name === 'rotor_upstream_attempts_total' && s.labels.outcome === 'cancelled',
    );
    expect(cancelled?.value).toBe(20);
  });

  it('a client that disconnects is recorded as 499, not 400', async () => {
    const g = await start({}, { timeouts: { firstTokenMs: 5000, idleMs: 5000 } }, 1);
    const ac = new AbortController();
    const pending = fetch(`${g.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(hello),
      signal: ac.signal,
    }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 150));
    ac.abort();
    await pending;
    let requests: ReturnType<typeof parsePrometheus> = [];
    for (let i = 0; i < 50; i++) {
      const samples = parsePrometheus(await (await fetch(`${g.gateway.url}/metrics`)).text());
      requests = samples.filter((s) => s.name === 'rotor_requests_total');
      if (requests.length > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(requests.map((s) => s.labels)).toEqual([
      { outcome: 'cancelled', status: '499', route: 'chat_completions' },
    ]);
    expect(g.gateway.rotor.engine.metrics().models[0]).toMatchObject({
      consecutiveFailures: 0,
      cancelledRequests: 1,
    });
  });
});

/** Wait for the gateway's first reconciliation, which teaches it every model's limits. */
async function reconciled(g: GatewayFixture): Promise<void> {
  for (let i = 0; i < 200 && !g.gateway.reconciler?.last(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(g.gateway.reconciler?.last()).toBeTruthy();
}

describe('max_tokens is a ceiling', () => {
  it('max_tokens: 1000000000000 is served by the first available model in one attempt', async () => {
    const g = await start({});
    await reconciled(g);
    const res = await postJson(`${g.baseURL}/chat/completions`, { ...hello, max_tokens: 1_000_000_000_000 });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-rotor-model')).toBe(A);
    expect(res.headers.get('x-rotor-attempts')).toBe('1');
    expect(g.sim.attempts()).toHaveLength(1);
  });

  it('limits not known yet: the model’s own context-length answer teaches them, and the same model answers, clamped', async () => {
    const g = await start({}, { reconcile: { enabled: false } });
    const res = await postJson(`${g.baseURL}/chat/completions`, { ...hello, max_tokens: 1_000_000_000_000 });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-rotor-model')).toBe(A);
    expect(g.sim.attempts().map((a) => [a.model, a.outcome])).toEqual([
      [A, 'context_length'],
      [A, 'ok'],
    ]);
    // Learned: the next request is clamped before it is sent.
    await postJson(`${g.baseURL}/chat/completions`, { ...hello, max_tokens: 1_000_000_000_000 });
    expect(g.sim.attempts()).toHaveLength(3);
    expect(g.gateway.rotor.engine.metrics().models[0]).toMatchObject({
      consecutiveFailures: 0,
      failedRequests: 1,
    });
  });

  it('an agent’s habitual 64,000 is served (clamped for the model), streaming, in one attempt', async () => {
    const g = await start({});
    await reconciled(g);
    const res = await postJson(`${g.baseURL}/chat/completions`, {
      ...hello,
      max_tokens: 64_000,
      stream: true,
    });
    expect(res.status).toBe(200);
    expect((await rawEvents(res)).at(-1)).toBe('[DONE]');
    expect(g.sim.attempts()).toHaveLength(1);
  });

  it('a prompt that fits no model’s context: 400 context_length_exceeded with zero upstream attempts', async () => {
    const g = await start({}, { server: { bodyLimitBytes: 4_000_000 } });
    await reconciled(g);
    // ~300,000 tokens: more than the largest context of the rotation (204,800).
    const huge = 'x'.repeat(4 * 300_000);
    const res = await postJson(`${g.baseURL}/chat/completions`, {
      model: 'auto',
      messages: [{ role: 'user', content: huge }],
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('context_length_exceeded');
    expect(g.sim.attempts()).toHaveLength(0);
  });
});
