import { afterEach, describe, expect, it } from 'vitest';
import { ask, chat, chatStream, openChat, StreamReader } from '../../test/fixtures-sim/sim-helpers.js';
import { type Clock, ManualClock } from '../engine/clock.js';
import { defaultModels } from './sim-models.js';
import { type Simulator, startSimulator } from './simulator.js';

const SLOW = 'test/slow:free';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function answeredAfter(clock: ManualClock, s: Simulator, body: Record<string, unknown>, ms: number) {
  let answered = false;
  const reply = chat(s.url, body).then((r) => {
    answered = true;
    return r;
  });
  while (s.attempts().length === 0) await new Promise((resolve) => setImmediate(resolve));
  await clock.advance(ms - 1);
  await new Promise((resolve) => setTimeout(resolve, 10));
  const early = answered;
  await clock.advance(1);
  await reply;
  return { early, late: answered };
}

describe('latency', () => {
  it('derives default time to first token from the seed mean latencies', () => {
    const [primary, second] = defaultModels();
    expect(primary).toMatchObject({ ttftMs: 480, tokensPerSecond: 150 }); // 0.88 s = 480 ms + 60 tokens at 150/s
    expect(second!.ttftMs + (60 / second!.tokensPerSecond) * 1000).toBeCloseTo(1310);
    for (const model of defaultModels()) expect(model.ttftMs).toBeGreaterThan(0);
  });

  it('answers a non-streaming request after ttft plus generation, scaled', async () => {
    const clock = new ManualClock();
    sim = await startSimulator({
      clock,
      latencyScale: 0.5,
      completionTokens: 3,
      scenario: { models: [{ id: SLOW, ttftMs: 1000, tokensPerSecond: 10 }] },
    });
    // (1000 ms + 2 gaps of 100 ms) × 0.5
    expect(await answeredAfter(clock, sim, ask(SLOW), 600)).toEqual({ early: false, late: true });
  });

  it('paces a stream: first token after ttft, then one token per 1/tokensPerSecond', async () => {
    const clock = new ManualClock();
    sim = await startSimulator({
      clock,
      latencyScale: 1,
      completionTokens: 3,
      scenario: { models: [{ id: SLOW, ttftMs: 1000, tokensPerSecond: 10 }] },
    });
    const reader = new StreamReader(await openChat(sim.url, ask(SLOW, 'Hi', { stream: true })));
    await reader.waitForEvents(1);
    await clock.advance(999);
    expect(await reader.receivesWithin(10)).toBe(false);
    await clock.advance(1);
    // At ttft the role-only opening chunk and the first token arrive together.
    expect(await reader.waitForEvents(3)).toHaveLength(3);
    await clock.advance(99);
    expect(await reader.receivesWithin(10)).toBe(false);
    await clock.advance(1);
    expect(await reader.waitForEvents(4)).toHaveLength(4);
    await clock.advance(100);
    const events = await reader.rest();
    expect(events.at(-1)).toEqual({ type: 'data', raw: '[DONE]' });
  });

  it('never sleeps at latency scale 0', async () => {
    const clock: Clock = {
      now: () => Date.UTC(2026, 0, 1),
      sleep: () => Promise.reject(new Error('the fast path must not wait')),
    };
    sim = await startSimulator({ clock, latencyScale: 0, scenario: { account: { freeLimits: false } } });
    const model = defaultModels().at(-2)!.id; // 15.7 s mean latency at scale 1
    expect((await chat(sim.url, ask(model))).status).toBe(200);
    const streamed = await chatStream(sim.url, ask(model));
    expect(streamed.events.at(-1)).toEqual({ type: 'data', raw: '[DONE]' });
  });
});
