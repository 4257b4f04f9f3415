/**
 * Reliability promises of the request loop, in virtual time with a scripted in-process transport:
 * bounded attempts and one deadline (property test over random failure sequences), no retry
 * storms under total failure, and only the right errors rotate or count against a model (every
 * fixture body, classified by the real classifier).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChatCompletionChunk, ChunkDelta } from '../src/chat/chat-types.js';
import { ManualClock } from '../src/engine/clock.js';
import type { Failure } from '../src/engine/failure.js';
import { seededRandom } from '../src/engine/random.js';
import { RateLimitError, RotorError } from '../src/errors.js';
import { createRotor } from '../src/router/create-rotor.js';
import type { RotorOptionsInput } from '../src/router/rotor-options.js';
import { classifyHttpError } from '../src/upstream/classify.js';
import {
  type ChatTransport,
  type TransportRequest,
  UpstreamFailure,
} from '../src/upstream/upstream-client.js';
import { sharedFixturesDir } from './shared-fixtures.js';
import { drive } from './virtual-time.js';

const MODELS = ['m/a:free', 'm/b:free', 'm/c:free', 'm/d:free'];
const hello = { model: 'auto', messages: [{ role: 'user', content: 'hi' }] };

type Outcome = { ok: true; latencyMs: number } | { ok: false; failure: Failure; latencyMs: number };

/** A transport that answers from a script, waiting on the injected clock. */
class ScriptedTransport implements ChatTransport {
  readonly calls: Array<{ model: string; atMs: number }> = [];
  constructor(
    private readonly clock: ManualClock,
    private readonly next: (req: TransportRequest, n: number) => Outcome,
  ) {}

