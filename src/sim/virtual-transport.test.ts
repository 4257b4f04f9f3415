import { afterEach, describe, expect, it } from 'vitest';
import type { ChatCompletionChunk } from '../chat/chat-types.js';
import { ManualClock } from '../engine/clock.js';
import type { Failure } from '../engine/failure.js';
import { UpstreamFailure } from '../upstream/chat-transport.js';
import { UpstreamClient } from '../upstream/upstream-client.js';
import { type FaultInput, type ScenarioInput, type Simulator, startSimulator } from './index.js';
import { defaultModels } from './sim-models.js';
import { type VirtualFault, VirtualTransport, type VirtualTransportOptions } from './virtual-transport.js';

const PRIMARY = 'meta-llama/llama-3.3-8b-instruct:free';
const SECOND = 'cognitivecomputations/dolphin-mistral-24b-venice-edition:free';
const MIDNIGHT = Date.UTC(2026, 7, 14);
const upstream = { id: 'openrouter', baseUrl: 'http://virtual.invalid/api/v1', apiKey: 'sk-virtual' };
const timeouts = { connectMs: 1000, firstTokenMs: 30_000, idleMs: 30_000, totalMs: 120_000 };

function setup(options: Partial<VirtualTransportOptions> = {}, startMs = MIDNIGHT + 30_000) {
  const clock = new ManualClock(startMs);
  const transport = new VirtualTransport({
    clock,
    models: [
      { id: PRIMARY, ttftMs: 400, tokensPerSecond: 100 },
      { id: SECOND, ttftMs: 1000, tokensPerSecond: 50, limitRpm: 2 },
    ],
    completionTokens: 10,
    ...options,
  });
  return { clock, transport };
}

function open(transport: VirtualTransport, model = PRIMARY, signal?: AbortSignal) {
  return transport.openStream({
    upstream,
    model,
    body: { messages: [{ role: 'user', content: 'hi' }] },
    timeouts,
    ...(signal ? { signal } : {}),
  });
}

/** Run an attempt to its end while skipping virtual time; resolves to the chunks or the failure. */
async function attempt(
  clock: ManualClock,
  transport: VirtualTransport,
  model = PRIMARY,
): Promise<{ chunks: ChatCompletionChunk[] } | { failure: Failure }> {
  const run = (async () => {
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of await open(transport, model)) chunks.push(chunk);
    return chunks;
  })();
  let settled = false;
  const done = run.then(
    (chunks) => ({ chunks }),
    (err: unknown) => {
      if (err instanceof UpstreamFailure) return { failure: err.failure };
      throw err;
    },
  );
  done.finally(() => {
    settled = true;
  });
  while (!settled) if (!(await clock.runNext())) await new Promise((r) => setImmediate(r));
  return done;
}

function failureOf(result: Awaited<ReturnType<typeof attempt>>): Failure {
  if (!('failure' in result)) throw new Error('expected a failure');
  return result.failure;
}

describe('VirtualTransport answers', () => {
  it('streams an answer in virtual time: first token after ttft, the rest at the model speed', async () => {
    const { clock, transport } = setup();
    const started = clock.now();
    const result = await attempt(clock, transport);
    expect(
      'chunks' in result &&
        result.chunks.map((c) => (c.choices.length === 0 ? 'usage' : c.choices[0]!.finish_reason)),
    ).toEqual([null, null, 'stop', 'usage']);
    expect(clock.now() - started).toBe(400 + 100); // 10 tokens at 100 tokens/s
    expect(transport.answerMs(PRIMARY)).toBe(500);
    expect(transport.attempts()).toEqual([
      { timeMs: 0, model: PRIMARY, outcome: 'ok', status: 200, countedAgainstQuota: true, endMs: 500 },
    ]);
  });

  it('times out on the first token when the model is slower than the limit, after exactly the limit', async () => {
    const { clock, transport } = setup({ models: [{ id: PRIMARY, ttftMs: 40_000, tokensPerSecond: 100 }] });
    const started = clock.now();
    const failure = failureOf(await attempt(clock, transport));
    expect(failure).toMatchObject({ kind: 'timeout', phase: 'first_token' });
    expect(clock.now() - started).toBe(30_000);
  });

  it('an abort rejects with the signal reason and makes no further progress', async () => {
    const { clock, transport } = setup();
    const controller = new AbortController();
    const stream = await open(transport, PRIMARY, controller.signal);
    const iterator = stream[Symbol.asyncIterator]();
    const next = iterator.next();
    await clock.advance(100);
    controller.abort(new Error('client left'));
    await expect(next).rejects.toThrow('client left');
    expect(transport.attempts()[0]).toMatchObject({ outcome: 'cancelled', endMs: 100 });
    expect(clock.pendingSleeps).toBe(0);
  });
});

