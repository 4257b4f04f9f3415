/**
 * The seed's load tests, as a matrix that runs in CI: for each fault on the primary, at 1, 10, 100
 * and 200 concurrent requests, streaming and not, with healthy models behind it — every request
 * succeeds, each within the attempt bound (one attempt per failing model it touched, plus the one
 * same-model retry for 5xx/reset), at most one rotation, healthy models untouched. Then the
 * rotation failing as a whole (bounded attempts, clean 503/429 with Retry-After, the budget
 * engaging) and hostile clients (deadlines and aborts change no model's health).
 *
 * Real sockets to the simulator; simulated latency is scaled down (errors still take time, so
 * concurrent failures overlap). Expected values come from the scenario, never from rotor's code.
 * With ROTOR_WRITE_LOAD_MATRIX=1 the outcome table is written to docs/load-matrix.md.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChatCompletionChunk } from '../src/chat/chat-types.js';
import { seededRandom } from '../src/engine/random.js';
import { SEED_ROTATION_ORDER } from '../src/engine/seed-defaults.js';
import {
  type AttemptRecord,
  CancelledError,
  DeadlineExceededError,
  NoModelAvailableError,
  RateLimitError,
  toWireError,
} from '../src/errors.js';
import { createRotor, type Rotor } from '../src/router/create-rotor.js';
import type { RotorOptionsInput } from '../src/router/rotor-options.js';
import { type FaultInput, type Simulator, startSimulator } from '../src/sim/index.js';

const [A, B, C] = SEED_ROTATION_ORDER as [string, string, string];
const hello = { model: 'auto', messages: [{ role: 'user', content: 'hello' }] };

interface Outcome {
  ok: boolean;
  model: string | undefined;
  text: string;
  finish: string | null | undefined;
  errorChunk: boolean;
  attempts: AttemptRecord[];
  error?: unknown;
}

async function start(
  faults: FaultInput[],
  options: Partial<RotorOptionsInput> = {},
  latencyScale = 0.05,
): Promise<{ sim: Simulator; rotor: Rotor; close(): Promise<void> }> {
  const sim = await startSimulator({
    latencyScale,
    seed: 7,
    completionTokens: 4,
    scenario: { account: { freeLimits: false }, faults },
  });
  const rotor = createRotor(
    {
      upstreams: [{ id: 'openrouter', baseUrl: sim.url, apiKey: 'sk-test' }],
      rotation: [A, B, C],
      // Limits with room for 200 streams on a busy 2-core machine (an event loop that lags is not a
      // silent model); the 'no first token' cells set their own.
      timeouts: { connectMs: 10_000, firstTokenMs: 10_000, idleMs: 10_000 },
      // Long enough that no cooldown ends inside a cell, even on a loaded machine: one rotation means one.
      engine: { quota: { freeRequestsPerMinute: 0 }, retry: { baseDelayMs: 60_000, maxDelayMs: 120_000 } },
      ...options,
    },
    { random: seededRandom(3) },
  );
  return {
    sim,
    rotor,
    async close() {
      await rotor.close();
      await sim.close();
    },
  };
}

async function one(
  rotor: Rotor,
  stream: boolean,
  call: { deadlineMs?: number; signal?: AbortSignal } = {},
): Promise<Outcome> {
  if (!stream) {
    try {
      const r = await rotor.chat(hello, call);
      const choice = r.choices[0];
      return {
        ok: true,
        model: r.rotor.model,
        text: String(choice?.message.content ?? ''),
        finish: choice?.finish_reason,
        errorChunk: false,
        attempts: r.rotor.attempts,
      };
    } catch (error) {
      const attempts = (error as { attempts?: AttemptRecord[] }).attempts ?? [];
      return { ok: false, model: undefined, text: '', finish: undefined, errorChunk: false, attempts, error };
    }
  }
  const s = rotor.chatStream(hello, call);
  const chunks: ChatCompletionChunk[] = [];
  try {
    for await (const c of s) chunks.push(c);
  } catch (error) {
    return {
      ok: false,
      model: s.run.model,
      text: '',
      finish: undefined,
      errorChunk: false,
      attempts: s.run.attempts,
      error,
    };
  }
  const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  const finish = chunks.map((c) => c.choices[0]?.finish_reason).find((f) => f != null);
  const errorChunk = chunks.some((c) => c.error !== undefined);
  return { ok: !errorChunk, model: s.run.model, text, finish, errorChunk, attempts: s.run.attempts };
}

/** One fault on the primary: how many attempts on it a request may make, who answers, whether it rotates. */
interface Case {
  name: string;
  fault: FaultInput;
  /** Attempts on the primary per request, at most: 1, or 2 with the same-model retry (5xx, reset, cut). */
  onPrimary: number;
  answeredBy: string;
  /** Rotations expected: exactly this, or a range when the number of counted failures depends on timing. */
  rotations: number | [number, number];
  /** The burst is one rate-limit event. */
  oneRateLimitEvent?: boolean;
  options?: Partial<RotorOptionsInput>;
}

