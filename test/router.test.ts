/**
 * The request loop against the OpenRouter simulator over real sockets: every fault ends in the
 * right outcome with the right number of upstream attempts (read from the simulator's log).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../src/engine/clock.js';
import { seededRandom } from '../src/engine/random.js';
import { SEED_ROTATION_ORDER } from '../src/engine/seed-defaults.js';
import {
  CancelledError,
  InsufficientCreditsError,
  NoModelAvailableError,
  PermissionDeniedError,
  RateLimitError,
  toWireError,
} from '../src/errors.js';
import { createRotor, type Rotor } from '../src/router/create-rotor.js';
import type { RotorOptionsInput } from '../src/router/rotor-options.js';
import type { FaultInput, ScenarioInput, Simulator } from '../src/sim/index.js';
import { startSimulator } from '../src/sim/index.js';
import { drive } from './virtual-time.js';

const [A, B] = SEED_ROTATION_ORDER as [string, string];
const hello = { model: 'auto', messages: [{ role: 'user', content: 'hello' }] };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(
  opts: {
    faults?: FaultInput[];
    scenario?: ScenarioInput;
    rotor?: Partial<RotorOptionsInput>;
    clock?: ManualClock;
  } = {},
): Promise<{ sim: Simulator; rotor: Rotor; clock: ManualClock | undefined }> {
  const clock = opts.clock;
  const sim = await startSimulator({
    latencyScale: 0,
    seed: 7,
    ...(clock ? { clock } : {}),
    scenario: { ...opts.scenario, faults: opts.faults ?? [] },
  });
  const rotor = createRotor(
    {
      upstreams: [{ id: 'openrouter', baseUrl: sim.url, apiKey: 'sk-test' }],
      rotation: [...SEED_ROTATION_ORDER],
      timeouts: { connectMs: 1000, firstTokenMs: 300, idleMs: 300 },
      sameModelRetryDelayMs: 1,
      ...opts.rotor,
    },
    { clock: clock ?? systemClock, random: seededRandom(1) },
  );
  cleanups.push(async () => {
    await rotor.close();
    await sim.close();
  });
  return { sim, rotor, clock };
}

function modelsTried(sim: Simulator): string[] {
  return sim.attempts().map((a) => a.model);
}

describe('rate limits', () => {
  it('a model 429 rotates to the next model at once and cools the primary down', async () => {
    const { sim, rotor } = await setup({
      faults: [{ model: A, kind: 'upstream_rate_limit', retryAfterSeconds: 17 }],
    });
    const answer = await rotor.chat(hello);
    expect(answer.model).toBe(B);
    expect(modelsTried(sim)).toEqual([A, B]);
    expect(answer.rotor.attempts.map((a) => a.outcome)).toEqual(['rate_limit:model', 'success']);
    const primary = rotor.engine.metrics().models.find((m) => m.model === A)!;
    expect(primary.cooldownReason).toBe('rate_limited');
    expect(primary.cooldownUntilMs! - Date.now()).toBeGreaterThan(15_000);
    // The next request goes straight to the fallback: no wasted attempt.
    sim.reset();
    expect((await rotor.chat(hello)).model).toBe(B);
    expect(modelsTried(sim)).toEqual([B]);
  });

  it('exponential backoff: consecutive 429s without a hint cool the primary for 1 s, then 2 s, then 4 s', async () => {
    const clock = new ManualClock(Date.UTC(2026, 7, 14, 12));
    const { rotor } = await setup({
      clock,
      faults: [{ model: A, kind: 'rate_limited' }],
      rotor: { engine: { retry: { jitter: false }, slowStart: { enabled: false } } },
    });
    const cooldowns: number[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await drive(clock, rotor.chat(hello));
      expect(answer.model).toBe(B);
      const primary = rotor.engine.metrics().models.find((m) => m.model === A)!;
      cooldowns.push(primary.cooldownUntilMs! - clock.now());
      await clock.advanceTo(primary.cooldownUntilMs!);
    }
    expect(cooldowns).toEqual([1000, 2000, 4000]);
  });

  it('recovery after a rate limit: traffic returns to the primary when its cooldown ends (a reset to primary)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 7, 14, 12));
    const { sim, rotor } = await setup({
      clock,
      faults: [{ model: A, kind: 'upstream_rate_limit', retryAfterSeconds: 30, maxHits: 1 }],
    });
    expect((await drive(clock, rotor.chat(hello))).model).toBe(B);
    await clock.advance(29_999);
    expect((await drive(clock, rotor.chat(hello))).model).toBe(B);
    await clock.advance(1);
    expect((await drive(clock, rotor.chat(hello))).model).toBe(A);
    expect(modelsTried(sim)).toEqual([A, B, B, A]);
    const system = rotor.engine.metrics().system;
    expect(system.resetsToPrimary).toBe(1);
    expect(system.currentModel).toBe(A);
  });

  it('all 12 default models in rotation: the first 11 fail in turn, the 12th answers — within the attempt cap', async () => {
    const faults = SEED_ROTATION_ORDER.slice(0, 11).map((model) => ({
      model,
      kind: 'rate_limited' as const,
    }));
    const { sim, rotor } = await setup({ faults });
    // The first request stops at the seed's cap (maxRetries 5 → 6 attempts), and since every
    // failure was a rate limit it says so — 429 with Retry-After, not a 502 …
    const first = await rotor.chat(hello).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(RateLimitError);
    expect((first as RateLimitError).attempts).toHaveLength(6);
    expect((first as RateLimitError).code).toBe('rate_limit_exceeded');
    expect(toWireError(first).headers['retry-after']).toBe('1');
    // … the second walks on from where rotation stands, and the 12th model answers.
    const second = await rotor.chat(hello);
    expect(second.model).toBe(SEED_ROTATION_ORDER[11]);
    expect(modelsTried(sim)).toEqual([...SEED_ROTATION_ORDER]);
  });

  it('account daily quota spent: exactly one upstream attempt, then an error with the reset time, not a walk', async () => {
    const clock = new ManualClock(Date.UTC(2026, 7, 14, 12));
    const { sim, rotor } = await setup({ clock, scenario: { account: { perDay: 2 } } });
    await drive(clock, rotor.chat(hello));
    await drive(clock, rotor.chat(hello));
    const err = await drive(clock, rotor.chat(hello)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    const e = err as RateLimitError;
    expect(e.retryAfterMs).toBe(Date.UTC(2026, 7, 15) - clock.now());
    expect(e.message).toContain('2026-08-15T00:00:00.000Z');
    expect(sim.attempts().map((a) => a.outcome)).toEqual(['ok', 'ok', 'account_day_limit']);
    // Later requests fail fast without touching the upstream at all.
    const again = await drive(clock, rotor.chat(hello)).catch((x: unknown) => x);
    expect(again).toBeInstanceOf(RateLimitError);
    expect(sim.attempts()).toHaveLength(3);
  });

  it('the 21st request in a minute queues for the next minute instead of collecting a 429', async () => {
    const clock = new ManualClock(Date.UTC(2026, 7, 14, 12, 0, 30));
    const { sim, rotor } = await setup({ clock });
    for (let i = 0; i < 20; i++) await drive(clock, rotor.chat(hello));
    const before = clock.now();
    const answer = await drive(clock, rotor.chat(hello));
    expect(answer.rotor.waitedMs).toBe(Date.UTC(2026, 7, 14, 12, 1) - before);
    expect(sim.attempts()).toHaveLength(21);
    expect(sim.attempts().every((a) => a.outcome === 'ok')).toBe(true);
  });
});

describe('never a silent total outage', () => {
  const coolAll = (rotor: Rotor, ms: number) => {
    for (const model of rotor.engine.rotationOrder) {
      rotor.engine.recordFailure(model, {
        kind: 'rate_limit',
        scope: 'model',
        message: 't',
        retryAfterMs: ms,
      });
    }
  };

  it('waits for the earliest recovery when it fits the deadline, then answers', async () => {
    const clock = new ManualClock(Date.UTC(2026, 7, 14, 12));
    const { sim, rotor } = await setup({ clock, rotor: { rotation: [A, B] } });
    coolAll(rotor, 20_000);
    const before = clock.now();
    const answer = await drive(clock, rotor.chat(hello));
    expect(answer.rotor.waitedMs).toBe(20_000);
    expect(clock.now() - before).toBe(20_000);
    expect(sim.attempts()).toHaveLength(1);
  });

  it('every model rate-limited beyond the deadline: a 429 at once with Retry-After, x-should-retry: false, and why each model was skipped', async () => {
    const clock = new ManualClock(Date.UTC(2026, 7, 14, 12));
    const { sim, rotor } = await setup({ clock, rotor: { rotation: [A, B], deadlineMs: 10_000 } });
    coolAll(rotor, 20_000);
    const err = await drive(clock, rotor.chat(hello)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    const e = err as RateLimitError;
    expect(e.code).toBe('rate_limit_exceeded');
    expect(e.retryAfterMs).toBe(20_000);
    expect(e.skipped.map((s) => [s.model, s.reason])).toEqual([
      [A, 'cooling_down'],
      [B, 'cooling_down'],
    ]);
    expect(toWireError(e).headers).toEqual({ 'retry-after': '20', 'x-should-retry': 'false' });
    expect(sim.attempts()).toHaveLength(0);
  });

  it('every model cooling after failures, beyond the deadline: a 503 with Retry-After', async () => {
    const clock = new ManualClock(Date.UTC(2026, 7, 14, 12));
    const { sim, rotor } = await setup({ clock, rotor: { rotation: [A, B], deadlineMs: 30_000 } });
    for (const model of [A, B]) rotor.engine.coolDown(model, 40_000, 'consecutive_failures', 'test');
    const err = await drive(clock, rotor.chat(hello)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoModelAvailableError);
    expect(toWireError(err).status).toBe(503);
    expect(toWireError(err).headers).toEqual({ 'retry-after': '40', 'x-should-retry': 'false' });
    expect(sim.attempts()).toHaveLength(0);
  });

  it('beyond maxQueueWaitMs (though inside the deadline): the same clear 429, and a client may retry (inside its deadline)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 7, 14, 12));
    const { rotor } = await setup({ clock, rotor: { rotation: [A, B], maxQueueWaitMs: 5000 } });
    coolAll(rotor, 20_000);
    const err = await drive(clock, rotor.chat(hello)).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(toWireError(err).headers).toEqual({ 'retry-after': '20' });
  });
});

describe('every simulator fault on the primary', () => {
  const cases: Array<{
    name: string;
    fault: FaultInput;
    tried: string[];
    answeredBy?: string;
    error?: new (...args: never[]) => Error;
  }> = [
    {
      name: '503 (retried once on the same model)',
      fault: { model: A, kind: 'server_error', status: 503 },
      tried: [A, A, B],
      answeredBy: B,
    },
    {
      name: 'a single 502 (the same-model retry answers)',
      fault: { model: A, kind: 'server_error', maxHits: 1 },
      tried: [A, A],
      answeredBy: A,
    },
    { name: '500', fault: { model: A, kind: 'server_error', status: 500 }, tried: [A, A, B], answeredBy: B },
    {
      name: '404 No endpoints found (retired)',
      fault: { model: A, kind: 'model_gone' },
      tried: [A, B],
      answeredBy: B,
    },
    {
      name: '403 moderation (the request is the problem)',
      fault: { model: A, kind: 'moderation' },
      tried: [A],
      error: PermissionDeniedError,
    },
    {
      name: '402 insufficient credits',
      fault: { model: A, kind: 'insufficient_credits' },
      tried: [A],
      error: InsufficientCreditsError,
    },
    { name: 'bare 429', fault: { model: A, kind: 'rate_limited' }, tried: [A, B], answeredBy: B },
    { name: 'model cap 429', fault: { model: A, kind: 'model_cap' }, tried: [A, B], answeredBy: B },
    {
      name: 'connection reset before headers',
      fault: { model: A, kind: 'connection_reset' },
      tried: [A, A, B],
      answeredBy: B,
    },
    {
      name: 'no response at all (silent: failed over, not retried)',
      fault: { model: A, kind: 'no_response' },
      tried: [A, B],
      answeredBy: B,
    },
    {
      name: 'slow first token beyond the limit',
      fault: { model: A, kind: 'slow_first_token', delayMs: 5000 },
      tried: [A, B],
      answeredBy: B,
    },
    {
      name: 'stream cut mid-answer',
      fault: { model: A, kind: 'stream_cut', afterChunks: 2 },
      tried: [A, A, B],
      answeredBy: B,
    },
    {
      name: 'stream stall',
      fault: { model: A, kind: 'stream_stall', afterChunks: 2 },
      tried: [A, A, B],
      answeredBy: B,
    },
    {
      name: 'malformed SSE chunk',
      fault: { model: A, kind: 'malformed_chunk' },
      tried: [A, A, B],
      answeredBy: B,
    },
    // A stream with its finish_reason that closes without [DONE] is complete: the primary answers.
    { name: 'missing [DONE]', fault: { model: A, kind: 'missing_done' }, tried: [A], answeredBy: A },
    {
      name: 'error inside a 200 (429)',
      fault: { model: A, kind: 'error_in_200', code: 429 },
      tried: [A, B],
      answeredBy: B,
    },
    {
      name: 'mid-stream error chunk, numeric code 429',
      fault: { model: A, kind: 'midstream_error', code: 429 },
      tried: [A, B],
      answeredBy: B,
    },
    {
      name: 'mid-stream error chunk, string code',
      fault: { model: A, kind: 'midstream_error', code: 'server_error', message: 'Internal server error' },
      tried: [A, A, B],
      answeredBy: B,
    },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.answeredBy ? `answered by ${c.answeredBy === A ? 'the primary' : 'the fallback'}` : c.error?.name} after ${c.tried.length} attempt(s)`, async () => {
      const { sim, rotor } = await setup({ faults: [c.fault] });
      const result = await rotor.chat(hello).catch((e: unknown) => e);
      if (c.answeredBy) {
        expect(result).not.toBeInstanceOf(Error);
        expect((result as { model: string }).model).toBe(c.answeredBy);
      } else {
        expect(result).toBeInstanceOf(c.error!);
      }
      expect(modelsTried(sim)).toEqual(c.tried);
    });
  }

  it('a prompt too long for the primary moves to the next model without penalty', async () => {
    const { sim, rotor } = await setup({ scenario: { models: [{ id: A, contextLength: 64 }] } });
    const long = { model: 'auto', messages: [{ role: 'user', content: 'word '.repeat(400) }] };
    const answer = await rotor.chat(long);
    expect(answer.model).toBe(B);
    expect(sim.attempts().map((a) => a.outcome)).toEqual(['context_length', 'ok']);
    expect(rotor.engine.metrics().models.find((m) => m.model === A)?.consecutiveFailures).toBe(0);
  });

  it('a model without system-prompt support is learned after one refusal and skipped from then on', async () => {
    const gemma = 'google/gemma-3n-e4b-it:free';
    const { sim, rotor } = await setup({ rotor: { rotation: [gemma, A] } });
    const withSystem = {
      model: 'auto',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi' },
      ],
    };
    expect((await rotor.chat(withSystem)).model).toBe(A);
    expect((await rotor.chat(withSystem)).model).toBe(A);
    expect(modelsTried(sim)).toEqual([gemma, A, A]);
    // Without a system prompt, gemma still serves.
    expect((await rotor.chat(hello)).model).toBe(gemma);
  });
});

describe('streaming', () => {
  it('fails over freely before the first content chunk', async () => {
    const { sim, rotor } = await setup({ faults: [{ model: A, kind: 'upstream_rate_limit' }] });
    const stream = rotor.chatStream({ ...hello, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(stream.run.model).toBe(B);
    expect(modelsTried(sim)).toEqual([A, B]);
  });

  it('a stream cut after content was handed out ends with an in-band error, never a "complete" answer', async () => {
    const { sim, rotor } = await setup({ faults: [{ model: A, kind: 'stream_cut', afterChunks: 2 }] });
    const chunks = [];
    for await (const chunk of rotor.chatStream({ ...hello, stream: true })) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.error).toBeDefined();
    expect(last.choices[0]?.finish_reason).toBe('error');
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'stop')).toBe(false);
    expect(modelsTried(sim)).toEqual([A]);
  });

  it('a tool call streamed in pieces is merged exactly for a non-streaming caller', async () => {
    const { rotor } = await setup();
    const answer = await rotor.chat({
      model: 'auto',
      messages: [{ role: 'user', content: 'use the get_weather tool for Paris' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          },
        },
      ],
    });
    const call = answer.choices[0]?.message.tool_calls?.[0];
    expect(answer.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.function.name).toBe('get_weather');
    expect(JSON.parse(call!.function.arguments)).toHaveProperty('city');
  });
});

describe('cancellation', () => {
  it('a caller abort mid-request stops the upstream call; no attempts follow', async () => {
    const { sim, rotor } = await setup({
      faults: [{ model: A, kind: 'no_response' }],
      rotor: { timeouts: { connectMs: 1000, firstTokenMs: 5000, idleMs: 5000 } },
    });
    const ac = new AbortController();
    const pending = rotor.chat(hello, { signal: ac.signal }).catch((e: unknown) => e);
    await expect.poll(() => sim.attempts().length).toBe(1);
    ac.abort();
    expect(await pending).toBeInstanceOf(CancelledError);
    await new Promise((r) => setTimeout(r, 50));
    expect(sim.attempts()).toHaveLength(1);
    expect(rotor.engine.metrics().models.find((m) => m.model === A)?.inFlight).toBe(0);
  });

  it('a caller abort mid-wait ends the wait at once; zero upstream calls', async () => {
    const clock = new ManualClock(Date.UTC(2026, 7, 14, 12));
    const { sim, rotor } = await setup({ clock, rotor: { rotation: [A, B] } });
    for (const model of [A, B]) {
      rotor.engine.recordFailure(model, {
        kind: 'rate_limit',
        scope: 'model',
        message: 't',
        retryAfterMs: 30_000,
      });
    }
    const ac = new AbortController();
    const pending = rotor.chat(hello, { signal: ac.signal }).catch((e: unknown) => e);
    await expect.poll(() => clock.pendingSleeps).toBe(1);
    ac.abort();
    expect(await pending).toBeInstanceOf(CancelledError);
    expect(clock.pendingSleeps).toBe(0);
    await clock.advance(60_000);
    expect(sim.attempts()).toHaveLength(0);
  });
});

describe.skipIf(!process.env.OPENROUTER_API_KEY)('live OpenRouter (OPENROUTER_API_KEY set)', () => {
  it('answers a tiny prompt through the real API', async () => {
    const rotor = createRotor({
      upstreams: [
        {
          id: 'openrouter',
          baseUrl: process.env.OPENROUTER_BASE_URL ?? 'https://openrouter.ai/api/v1',
          apiKey: process.env.OPENROUTER_API_KEY,
        },
      ],
      rotation: ['openrouter/free'],
      deadlineMs: 60_000,
    });
    try {
      const answer = await rotor.chat({
        model: 'auto',
        messages: [{ role: 'user', content: 'Say hi in one word.' }],
      });
      expect(answer.choices[0]?.message.content).toBeTruthy();
    } finally {
      await rotor.close();
    }
  }, 90_000);
});
