/**
 * Hedged first token and continuation of a cut stream, in virtual time over the real loop: the
 * delay each model earns, the share bound, the loser cancelled and never counted against its
 * model, one model's content only ever reaching the client, and splicing a continuation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChatCompletionChunk } from '../src/chat/chat-types.js';
import { ManualClock } from '../src/engine/clock.js';
import { HedgeBudget } from '../src/engine/hedge-budget.js';
import { seededRandom } from '../src/engine/random.js';
import { RotationEngine } from '../src/engine/rotation-engine.js';
import type { AttemptRecord } from '../src/errors.js';
import { createRotor } from '../src/router/create-rotor.js';
import { HedgeDelays, hedgeDelayMs } from '../src/router/hedge-delay.js';
import type { RotorOptionsInput } from '../src/router/rotor-options.js';
import { type ModelScript, readChunks, ScriptedModels } from './scripted-models.js';
import { drive } from './virtual-time.js';

const SLOW = 'slow/primary';
const FAST = 'fast/fallback';
const hello = { model: 'auto', messages: [{ role: 'user', content: 'hi' }] };
const DELAYS = { minDelayMs: 2000, maxDelayMs: 10_000, p95Margin: 1.5, minSamples: 20 };

function setup(scripts: Record<string, ModelScript>, options: RotorOptionsInput = {}) {
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 12));
  const transport = new ScriptedModels(clock, scripts);
  const rotor = createRotor(
    {
      upstreams: [{ id: 'openrouter', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'k' }],
      rotation: Object.keys(scripts),
      // The prior: 1 s expected → 1.5 s → the 2 s floor.
      models: Object.keys(scripts).map((id) => ({ id, expectedLatencyMs: 1000 })),
      engine: { quota: { freeRequestsPerMinute: 0 } },
      ...options,
    },
    { clock, random: seededRandom(7), transport },
  );
  return { clock, transport, rotor };
}

/** Nine quick answers from the primary: enough attempts in the window for one hedge at 10 %. */
async function warmUp(clock: ManualClock, rotor: ReturnType<typeof setup>['rotor'], n = 9) {
  for (let i = 0; i < n; i++) await drive(clock, rotor.chat(hello));
}

async function collectStream(clock: ManualClock, stream: AsyncIterable<ChatCompletionChunk>) {
  const out: ChatCompletionChunk[] = [];
  await drive(
    clock,
    (async () => {
      for await (const c of stream) out.push(c);
    })(),
  );
  return out;
}

const fastFirstNine = (slowMs: number) => (call: number) => (call < 9 ? 100 : slowMs);

describe('the hedge delay', () => {
  it('is the first-token p95 × margin once there are enough samples, within [min, max]', () => {
    expect(hedgeDelayMs({ samples: 20, ttftP95Ms: 3000, expectedLatencyMs: 500 }, DELAYS)).toBe(4500);
    // Both sides of each clamp.
    expect(hedgeDelayMs({ samples: 20, ttftP95Ms: 1334, expectedLatencyMs: undefined }, DELAYS)).toBe(2001);
    expect(hedgeDelayMs({ samples: 20, ttftP95Ms: 1332, expectedLatencyMs: undefined }, DELAYS)).toBe(2000);
    expect(hedgeDelayMs({ samples: 20, ttftP95Ms: 6666, expectedLatencyMs: undefined }, DELAYS)).toBe(9999);
    expect(hedgeDelayMs({ samples: 20, ttftP95Ms: 6668, expectedLatencyMs: undefined }, DELAYS)).toBe(10_000);
  });

  it('before enough samples comes from the expected latency; with neither, it is the cap', () => {
    expect(hedgeDelayMs({ samples: 19, ttftP95Ms: 3000, expectedLatencyMs: 4000 }, DELAYS)).toBe(6000);
    expect(hedgeDelayMs({ samples: 19, ttftP95Ms: 3000, expectedLatencyMs: undefined }, DELAYS)).toBe(10_000);
  });

  it('is learned from the model’s own first tokens: the prior until the 20th sample, then the p95', () => {
    const engine = new RotationEngine({ rotationOrder: ['m'] });
    engine.upsertProfile({ id: 'm', expectedLatencyMs: 4000 });
    const delays = new HedgeDelays(engine, DELAYS);
    expect(delays.delayMs('m')).toBe(6000);
    // 19 samples of 1..19 s × 0.1 … then the 20th: p95 (nearest rank 19 of 20) = 3800 → 5700.
    for (let i = 1; i <= 19; i++) engine.recordSuccess('m', { ttftMs: i * 200, latencyMs: i * 300 });
    expect(delays.delayMs('m')).toBe(6000);
    engine.recordSuccess('m', { ttftMs: 4000, latencyMs: 5000 });
    expect(delays.delayMs('m')).toBe(Math.round(3800 * 1.5));
  });
});