describe('VirtualTransport slow first tokens and cancelled attempts', () => {
  /** Open a stream and read its first chunk, skipping virtual time; the ms it took. */
  async function firstChunkAfter(clock: ManualClock, transport: VirtualTransport, signal?: AbortSignal) {
    const started = clock.now();
    const stream = await open(transport, PRIMARY, signal);
    const iterator = stream[Symbol.asyncIterator]();
    const first = iterator.next();
    let settled = false;
    first.finally(() => {
      settled = true;
    });
    while (!settled) if (!(await clock.runNext())) await new Promise((r) => setImmediate(r));
    await first;
    return { ms: clock.now() - started, iterator };
  }

  it('a slow_first_token fault delays the first token by its delayMs inside its window only; peek() tells the ttft', async () => {
    const faults: VirtualFault[] = [
      { kind: 'slow_first_token', model: PRIMARY, fromMs: 10_000, toMs: 20_000, delayMs: 6_000 },
    ];
    const { clock, transport } = setup({ faults, account: { freeLimits: false } }, MIDNIGHT);
    expect(transport.peek(PRIMARY)).toEqual({ ok: true, ttftMs: 400, latencyMs: 500 });
    expect((await firstChunkAfter(clock, transport)).ms).toBe(400);
    await clock.advanceTo(MIDNIGHT + 10_000);
    expect(transport.peek(PRIMARY)).toEqual({ ok: true, ttftMs: 6_400, latencyMs: 6_500 });
    expect(transport.peek(SECOND)).toMatchObject({ ok: true, ttftMs: 1000 }); // other models unaffected
    const started = clock.now();
    const result = await attempt(clock, transport);
    expect('chunks' in result).toBe(true);
    expect(clock.now() - started).toBe(6_500);
    expect(transport.attempts().at(-1)).toMatchObject({ outcome: 'ok', status: 200 });
    await clock.advanceTo(MIDNIGHT + 20_000);
    expect((await firstChunkAfter(clock, transport)).ms).toBe(400);
  });

  it('a first token delayed past the first-token timeout is a first_token timeout at the limit', async () => {
    const faults: VirtualFault[] = [
      { kind: 'slow_first_token', model: PRIMARY, fromMs: 0, toMs: 60_000, delayMs: 29_700 },
    ];
    const { clock, transport } = setup({ faults }, MIDNIGHT);
    const started = clock.now();
    expect(failureOf(await attempt(clock, transport))).toMatchObject({
      kind: 'timeout',
      phase: 'first_token',
    });
    expect(clock.now() - started).toBe(30_000);
    expect(transport.attempts()[0]).toMatchObject({ outcome: 'timeout', endMs: 30_000 });
  });

  it('the first matching fault applies: an outage listed first hides a slow first token, and vice versa', async () => {
    const outage = { kind: 'server_error', model: PRIMARY, fromMs: 0, toMs: 60_000 } as const;
    const slow = {
      kind: 'slow_first_token',
      model: PRIMARY,
      fromMs: 0,
      toMs: 60_000,
      delayMs: 5000,
    } as const;
    expect(setup({ faults: [outage, slow] }, MIDNIGHT).transport.peek(PRIMARY)).toMatchObject({
      ok: false,
      outcome: 'server_error',
    });
    expect(setup({ faults: [slow, outage] }, MIDNIGHT).transport.peek(PRIMARY)).toEqual({
      ok: true,
      ttftMs: 5400,
      latencyMs: 5500,
    });
  });

  it('probabilistic slow first tokens: peek() foretells each attempt’s first token, and about the share drawn', async () => {
    const faults: VirtualFault[] = [
      {
        kind: 'slow_first_token',
        model: PRIMARY,
        fromMs: 0,
        toMs: 3_600_000,
        probability: 0.3,
        delayMs: 2000,
      },
    ];
    const { clock, transport } = setup({ faults, account: { freeLimits: false } }, MIDNIGHT);
    let slow = 0;
    for (let i = 0; i < 200; i++) {
      await clock.advance(997);
      const foretold = transport.peek(PRIMARY);
      if (!foretold.ok) throw new Error('expected an answer');
      const { ms, iterator } = await firstChunkAfter(clock, transport);
      await iterator.return?.();
      expect(ms).toBe(foretold.ttftMs);
      if (ms === 2400) slow++;
      else expect(ms).toBe(400);
    }
    expect(slow).toBeGreaterThan(200 * 0.3 - 25);
    expect(slow).toBeLessThan(200 * 0.3 + 25);
  });

  it('an abort after the first chunk, while the caller is not reading, ends the attempt as cancelled at once', async () => {
    const { clock, transport } = setup();
    const controller = new AbortController();
    const { ms } = await firstChunkAfter(clock, transport, controller.signal);
    expect(ms).toBe(400);
    expect(transport.attempts()[0]).toMatchObject({ outcome: 'ok' });
    expect(transport.attempts()[0]!.endMs).toBeUndefined();
    await clock.advance(30);
    controller.abort(new Error('lost the race'));
    expect(transport.attempts()[0]).toMatchObject({ outcome: 'cancelled', endMs: 430 });
    await clock.advance(10_000);
    expect(transport.attempts()[0]).toMatchObject({ outcome: 'cancelled', endMs: 430 });
  });

  it('a caller that stops reading early (return) leaves a cancelled attempt, not a success', async () => {
    const { clock, transport } = setup();
    const { iterator } = await firstChunkAfter(clock, transport);
    await iterator.return?.();
    expect(transport.attempts()[0]).toMatchObject({ outcome: 'cancelled', endMs: 400 });
  });

  it('an abort after the answer has ended changes nothing', async () => {
    const { clock, transport } = setup();
    const controller = new AbortController();
    const stream = await open(transport, PRIMARY, controller.signal);
    const run = (async () => {
      for await (const _ of stream) {
        // read to the end
      }
    })();
    let settled = false;
    run.finally(() => {
      settled = true;
    });
    while (!settled) if (!(await clock.runNext())) await new Promise((r) => setImmediate(r));
    controller.abort(new Error('late'));
    expect(transport.attempts()[0]).toMatchObject({ outcome: 'ok', endMs: 500 });
  });
});

