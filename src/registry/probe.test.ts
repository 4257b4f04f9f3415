/**
 * The probe engine against the OpenRouter simulator over real sockets: classification from real
 * error bodies, pacing under the account limit (virtual time shared with the simulator), and
 * stopping — on an account-wide refusal and on abort — with the samples so far kept.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../engine/clock.js';
import { type FaultInput, NO_SYSTEM_PROMPT_MODEL_ID, type Simulator, startSimulator } from '../sim/index.js';
import type { UpstreamConfig } from '../upstream/upstream-config.js';
import { type ProbeEvent, probeModels } from './probe.js';

const LLAMA_8B = 'meta-llama/llama-3.3-8b-instruct:free';
const DOLPHIN = 'cognitivecomputations/dolphin-mistral-24b-venice-edition:free'; // no tools in the sim
const MAVERICK = 'meta-llama/llama-4-maverick:free';
const MINIMAX = 'minimax/minimax-m2:free';
const DEEPSEEK = 'deepseek/deepseek-chat-v3.1:free';

const sims: Simulator[] = [];
afterEach(async () => {
  for (const sim of sims.splice(0)) await sim.close();
});

async function simulator(faults: FaultInput[] = [], clock?: ManualClock): Promise<Simulator> {
  const sim = await startSimulator({
    latencyScale: 0,
    seed: 3,
    ...(clock ? { clock } : {}),
    scenario: { faults },
  });
  sims.push(sim);
  return sim;
}

function upstreamOf(sim: Simulator): UpstreamConfig {
  return { id: 'openrouter', baseUrl: sim.url, apiKey: 'sk-probe-test' };
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('probeModels: classification', () => {
  it('tells verified, rate-limited, incompatible and retired models apart, with reasons', async () => {
    const sim = await simulator([
      { model: MAVERICK, kind: 'upstream_rate_limit', retryAfterSeconds: 17 },
      { model: DEEPSEEK, kind: 'model_gone' },
    ]);
    const run = await probeModels({
      models: [LLAMA_8B, MAVERICK, NO_SYSTEM_PROMPT_MODEL_ID, DEEPSEEK],
      upstream: upstreamOf(sim),
      samples: 3,
    });
    const [llama, maverick, gemma, deepseek] = run.results;

    expect(llama).toMatchObject({
      verdict: 'verified',
      reason: null,
      attempts: 6,
      successes: 6,
      successRate: 1,
    });
    expect(llama!.p50Ms).toEqual(expect.any(Number));
    expect(llama!.p95Ms).toBeGreaterThanOrEqual(llama!.p50Ms!);
    expect(llama!.ttftP50Ms).toEqual(expect.any(Number));
    expect(llama!.capabilities).toEqual({ system_prompt: true });

    expect(maverick).toMatchObject({ verdict: 'rate_limited', successes: 0, failures: { rate_limit: 2 } });
    expect(maverick!.reason).toContain('temporarily rate-limited upstream');

    expect(gemma).toMatchObject({ verdict: 'incompatible', capabilities: { system_prompt: false } });
    expect(gemma!.reason).toBe(
      'Provider returned error: Developer instruction is not enabled for models/gemma-3n-e4b-it',
    );

    expect(deepseek).toMatchObject({ verdict: 'retired', attempts: 1 });
    expect(deepseek!.reason).toBe(`No endpoints found for ${DEEPSEEK}.`);

    // A settled model is not asked again: two 429s in a row, one 404, one refused system prompt.
    const count = (model: string) => sim.attempts().filter((a) => a.model === model).length;
    expect(count(MAVERICK)).toBe(2);
    expect(count(DEEPSEEK)).toBe(1);
    expect(count(NO_SYSTEM_PROMPT_MODEL_ID)).toBe(2);
    expect(run).toMatchObject({ planned: 24, sent: 11, stopped: null });
  });

  it('records tool support from a tool-call request, without counting a refusal as a failure', async () => {
    const sim = await simulator();
    const run = await probeModels({
      models: [LLAMA_8B, DOLPHIN],
      upstream: upstreamOf(sim),
      samples: 2,
      tools: true,
    });
    expect(run.results[0]).toMatchObject({ verdict: 'verified', capabilities: { tools: true }, attempts: 6 });
    expect(run.results[1]).toMatchObject({
      verdict: 'verified',
      capabilities: { system_prompt: true, tools: false },
      attempts: 4,
      successRate: 1,
    });
    // After the first refusal the tool request is not sent again.
    expect(
      sim.attempts().filter((a) => a.model === DOLPHIN && a.outcome === 'tools_unsupported'),
    ).toHaveLength(1);
    expect(run.samples.find((s) => s.model === LLAMA_8B && s.check === 'tools')?.toolCalled).toBe(true);
  });
});

describe('probeModels: pacing', () => {
  it('holds the 21st request until the rate window allows it, so the account limit is never hit', async () => {
    const clock = new ManualClock(Date.UTC(2026, 7, 20, 12, 0, 0));
    const sim = await simulator([], clock);
    const events: ProbeEvent[] = [];
    const running = probeModels({
      models: [LLAMA_8B, DOLPHIN, MINIMAX, MAVERICK],
      upstream: upstreamOf(sim),
      samples: 3,
      clock,
      onEvent: (event) => events.push(event),
    });
    await until(() => clock.pendingSleeps > 0);
    expect(sim.attempts()).toHaveLength(20);
    const waiting = events.find((event) => event.type === 'waiting');
    expect(waiting).toMatchObject({ untilMs: clock.now() + 61_000, progress: { done: 20, total: 24 } });
    expect(waiting!.progress.etaMs).toBeGreaterThanOrEqual(61_000);

    await clock.advance(60_999);
    expect(sim.attempts()).toHaveLength(20);
    await clock.advance(1);
    const run = await running;

    expect(sim.attempts()).toHaveLength(24);
    expect(sim.attempts().every((a) => a.outcome === 'ok')).toBe(true);
    expect(sim.attempts()[20]!.timeMs).toBe(61_000);
    expect(run.stopped).toBeNull();
    expect(run.results.map((r) => r.verdict)).toEqual(['verified', 'verified', 'verified', 'verified']);
  });
});

describe('probeModels: stopping', () => {
  it('stops at an account-wide 429 with the quota and its reset, keeping earlier samples', async () => {
    const sim = await simulator();
    sim.setAccount({ dayUsed: 47 });
    const run = await probeModels({ models: [LLAMA_8B, MINIMAX], upstream: upstreamOf(sim), samples: 3 });
    expect(run.stopped).toMatchObject({ reason: 'account_quota' });
    expect(run.stopped!.message).toContain('free-models-per-day');
    const midnight = Math.floor(Date.now() / 86_400_000) * 86_400_000 + 86_400_000;
    expect(run.stopped!.resetAtMs).toBe(midnight);
    expect(run.samples).toHaveLength(3);
    expect(run.results[0]).toMatchObject({ verdict: 'verified', attempts: 3 });
    expect(run.results[1]).toMatchObject({ verdict: 'untested', attempts: 0 });
    // The refused request is not a sample of the model, and nothing is sent after it.
    expect(sim.attempts()).toHaveLength(4);
  });

  it('aborts the request in flight and keeps the samples taken before it', async () => {
    const sim = await simulator([{ model: MINIMAX, kind: 'no_response' }]);
    const controller = new AbortController();
    const started = Date.now();
    const run = await probeModels({
      models: [LLAMA_8B, MINIMAX, DOLPHIN],
      upstream: upstreamOf(sim),
      samples: 1,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'sending' && event.model === MINIMAX) setTimeout(() => controller.abort(), 30);
      },
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(run.stopped).toMatchObject({ reason: 'aborted' });
    expect(run.sent).toBe(3);
    expect(run.samples.map((s) => `${s.model} ${s.check}`)).toEqual([
      `${LLAMA_8B} plain`,
      `${LLAMA_8B} system`,
    ]);
    expect(run.results.map((r) => r.verdict)).toEqual(['verified', 'untested', 'untested']);
  });
});