describe('the hedge budget (share of attempts over a sliding window)', () => {
  it('allows one hedge per ten attempts: after 9 attempts yes, after 8 no', () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 12));
    const eight = new HedgeBudget({ maxShare: 0.1, windowMs: 60_000 }, () => clock.now());
    for (let i = 0; i < 8; i++) eight.countAttempt();
    expect(eight.tryHedge()).toBe(false);
    eight.countAttempt();
    expect(eight.tryHedge()).toBe(true);
    // The second hedge needs 19 attempts besides it (2 of 21 would be 9.5 %).
    for (let i = 0; i < 9; i++) eight.countAttempt();
    expect(eight.tryHedge()).toBe(true);
    expect(eight.status()).toMatchObject({ attemptsInWindow: 20, hedgesInWindow: 2, refused: 1 });
  });

  it('forgets after the window: 59 s later still counted, 60 s later gone', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 12));
    const b = new HedgeBudget({ maxShare: 0.1, windowMs: 60_000 }, () => clock.now());
    for (let i = 0; i < 9; i++) b.countAttempt();
    await clock.advance(59_000);
    expect(b.allows()).toBe(true);
    await clock.advance(1_000);
    expect(b.allows()).toBe(false);
  });
});

describe('a silent attempt is hedged', () => {
  for (const mode of ['collect', 'stream'] as const) {
    it(`${mode}: a 20 s first token is hedged at 2 s, the fallback answers, the primary is cancelled without penalty`, async () => {
      const { clock, rotor, transport } = setup({
        [SLOW]: { ttftMs: fastFirstNine(20_000), words: ['slow'] },
        [FAST]: { ttftMs: 300, words: ['fast', ' answer'] },
      });
      await warmUp(clock, rotor);
      const t0 = clock.now();
      let text: string;
      let attempts: AttemptRecord[];
      if (mode === 'collect') {
        const answer = await drive(clock, rotor.chat(hello));
        text = answer.choices[0]!.message.content as string;
        attempts = answer.rotor.attempts;
        expect(answer.rotor.model).toBe(FAST);
      } else {
        const stream = rotor.chatStream(hello);
        const chunks = await collectStream(clock, stream);
        const read = readChunks(chunks);
        text = read.text;
        expect([...read.models]).toEqual([FAST]);
        expect(read.finish).toBe('stop');
        attempts = stream.run.attempts;
      }
      expect(text).toBe('fast answer');
      // Hedged at the 2 s floor; the fallback accepts after 50 ms and shows content 300 ms later.
      const slowCall = transport.callsTo(SLOW).at(-1)!;
      const fastCall = transport.callsTo(FAST).at(-1)!;
      expect(fastCall.startedMs - t0).toBe(2000);
      expect(slowCall.abortedMs! - t0).toBe(2350);
      expect(slowCall.produced).toBe(0);
      // In the order they ended: the loser when the race was decided, the winner when it completed.
      expect(attempts.map((a) => [a.model, a.outcome])).toEqual([
        [SLOW, 'cancelled'],
        [FAST, 'success'],
      ]);
      const slow = rotor.engine.metrics().models.find((m) => m.model === SLOW)!;
      expect(slow).toMatchObject({ failedRequests: 0, consecutiveFailures: 0, cancelledRequests: 1 });
      expect(rotor.status().hedging).toMatchObject({ started: 1, won: 1, wasted: 0 });
      // One request, one attempt with a verdict.
      expect(rotor.engine.metrics().system.requests.attemptsHistogram['1']).toBe(10);
    });
  }

  it('a primary that has not even answered when it loses is stopped as soon as it does', async () => {
    const { clock, rotor, transport } = setup({
      [SLOW]: { acceptMs: (call) => (call < 9 ? 50 : 5000), ttftMs: 100, words: ['slow'] },
      [FAST]: { ttftMs: 300, words: ['fast'] },
    });
    await warmUp(clock, rotor);
    const t0 = clock.now();
    const answer = await drive(clock, rotor.chat(hello));
    expect(answer.choices[0]!.message.content).toBe('fast');
    expect(clock.now() - t0).toBeLessThan(5000);
    await drive(clock, clock.sleep(10_000));
    const slowCall = transport.callsTo(SLOW).at(-1)!;
    expect(slowCall.abortedMs! - slowCall.startedMs).toBe(5000);
    expect(slowCall.produced).toBe(0);
    expect(rotor.engine.metrics().models.find((m) => m.model === SLOW)).toMatchObject({
      failedRequests: 0,
      inFlight: 0,
    });
  });

  it('the primary wins when its content comes first; the hedge is cancelled and wasted', async () => {
    const { clock, rotor, transport } = setup({
      [SLOW]: { ttftMs: fastFirstNine(2500), words: ['primary'] },
      [FAST]: { ttftMs: 1000, words: ['hedge'] },
    });
    await warmUp(clock, rotor);
    const answer = await drive(clock, rotor.chat(hello));
    expect(answer.choices[0]!.message.content).toBe('primary');
    expect(transport.callsTo(FAST)).toHaveLength(1);
    expect(transport.callsTo(FAST)[0]!.produced).toBe(0);
    expect(rotor.status().hedging).toMatchObject({ started: 1, won: 0, wasted: 1 });
    const fast = rotor.engine.metrics().models.find((m) => m.model === FAST)!;
    expect(fast).toMatchObject({ failedRequests: 0, successfulRequests: 0, cancelledRequests: 1 });
  });

  it('no hedge before the delay: content at 1,999 ms of a 2,000 ms delay starts none', async () => {
    const { clock, rotor, transport } = setup({
      [SLOW]: { ttftMs: fastFirstNine(1949), words: ['primary'] }, // + 50 ms accept = 1,999 ms
      [FAST]: { ttftMs: 10, words: ['hedge'] },
    });
    await warmUp(clock, rotor);
    await drive(clock, rotor.chat(hello));
    expect(transport.callsTo(FAST)).toHaveLength(0);
  });

  it('a hedge that fails on its own is counted against its model; the primary still answers', async () => {
    const { clock, rotor } = setup({
      [SLOW]: { ttftMs: fastFirstNine(5000), words: ['primary'] },
      [FAST]: { ttftMs: 10, failBefore: { kind: 'server_error', status: 503, message: 'down' } },
    });
    await warmUp(clock, rotor);
    const answer = await drive(clock, rotor.chat(hello));
    expect(answer.choices[0]!.message.content).toBe('primary');
    expect(answer.rotor.attempts.map((a) => [a.model, a.outcome])).toEqual([
      [FAST, 'server_error'],
      [SLOW, 'success'],
    ]);
    expect(rotor.engine.metrics().models.find((m) => m.model === FAST)).toMatchObject({
      failedRequests: 1,
      consecutiveFailures: 1,
    });
    expect(rotor.status().hedging).toMatchObject({ started: 1, won: 0, wasted: 1 });
  });

  it('a client that leaves mid-race cancels both attempts; neither model is blamed', async () => {
    const { clock, rotor, transport } = setup({
      [SLOW]: { ttftMs: fastFirstNine(20_000) },
      [FAST]: { ttftMs: 20_000 },
    });
    await warmUp(clock, rotor);
    const controller = new AbortController();
    const pending = rotor.chat(hello, { signal: controller.signal });
    void clock.sleep(3000).then(() => controller.abort());
    await expect(drive(clock, pending)).rejects.toMatchObject({ status: 499 });
    expect(transport.callsTo(SLOW).at(-1)!.abortedMs).toBeDefined();
    expect(transport.callsTo(FAST).at(-1)!.abortedMs).toBeDefined();
    for (const m of rotor.engine.metrics().models)
      expect(m).toMatchObject({ failedRequests: 0, consecutiveFailures: 0 });
  });

  it('a hedge the share refused when its timer fired is tried again while the attempt stays silent', async () => {
    const { clock, rotor, transport } = setup({
      [SLOW]: { ttftMs: (call) => (call < 7 ? 100 : 20_000), words: ['slow'] },
      [FAST]: { ttftMs: 300, words: ['fast'] },
    });
    await warmUp(clock, rotor, 7); // 7 + this request's attempt = 8 in the window: no hedge at 2 s
    const t0 = clock.now();
    const first = rotor.chat(hello);
    // A second request at 3 s makes it 9 attempts: the first request's timer, armed again at 2 s
    // for the shortest delay, finds the share free at 4 s.
    const second = clock.sleep(3000).then(() => rotor.chat(hello));
    const [a] = await drive(clock, Promise.all([first, second]));
    expect(a.choices[0]!.message.content).toBe('fast');
    expect(transport.callsTo(FAST)[0]!.startedMs - t0).toBe(4000);
    expect(rotor.status().hedging).toMatchObject({ started: 1, won: 1 });
    expect(rotor.status().hedging.budget.refused).toBeGreaterThanOrEqual(1);
  });

  it('hedging off: the request waits for the slow first token', async () => {
    const { clock, rotor, transport } = setup(
      { [SLOW]: { ttftMs: fastFirstNine(20_000), words: ['slow'] }, [FAST]: { ttftMs: 10 } },
      { hedging: { enabled: false } },
    );
    await warmUp(clock, rotor);
    const answer = await drive(clock, rotor.chat(hello));
    expect(answer.choices[0]!.message.content).toBe('slow');
    expect(transport.callsTo(FAST)).toHaveLength(0);
  });

  it('no hedge onto a free account with less than 20 % of its day left (13/day: refused; 14/day: hedged)', async () => {
    for (const [perDay, hedged] of [
      [13, false],
      [14, true],
    ] as const) {
      const { clock, rotor, transport } = setup(
        {
          'slow/primary:free': { ttftMs: fastFirstNine(20_000), words: ['slow'] },
          'fast/fallback:free': { ttftMs: 10, words: ['fast'] },
        },
        { engine: { quota: { freeRequestsPerMinute: 0, freeRequestsPerDay: perDay } } },
      );
      await warmUp(clock, rotor);
      // 9 + the primary + the hedge = 11 counted: 3 of 14 left (21 %) or 2 of 13 (15 %).
      await drive(clock, rotor.chat(hello));
      expect(transport.callsTo('fast/fallback:free').length > 0).toBe(hedged);
      expect(rotor.status().hedging.skippedForQuota).toBe(hedged ? 0 : 1);
    }
  });

  it('hedges stay within 10 % of all attempts (200 requests on an always-slow primary)', async () => {
    const { clock, rotor, transport } = setup({
      [SLOW]: { ttftMs: 15_000, words: ['slow'] },
      [FAST]: { ttftMs: 100, words: ['fast'] },
    });
    const requests = Array.from({ length: 200 }, async (_, i) => {
      await clock.sleep(i * 500);
      return rotor.chat(hello);
    });
    const answers = await drive(clock, Promise.all(requests));
    for (const a of answers) expect(['slow', 'fast']).toContain(a.choices[0]!.message.content);
    const { started } = rotor.status().hedging;
    expect(started).toBeGreaterThan(0);
    expect(started).toBe(transport.callsTo(FAST).length);
    expect(started / transport.calls.length).toBeLessThanOrEqual(0.1);
  });
});