describe('VirtualTransport limits, as OpenRouter counts them', () => {
  it('refuses the 21st free request of a minute as account_minute with the minute reset, counting nothing', async () => {
    const { clock, transport } = setup({ errorLatencyMs: 0 });
    for (let i = 0; i < 20; i++) expect('chunks' in (await attempt(clock, transport))).toBe(true);
    const failure = failureOf(await attempt(clock, transport));
    expect(failure).toMatchObject({
      kind: 'rate_limit',
      scope: 'account_minute',
      status: 429,
      resetAtMs: MIDNIGHT + 60_000,
    });
    expect(transport.quotaUsed()).toEqual({ minute: 20, day: 20 });
    expect(transport.attempts().at(-1)).toMatchObject({
      outcome: 'account_minute_limit',
      countedAgainstQuota: false,
    });
    await clock.advanceTo(MIDNIGHT + 60_000);
    expect('chunks' in (await attempt(clock, transport))).toBe(true);
  });

  it('refuses past the daily limit as account_day, reset at 00:00 UTC', async () => {
    const { clock, transport } = setup({ account: { perDay: 2 } });
    await attempt(clock, transport);
    await attempt(clock, transport);
    expect(failureOf(await attempt(clock, transport))).toMatchObject({
      kind: 'rate_limit',
      scope: 'account_day',
      resetAtMs: MIDNIGHT + 86_400_000,
    });
  });

  it('a model cap is a model-scoped 429 with its reset, and the refused attempt still uses account quota', async () => {
    const { clock, transport } = setup({ errorLatencyMs: 0 });
    await attempt(clock, transport, SECOND);
    await attempt(clock, transport, SECOND);
    expect(failureOf(await attempt(clock, transport, SECOND))).toMatchObject({
      kind: 'rate_limit',
      scope: 'model',
      resetAtMs: MIDNIGHT + 60_000,
    });
    expect(transport.attempts().map((a) => [a.outcome, a.countedAgainstQuota])).toEqual([
      ['ok', true],
      ['ok', true],
      ['model_cap', true],
    ]);
    expect(transport.quotaUsed().minute).toBe(3);
    expect('chunks' in (await attempt(clock, transport, PRIMARY))).toBe(true); // the cap is per model
  });

  it('refuses tools to a model without them and a prompt its context cannot hold, after the account gate, as the simulator does', async () => {
    const { clock, transport } = setup({
      models: [
        { id: PRIMARY, ttftMs: 400, tokensPerSecond: 100, tools: false, contextLength: 1000 },
        { id: SECOND, ttftMs: 1000, tokensPerSecond: 50 },
      ],
      errorLatencyMs: 0,
    });
    const tools = [{ type: 'function', function: { name: 'run', parameters: { type: 'object' } } }];
    // 2 messages × 4 + 3,600 characters / 4 = 908 prompt tokens.
    const long = {
      messages: [
        { role: 'system', content: 'x'.repeat(1600) },
        { role: 'user', content: 'y'.repeat(2000) },
      ],
    };
    const run = async (model: string, body: Record<string, unknown>) => {
      const done = transport
        .openStream({ upstream, model, body, timeouts })
        .then(async (stream) => {
          let promptTokens: number | undefined;
          for await (const chunk of stream) promptTokens ??= chunk.usage?.prompt_tokens;
          return `ok, ${promptTokens} prompt tokens`;
        })
        .catch((err: unknown) => (err as UpstreamFailure).failure.status);
      let settled = false;
      void done.finally(() => {
        settled = true;
      });
      while (!settled) if (!(await clock.runNext())) await new Promise((r) => setImmediate(r));
      return done;
    };
    expect(transport.peek(PRIMARY, clock.now(), { messages: [], tools })).toMatchObject({ ok: false });
    expect(await run(PRIMARY, { messages: [{ role: 'user', content: 'hi' }], tools })).toBe(404);
    expect(await run(PRIMARY, { ...long, max_tokens: 92 })).toBe('ok, 908 prompt tokens'); // 908 + 92 = 1000 fits
    expect(await run(PRIMARY, { ...long, max_tokens: 93 })).toBe(400);
    // No limits declared: served; the usage counts the tools too (their JSON / 4).
    expect(await run(SECOND, { ...long, tools, max_tokens: 100_000 })).toBe(
      `ok, ${908 + Math.ceil(JSON.stringify(tools).length / 4)} prompt tokens`,
    );
    expect(transport.attempts().map((a) => [a.outcome, a.status, a.countedAgainstQuota])).toEqual([
      ['tools_unsupported', 404, true],
      ['ok', 200, true],
      ['context_length', 400, true],
      ['ok', 200, true],
    ]);
  });

  it('plays scripted 429 bursts and outages only inside their windows', async () => {
    const faults: VirtualFault[] = [
      { kind: 'upstream_rate_limit', model: PRIMARY, fromMs: 10_000, toMs: 20_000, retryAfterSeconds: 17 },
      { kind: 'server_error', model: '*', fromMs: 30_000, toMs: 40_000 },
    ];
    const { clock, transport } = setup({ faults, errorLatencyMs: 300 }, MIDNIGHT);
    await clock.advanceTo(MIDNIGHT + 9_999);
    expect(transport.peek(PRIMARY)).toEqual({ ok: true, latencyMs: 500, ttftMs: 400 });
    await clock.advanceTo(MIDNIGHT + 10_000);
    const started = clock.now();
    const limited = failureOf(await attempt(clock, transport));
    expect(limited).toMatchObject({ kind: 'rate_limit', scope: 'model', retryAfterMs: 17_000 });
    expect(limited.message).toContain('temporarily rate-limited upstream');
    expect(clock.now() - started).toBe(300);
    expect(transport.peek(SECOND).ok).toBe(true);
    await clock.advanceTo(MIDNIGHT + 35_000);
    expect(failureOf(await attempt(clock, transport, SECOND))).toMatchObject({
      kind: 'server_error',
      status: 503,
    });
    await clock.advanceTo(MIDNIGHT + 40_000);
    expect(transport.peek(SECOND).ok).toBe(true);
  });

  it('peek() foretells exactly what the attempt at the same instant gets, probabilistic faults included', async () => {
    const faults: VirtualFault[] = [
      { kind: 'rate_limited', model: PRIMARY, fromMs: 0, toMs: 3_600_000, probability: 0.5 },
    ];
    const { clock, transport } = setup({ faults, account: { freeLimits: false }, errorLatencyMs: 0 });
    const seen = { ok: 0, limited: 0 };
    for (let i = 0; i < 40; i++) {
      await clock.advance(1_013);
      const foretold = transport.peek(PRIMARY);
      const result = await attempt(clock, transport);
      expect('chunks' in result).toBe(foretold.ok);
      if (!foretold.ok) expect(failureOf(result)).toEqual(foretold.failure);
      seen[foretold.ok ? 'ok' : 'limited']++;
    }
    expect(seen.ok).toBeGreaterThan(5);
    expect(seen.limited).toBeGreaterThan(5);
  });
});