const CASES: Case[] = [
  {
    name: 'model-scoped 429, no hint',
    fault: { model: A, kind: 'upstream_rate_limit' },
    onPrimary: 1,
    answeredBy: B,
    rotations: 1,
    oneRateLimitEvent: true,
  },
  {
    name: '429 with a reset hint (30 s)',
    fault: { model: A, kind: 'upstream_rate_limit', retryAfterSeconds: 30 },
    onPrimary: 1,
    answeredBy: B,
    rotations: 1,
    oneRateLimitEvent: true,
  },
  {
    name: '503',
    fault: { model: A, kind: 'server_error', status: 503 },
    onPrimary: 2,
    answeredBy: B,
    rotations: [0, 1],
  },
  {
    name: 'connection reset',
    fault: { model: A, kind: 'connection_reset' },
    onPrimary: 2,
    answeredBy: B,
    rotations: [0, 1],
  },
  {
    name: 'no first token',
    fault: { model: A, kind: 'slow_first_token', delayMs: 60_000 },
    onPrimary: 1,
    answeredBy: B,
    rotations: [0, 1],
    options: { timeouts: { connectMs: 10_000, firstTokenMs: 5000, idleMs: 10_000 } },
  },
  {
    name: 'stream cut before content',
    fault: { model: A, kind: 'stream_cut', afterChunks: 0 },
    onPrimary: 2,
    answeredBy: B,
    rotations: [0, 1],
  },
  {
    name: 'stream without [DONE]',
    fault: { model: A, kind: 'missing_done' },
    onPrimary: 1,
    answeredBy: A,
    rotations: 0,
  },
  {
    name: '404 (model retired)',
    fault: { model: A, kind: 'model_gone' },
    onPrimary: 1,
    answeredBy: B,
    rotations: 1,
  },
];

const CONCURRENCY = [1, 10, 100, 200];
const rows: string[] = [];

describe('load matrix: one failing primary, healthy models behind it', () => {
  for (const c of CASES) {
    for (const stream of [false, true]) {
      for (const n of CONCURRENCY) {
        it(`${c.name} · ${stream ? 'streaming' : 'non-streaming'} · ${n} concurrent: every request succeeds within the bound`, async () => {
          const f = await start([c.fault], c.options);
          try {
            const outcomes = await Promise.all(Array.from({ length: n }, () => one(f.rotor, stream)));
            const failed = outcomes.filter((o) => !o.ok);
            expect(failed.map((o) => String(o.error))).toEqual([]);
            let maxAttempts = 0;
            for (const o of outcomes) {
              // What this client got: a whole answer from the expected model, no error chunk.
              expect(o.model).toBe(c.answeredBy);
              expect(o.text.length).toBeGreaterThan(0);
              expect(o.finish).toBe('stop');
              expect(o.errorChunk).toBe(false);
              const onA = o.attempts.filter((a) => a.model === A).length;
              const onB = o.attempts.filter((a) => a.model === B).length;
              expect(onA).toBeLessThanOrEqual(c.onPrimary);
              expect(onB).toBe(c.answeredBy === B ? 1 : 0);
              expect(o.attempts.some((a) => a.model === C)).toBe(false);
              maxAttempts = Math.max(maxAttempts, o.attempts.length);
            }
            // Every upstream attempt is one some client made: nothing hidden.
            const logged = f.sim.attempts().length;
            expect(logged).toBe(outcomes.reduce((sum, o) => sum + o.attempts.length, 0));

            const m = f.rotor.engine.metrics();
            const rotations = m.system.totalRotations;
            if (typeof c.rotations === 'number') expect(rotations).toBe(c.rotations);
            else {
              expect(rotations).toBeGreaterThanOrEqual(c.rotations[0]);
              expect(rotations).toBeLessThanOrEqual(c.rotations[1]);
            }
            for (const healthy of m.models.filter((x) => x.model !== A)) {
              expect(healthy).toMatchObject({
                consecutiveFailures: 0,
                consecutiveRateLimits: 0,
                breakerState: 'closed',
                cooldownUntilMs: null,
                failedRequests: 0,
              });
            }
            const primary = m.models.find((x) => x.model === A)!;
            if (c.oneRateLimitEvent) expect(primary.consecutiveRateLimits).toBe(1);
            rows.push(
              `| ${c.name} | ${stream ? 'yes' : 'no'} | ${n} | ${n - failed.length}/${n} | ${maxAttempts} | ${logged} | ${rotations} | ${primary.consecutiveFailures + primary.consecutiveRateLimits} |`,
            );
          } finally {
            await f.close();
          }
        });
      }
    }
  }
});