describe('only one model’s content ever reaches the client', () => {
  it('for any first-token times and chunk pace of the two (virtual time, streaming)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 6000 }),
        fc.integer({ min: 0, max: 6000 }),
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 0, max: 400 }),
        async (slowTtft, fastTtft, slowGap, fastGap) => {
          const a = ['A1', 'A2', 'A3', 'A4', 'A5'];
          const b = ['B1', 'B2', 'B3', 'B4', 'B5'];
          const { clock, rotor, transport } = setup({
            [SLOW]: { ttftMs: fastFirstNine(slowTtft), words: a, gapMs: slowGap },
            [FAST]: { ttftMs: fastTtft, words: b, gapMs: fastGap },
          });
          await warmUp(clock, rotor);
          const stream = rotor.chatStream(hello);
          const read = readChunks(await collectStream(clock, stream));
          expect([a.join(''), b.join('')]).toContain(read.text);
          expect(read.ids.size).toBe(1);
          expect(read.models.size).toBe(1);
          expect(read.finish).toBe('stop');
          const outcomes = stream.run.attempts.map((x) => x.outcome).sort();
          expect(outcomes).toEqual(transport.calls.length === 10 ? ['success'] : ['cancelled', 'success']);
          for (const m of rotor.engine.metrics().models) expect(m.failedRequests).toBe(0);
        },
      ),
      { numRuns: 120, seed: 15 },
    );
  });
});