describe('VirtualTransport failures match the real client against the simulator', () => {
  let sim: Simulator | undefined;
  let client: UpstreamClient | undefined;
  afterEach(async () => {
    await client?.close();
    await sim?.close();
    sim = undefined;
    client = undefined;
  });

  /** The failure rotor's real client gets from the simulator after `before` answered requests. */
  async function overTheWire(
    clock: ManualClock,
    scenario: ScenarioInput,
    model: string,
    before = 0,
  ): Promise<Failure> {
    sim = await startSimulator({ latencyScale: 0, clock, scenario });
    client = new UpstreamClient({ clock });
    const real = { ...upstream, baseUrl: sim.url };
    for (let i = 0; i <= before; i++) {
      try {
        const stream = await client.openStream({
          upstream: real,
          model,
          body: { messages: [{ role: 'user', content: 'hi' }] },
          timeouts,
        });
        for await (const _ of stream) {
          // drain
        }
      } catch (err) {
        if (err instanceof UpstreamFailure && i === before) return err.failure;
        throw err;
      }
    }
    throw new Error('expected a failure');
  }

  const cases: Array<{ name: string; fault: FaultInput; virtual: VirtualFault }> = [
    {
      name: 'upstream pool 429 with Retry-After',
      fault: { model: PRIMARY, kind: 'upstream_rate_limit', retryAfterSeconds: 17 },
      virtual: { model: PRIMARY, kind: 'upstream_rate_limit', retryAfterSeconds: 17, fromMs: 0, toMs: 1e9 },
    },
    {
      name: 'bare 429',
      fault: { model: PRIMARY, kind: 'rate_limited' },
      virtual: { model: PRIMARY, kind: 'rate_limited', fromMs: 0, toMs: 1e9 },
    },
    {
      name: '503 outage',
      fault: { model: PRIMARY, kind: 'server_error', status: 503 },
      virtual: { model: PRIMARY, kind: 'server_error', status: 503, fromMs: 0, toMs: 1e9 },
    },
  ];
  for (const c of cases) {
    it(`${c.name}: the same Failure`, async () => {
      const clock = new ManualClock(MIDNIGHT + 5_000);
      const wire = await overTheWire(clock, { faults: [c.fault] }, PRIMARY);
      const { transport } = setup({ faults: [c.virtual], models: defaultModels() }, clock.now());
      const verdict = transport.peek(PRIMARY);
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) expect(verdict.failure).toEqual(wire);
    });
  }

  it('account minute limit: the same Failure', async () => {
    const clock = new ManualClock(MIDNIGHT + 5_000);
    const wire = await overTheWire(clock, { account: { perMinute: 1 } }, PRIMARY, 1);
    const virtual = setup({ account: { perMinute: 1 }, models: defaultModels() }, clock.now());
    await attempt(virtual.clock, virtual.transport);
    expect(failureOf(await attempt(virtual.clock, virtual.transport))).toEqual(wire);
  });

  it('model cap: the same Failure', async () => {
    const clock = new ManualClock(MIDNIGHT + 5_000);
    const wire = await overTheWire(clock, { models: [{ id: SECOND, limitRpm: 1 }] }, SECOND, 1);
    const models = defaultModels().map((m) => (m.id === SECOND ? { ...m, limitRpm: 1 } : m));
    const virtual = setup({ models }, clock.now());
    await attempt(virtual.clock, virtual.transport, SECOND);
    expect(failureOf(await attempt(virtual.clock, virtual.transport, SECOND))).toEqual(wire);
  });
});