describe('the rotation failing as a whole', () => {
  it('every model 503: 200 concurrent requests each get a clean 503 with Retry-After; attempts bounded; the budget engages', async () => {
    const faults: FaultInput[] = [A, B, C].map((model) => ({ model, kind: 'server_error', status: 503 }));
    const f = await start(faults, { maxQueueWaitMs: 0 });
    try {
      const outcomes = await Promise.all(Array.from({ length: 200 }, () => one(f.rotor, false)));
      for (const o of outcomes) {
        expect(o.error).toBeInstanceOf(NoModelAvailableError);
        const wire = toWireError(o.error);
        expect(wire.status).toBe(503);
        expect(Number(wire.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        // One attempt per model at most, plus one same-model retry each: 6 = the cap.
        expect(o.attempts.length).toBeLessThanOrEqual(6);
      }
      const firstWave = f.sim.attempts().length;
      expect(firstWave).toBeLessThanOrEqual(200 * 6);
      // Same-model retries wanted: 3 per request; allowed: 20 % of 200 requests + 10/s × 10 s.
      const budget = f.rotor.status().retryBudget;
      expect(budget.refused).toBeGreaterThan(0);
      expect(budget.retriesInWindow).toBeLessThanOrEqual(140);
      // A second wave finds every model cooling or open: refused at once, no upstream storm.
      const second = await Promise.all(Array.from({ length: 200 }, () => one(f.rotor, false)));
      for (const o of second) expect(toWireError(o.error).status).toBe(503);
      expect(f.sim.attempts().length - firstWave).toBeLessThanOrEqual(3);
    } finally {
      await f.close();
    }
  });

  it('every model rate-limited: 429 with Retry-After, never a 502', async () => {
    const faults: FaultInput[] = [A, B, C].map((model) => ({ model, kind: 'upstream_rate_limit' }));
    const f = await start(faults, { maxQueueWaitMs: 0 });
    try {
      const outcomes = await Promise.all(Array.from({ length: 100 }, () => one(f.rotor, true)));
      for (const o of outcomes) {
        expect(o.error).toBeInstanceOf(RateLimitError);
        const wire = toWireError(o.error);
        expect(wire.status).toBe(429);
        expect(wire.body.error.code).toBe('rate_limit_exceeded');
        expect(Number(wire.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(o.attempts.length).toBeLessThanOrEqual(3);
      }
      // One rate-limit event per model, whatever the concurrency.
      for (const m of f.rotor.engine.metrics().models) expect(m.consecutiveRateLimits).toBe(1);
    } finally {
      await f.close();
    }
  });
});

describe('hostile clients cannot harm model health', () => {
  it('200 requests with 50 ms deadlines or aborted at random points, against a slow healthy model: zero health change', async () => {
    // Latency at full scale: the primary's first token takes ~0.9 s, longer than any of these clients waits.
    const f = await start([], {}, 1);
    try {
      const random = seededRandom(11);
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, (_, i) => {
          const stream = i % 2 === 0;
          if (i % 4 < 2) return one(f.rotor, stream, { deadlineMs: 50 });
          const ac = new AbortController();
          setTimeout(() => ac.abort(), Math.floor(random() * 400));
          return one(f.rotor, stream, { signal: ac.signal });
        }),
      );
      for (const [i, o] of outcomes.entries()) {
        expect(o.ok).toBe(false);
        expect(o.error).toBeInstanceOf(i % 4 < 2 ? DeadlineExceededError : CancelledError);
        for (const a of o.attempts) expect(a).toMatchObject({ outcome: 'cancelled', status: 499 });
      }
      for (const m of f.rotor.engine.metrics().models) {
        expect(m).toMatchObject({
          consecutiveFailures: 0,
          consecutiveRateLimits: 0,
          breakerState: 'closed',
          cooldownUntilMs: null,
          failedRequests: 0,
          slowStartLimit: null,
        });
      }
      expect(f.rotor.engine.metrics().system.totalRotations).toBe(0);
      // The model is fine: the next patient request is answered by the primary, first try.
      const after = await one(f.rotor, false);
      expect(after).toMatchObject({ ok: true, model: A });
      expect(after.attempts).toHaveLength(1);
    } finally {
      await f.close();
    }
  });
});

afterAll(() => {
  if (process.env.ROTOR_WRITE_LOAD_MATRIX !== '1' || rows.length === 0) return;
  const header = [
    '# Load matrix: one failing primary, healthy models behind it',
    '',
    'Written by `ROTOR_WRITE_LOAD_MATRIX=1 npx vitest run test/load-matrix.test.ts` (the same test runs in CI',
    'and asserts every row). Simulator over real sockets, latency scale 0.05 (errors take 3–30 ms), rotation',
    '[primary, second, third], first-token limit 10 s (5 s for "no first token"). "Max attempts" is the most any one request made;',
    '"counted" is the primary\'s counted failures or rate limits (one episode, one escalation).',
    '',
    '| fault on the primary | streaming | concurrent | succeeded | max attempts | upstream attempts | rotations | counted |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const path = fileURLToPath(new URL('../docs/load-matrix.md', import.meta.url));
  writeFileSync(path, `${[...header, ...rows].join('\n')}\n`);
  // The repository's formatter owns Markdown tables too (npm run lint checks it).
  spawnSync('npx', ['biome', 'format', '--write', path]);
});