describe('continuing a cut answer (streaming.continueAfterCut)', () => {
  const cut = { chunks: 2, failure: { kind: 'network' as const, message: 'connection reset mid-stream' } };

  it('on: the next model continues the text (assistant prefill) inside the same stream, ending in stop', async () => {
    const { clock, rotor, transport } = setup(
      {
        [SLOW]: { ttftMs: 100, words: ['The', ' answer', ' is', ' cut'], cutAfter: cut },
        [FAST]: { ttftMs: 100, words: [' goes', ' on.'] },
      },
      { streaming: { continueAfterCut: true }, hedging: { enabled: false } },
    );
    const stream = rotor.chatStream(hello);
    const read = readChunks(await collectStream(clock, stream));
    expect(read.text).toBe('The answer goes on.');
    expect([...read.ids]).toEqual(['gen-slow/primary-0']);
    expect(read.finish).toBe('stop');
    expect(read.error).toBeUndefined();
    const body = transport.callsTo(FAST)[0]!.body as { messages: unknown[] };
    expect(body.messages.at(-1)).toEqual({ role: 'assistant', content: 'The answer' });
    expect(stream.run.attempts.map((a) => [a.model, a.outcome])).toEqual([
      [SLOW, 'network'],
      [FAST, 'success'],
    ]);
  });

  it('off (the default): the stream ends with the in-band error after the partial text', async () => {
    const { clock, rotor, transport } = setup(
      {
        [SLOW]: { ttftMs: 100, words: ['The', ' answer', ' is'], cutAfter: cut },
        [FAST]: { ttftMs: 100, words: [' goes', ' on.'] },
      },
      { hedging: { enabled: false } },
    );
    const read = readChunks(await collectStream(clock, rotor.chatStream(hello)));
    expect(read.text).toBe('The answer');
    expect(read.finish).toBe('error');
    expect(read.error).toMatchObject({ code: 502 });
    expect(transport.callsTo(FAST)).toHaveLength(0);
  });

  it('never inside a tool call: a cut tool call ends with the in-band error even when on', async () => {
    const { clock, rotor, transport } = setup(
      {
        [SLOW]: { ttftMs: 100, toolCall: true, words: ['{"a":', '1', '}'], cutAfter: cut },
        [FAST]: { ttftMs: 100 },
      },
      { streaming: { continueAfterCut: true }, hedging: { enabled: false } },
    );
    const read = readChunks(await collectStream(clock, rotor.chatStream(hello)));
    expect(read.finish).toBe('error');
    expect(transport.callsTo(FAST)).toHaveLength(0);
  });

  it('a next model that rejects the prefill: the original cut is reported, its 400 never shown as content', async () => {
    const { clock, rotor } = setup(
      {
        [SLOW]: { ttftMs: 100, words: ['The', ' answer', ' is'], cutAfter: cut },
        [FAST]: {
          ttftMs: 100,
          failBefore: { kind: 'request_error', status: 400, message: 'assistant prefill is not supported' },
        },
      },
      { streaming: { continueAfterCut: true }, hedging: { enabled: false } },
    );
    const read = readChunks(await collectStream(clock, rotor.chatStream(hello)));
    expect(read.text).toBe('The answer');
    expect(read.finish).toBe('error');
    expect(JSON.stringify(read.error)).toContain('connection reset mid-stream');
    expect(JSON.stringify(read.error)).not.toContain('prefill');
  });
});