  async openStream(req: TransportRequest): Promise<AsyncIterable<ChatCompletionChunk>> {
    this.calls.push({ model: req.model, atMs: this.clock.now() });
    const outcome = this.next(req, this.calls.length - 1);
    await this.clock.sleep(outcome.latencyMs, req.signal);
    if (!outcome.ok) throw new UpstreamFailure(outcome.failure);
    const chunk = (delta: ChunkDelta, finish: string | null): ChatCompletionChunk => ({
      id: 'x',
      object: 'chat.completion.chunk',
      created: 0,
      model: req.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    return (async function* () {
      yield chunk({ role: 'assistant', content: 'ok' }, null);
      yield chunk({}, 'stop');
    })();
  }
}

function rotorWith(
  transport: (clock: ManualClock) => ChatTransport,
  options: Partial<RotorOptionsInput> = {},
) {
  const clock = new ManualClock(Date.UTC(2026, 7, 14, 12));
  const t = transport(clock);
  const rotor = createRotor(
    {
      upstreams: [{ id: 'openrouter', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'k' }],
      rotation: MODELS,
      engine: { quota: { freeRequestsPerMinute: 0 } },
      ...options,
    },
    { clock, random: seededRandom(5), transport: t },
  );
  return { clock, rotor, transport: t };
}

const failureArb: fc.Arbitrary<Failure> = fc.oneof(
  fc.constant<Failure>({ kind: 'server_error', message: '503', status: 503 }),
  fc.constant<Failure>({ kind: 'network', message: 'reset' }),
  fc.constant<Failure>({ kind: 'timeout', phase: 'first_token', message: 'silent' }),
  fc.constant<Failure>({ kind: 'timeout', phase: 'idle', message: 'stall' }),
  fc.constant<Failure>({ kind: 'rate_limit', scope: 'model', message: '429' }),
  fc
    .integer({ min: 0, max: 200_000 })
    .map<Failure>((ms) => ({ kind: 'rate_limit', scope: 'model', message: '429', retryAfterMs: ms })),
  fc.constant<Failure>({ kind: 'rate_limit', scope: 'account_minute', message: 'per-min' }),
  fc.constant<Failure>({ kind: 'model_not_found', message: 'gone', status: 404 }),
  fc.constant<Failure>({ kind: 'context_length', message: 'long', status: 400 }),
  fc.constant<Failure>({ kind: 'request_error', message: 'bad', status: 400 }),
  fc.constant<Failure>({ kind: 'server_error', message: 'error in 200', status: 200 }),
);
const outcomeArb: fc.Arbitrary<Outcome> = fc.oneof(
  fc.record({ ok: fc.constant(true as const), latencyMs: fc.integer({ min: 0, max: 20_000 }) }),
  fc.record({
    ok: fc.constant(false as const),
    failure: failureArb,
    latencyMs: fc.integer({ min: 0, max: 40_000 }),
  }),
);

describe('bounded attempts and one deadline', () => {
  it('for any failure sequence: attempts ≤ the cap, time ≤ the deadline, and a clean answer or a RotorError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(outcomeArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 5_000, max: 120_000 }),
        async (script, maxRetries, deadlineMs) => {
          const { clock, rotor, transport } = rotorWith(
            (c) => new ScriptedTransport(c, (_req, n) => script[n % script.length]!),
            { engine: { retry: { maxRetries }, quota: { freeRequestsPerMinute: 0 } }, deadlineMs },
          );
          for (let r = 0; r < 3; r++) {
            const before = (transport as ScriptedTransport).calls.length;
            const startedMs = clock.now();
            const result = await drive(clock, rotor.chat(hello)).catch((e: unknown) => e);
            const made = (transport as ScriptedTransport).calls.length - before;
            expect(made).toBeLessThanOrEqual(maxRetries + 1);
            expect(clock.now() - startedMs).toBeLessThanOrEqual(deadlineMs + 40_000 + 1);
            // No attempt may start after the deadline.
            for (const call of (transport as ScriptedTransport).calls.slice(before)) {
              expect(call.atMs).toBeLessThan(startedMs + deadlineMs);
            }
            if (result instanceof Error) expect(result).toBeInstanceOf(RotorError);
            else expect((result as { choices: unknown[] }).choices).toHaveLength(1);
          }
          await rotor.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('no retry storms', () => {
  it('under 100 % upstream failure, upstream attempts stay within a small factor of incoming requests, and open breakers send nothing', async () => {
    const { clock, rotor, transport } = rotorWith(
      (c) =>
        new ScriptedTransport(c, () => ({
          ok: false,
          failure: { kind: 'server_error', message: '503', status: 503 },
          latencyMs: 50,
        })),
    );
    const requests = 200;
    let answered = 0;
    for (let i = 0; i < requests; i++) {
      await drive(clock, rotor.chat(hello)).catch(() => undefined);
      answered++;
      await clock.advance(100); // ~10 requests per second, in virtual time
    }
    const calls = (transport as ScriptedTransport).calls;
    expect(answered).toBe(requests);
    expect(calls.length).toBeLessThan(requests * 1.5);
    // While a model's breaker is open, it receives nothing.
    for (const model of MODELS) {
      const times = calls.filter((c) => c.model === model).map((c) => c.atMs);
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      expect(Math.max(...gaps)).toBeGreaterThanOrEqual(24_000); // open ≥ 30 s −20 % jitter
    }
  });
});

describe('only the right errors rotate or count against a model', () => {
  const dir = join(sharedFixturesDir(), 'errors');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  const synthetic: Array<[string, number, string]> = [
    ['400 bad request', 400, '{"error":{"code":400,"message":"Invalid value for temperature"}}'],
    [
      '400 context length',
      400,
      '{"error":{"code":400,"message":"maximum context length is 8192","metadata":{"error_type":"context_length_exceeded"}}}',
    ],
    ['401 invalid key', 401, '{"error":{"code":401,"message":"No auth credentials found"}}'],
    [
      '403 moderation',
      403,
      '{"error":{"code":403,"message":"flagged","metadata":{"reasons":["harassment"]}}}',
    ],
    ['404 gone', 404, '{"error":{"code":404,"message":"No endpoints found for m/a:free."}}'],
    ['413 too large', 413, '{"error":{"code":413,"message":"too large"}}'],
    ['500', 500, '{"error":{"code":500,"message":"Internal Server Error"}}'],
    ['502', 502, '{"error":{"code":502,"message":"Provider returned error"}}'],
    ['503', 503, '{"error":{"code":503,"message":"No instances available"}}'],
  ];
  const cases: Array<[string, number, string]> = [
    ...files.map((f): [string, number, string] => {
      const fixture = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { status: number; body: unknown };
      return [f, fixture.status, JSON.stringify(fixture.body)];
    }),
    ...synthetic,
  ];

  for (const [name, status, body] of cases) {
    it(`${name}`, async () => {
      let n = 0;
      const { clock, rotor } = rotorWith(
        (c) =>
          new ScriptedTransport(c, () => {
            n++;
            if (n > 1) return { ok: true, latencyMs: 10 };
            return {
              ok: false,
              failure: classifyHttpError(status === 200 ? 502 : status, {}, body, c.now()),
              latencyMs: 10,
            };
          }),
      );
      const failure = classifyHttpError(status === 200 ? 502 : status, {}, body, clock.now());
      const result = await drive(clock, rotor.chat(hello)).catch((e: unknown) => e);
      const primary = rotor.engine.metrics().models[0]!;
      const clientFault =
        failure.kind === 'request_error' || failure.kind === 'auth' || failure.kind === 'credits';
      if (clientFault) {
        // Returned at once, never retried, never held against the model.
        expect(result).toBeInstanceOf(RotorError);
        expect(n).toBe(1);
        expect(primary.consecutiveFailures).toBe(0);
        expect(primary.breakerState).toBe('closed');
        expect(rotor.engine.unavailability(MODELS[0]!)).toBeUndefined();
      } else if (failure.kind === 'rate_limit' && failure.scope === 'account_day') {
        // The daily quota is spent for every free model: one attempt, then a 429 with the reset.
        expect(result).toBeInstanceOf(RateLimitError);
        expect((result as RateLimitError).retryAfterMs).toBeGreaterThan(0);
        expect(n).toBe(1);
        expect(primary.consecutiveRateLimits).toBe(0);
      } else {
        expect(result).not.toBeInstanceOf(Error);
        if (failure.kind === 'rate_limit' && failure.scope !== 'model') {
          // Account-wide: the model is not blamed; the whole account waits.
          expect(primary.consecutiveRateLimits).toBe(0);
        }
        if (failure.kind === 'context_length' || failure.kind === 'unsupported') {
          expect(primary.consecutiveFailures).toBe(0);
          expect(rotor.engine.unavailability(MODELS[0]!)).toBeUndefined();
        }
      }
      await rotor.close();
    });
  }
});
