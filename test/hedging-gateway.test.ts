/**
 * Hedging and continuation over real sockets: the gateway against the simulator, read by the
 * official `openai` SDK and as raw SSE.
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
const hello = { model: 'auto', messages: [{ role: 'user' as const, content: 'tell me something' }] };

let f: GatewayFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

async function start(scenario: ScenarioInput, overrides: Record<string, unknown> = {}) {
  f = await gatewayWithSimulator({
    scenario: { account: { freeLimits: false }, ...scenario },
    overrides: {
      engine: { quota: { freeRequestsPerMinute: 0 } },
      rotation: { order: [A, B] },
      timeouts: { firstTokenMs: 30_000, idleMs: 1000 },
      ...overrides,
    },
    latencyScale: 0,
  });
  return f;
}

function textOf(chunks: Array<{ choices: Array<{ delta?: { content?: string } }> }>): string {
  return chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
}

describe('a 20 s first token is hedged', () => {
  for (const stream of [false, true]) {
    it(`${stream ? 'streaming' : 'plain'}: the fallback answers after the hedge delay (2 s), not 20 s`, async () => {
      // A 2 s delay for every model (floor = cap), so the test does not depend on learned figures.
      const g = await start({}, { hedging: { minDelayMs: 2000, maxDelayMs: 2000 } });
      const client = new OpenAI({ baseURL: g.baseURL, apiKey: 'unused', maxRetries: 0 });
      // Steady traffic first: nine attempts in the window allow one hedge at 10 %.
      for (let i = 0; i < 9; i++) await client.chat.completions.create({ ...hello });
      g.sim.addFault({ model: A, kind: 'slow_first_token', delayMs: 20_000 });
      const t0 = performance.now();
      let text = '';
      let model = '';
      if (stream) {
        const s = await client.chat.completions.create({ ...hello, stream: true });
        for await (const chunk of s) {
          text += chunk.choices[0]?.delta?.content ?? '';
          model = chunk.model;
        }
      } else {
        const answer = await client.chat.completions.create({ ...hello });
        text = answer.choices[0]!.message.content ?? '';
        model = answer.model;
      }
      const elapsedMs = performance.now() - t0;
      expect(model).toBe(B);
      expect(text.length).toBeGreaterThan(0);
      // About the delay plus the fallback's (instant) latency; far from 20 s.
      expect(elapsedMs).toBeGreaterThanOrEqual(1990);
      expect(elapsedMs).toBeLessThan(6000);
      const status = (await (await fetch(`${g.gateway.url}/v1/rotor/status`)).json()) as {
        hedging: { started: number; won: number; delaysMs: Record<string, number> };
        models: Array<{
          model: string;
          consecutiveFailures: number;
          failedRequests: number;
          hedgeDelayMs: number;
        }>;
      };
      expect(status.hedging).toMatchObject({ started: 1, won: 1 });
      expect(status.hedging.delaysMs[A]).toBe(2000);
      const a = status.models.find((m) => m.model === A)!;
      expect(a).toMatchObject({ consecutiveFailures: 0, failedRequests: 0, hedgeDelayMs: 2000 });
      const metrics = parsePrometheus(await (await fetch(`${g.gateway.url}/metrics`)).text());
      expect(metrics.find((s) => s.name === 'rotor_hedges_total' && s.labels.result === 'won')?.value).toBe(
        1,
      );
      expect(
        metrics.find((s) => s.name === 'rotor_model_hedge_delay_seconds' && s.labels.model === A)?.value,
      ).toBe(2);
    });
  }
});

describe('a stream cut after content', () => {
  const cut: ScenarioInput = {
    faults: [{ model: A, kind: 'stream_cut', afterChunks: 3, abrupt: true, maxHits: 1 }],
  };

  it('continueAfterCut on: one coherent stream — the uncut answer’s text, one id, [DONE]', async () => {
    const g = await start(cut, { streaming: { continueAfterCut: true }, hedging: { enabled: false } });
    const res = await postJson(`${g.baseURL}/chat/completions`, { ...hello, stream: true });
    const events = await rawEvents(res);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.some((c) => c.error !== undefined)).toBe(false);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(
      chunks.filter((c) => c.choices[0]?.delta?.role === 'assistant' && !c.choices[0]?.delta?.content),
    ).toHaveLength(1);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('stop');
    // The same prompt answered whole (the fault was spent): the continuation completed it exactly.
    const whole = (await (await postJson(`${g.baseURL}/chat/completions`, { ...hello })).json()) as {
      choices: Array<{ message: { content: string } }>;
    };
    expect(textOf(chunks)).toBe(whole.choices[0]!.message.content);
    // Two models in one answer: the continuation was sent to B with the partial text as prefill.
    const toB = g.sim.attempts().filter((x) => x.model === B);
    expect(toB.length).toBeGreaterThanOrEqual(1);
  });

  it('continueAfterCut off (default): the in-band error after the partial text, no [DONE]', async () => {
    const g = await start(cut, { hedging: { enabled: false } });
    const res = await postJson(`${g.baseURL}/chat/completions`, { ...hello, stream: true });
    const events = await rawEvents(res);
    expect(events).not.toContain('[DONE]');
    const chunks = events.map((e) => JSON.parse(e));
    expect(chunks.at(-1).error).toBeDefined();
    expect(chunks.at(-1).choices[0].finish_reason).toBe('error');
    expect(g.sim.attempts().filter((x) => x.model === B)).toHaveLength(0);
  });
});
