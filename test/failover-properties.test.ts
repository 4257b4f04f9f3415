/**
 * The failover invariant, in virtual time over any interleaving: while a healthy model can serve a
 * request, concurrent failures on other models cannot make that request fail — and each request
 * pays at most one attempt per failing model it touched, plus the contract's single same-model
 * retry for a 5xx or a reset. Requests arrive at random times, failures take random time, so the
 * orders in which failures, cooldowns, budgets and admissions meet are fast-check's to choose.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChatCompletionChunk } from '../src/chat/chat-types.js';
import { ManualClock } from '../src/engine/clock.js';
import type { Failure } from '../src/engine/failure.js';
import { seededRandom } from '../src/engine/random.js';
import { createRotor } from '../src/router/create-rotor.js';
import type { ChatTransport, TransportRequest } from '../src/upstream/chat-transport.js';
import { UpstreamFailure } from '../src/upstream/chat-transport.js';
import { drive } from './virtual-time.js';

const MODELS = ['m/a:free', 'm/b:free', 'm/c:free', 'm/d:free'];
const hello = { model: 'auto', messages: [{ role: 'user', content: 'hi' }] };

/** Failures a model can cause by itself (not the request's, not the account's), with whether a same-model retry is allowed. */
const modelFailures: Array<[Failure, number]> = [
  [{ kind: 'server_error', message: '503', status: 503 }, 2],
  [{ kind: 'server_error', message: 'error in a 200', status: 200 }, 2],
  [{ kind: 'network', message: 'reset' }, 2],
  [{ kind: 'timeout', phase: 'first_token', message: 'silent' }, 1],
  [{ kind: 'timeout', phase: 'idle', message: 'stalled before content' }, 2],
  [{ kind: 'rate_limit', scope: 'model', message: '429' }, 1],
  [{ kind: 'rate_limit', scope: 'model', message: '429 with hint', retryAfterMs: 30_000 }, 1],
  [{ kind: 'model_not_found', message: 'gone', status: 404 }, 1],
];

/** Each model's behaviour: the healthy one answers; every other fails in its own way, every time. */
class FaultyModels implements ChatTransport {
  calls = 0;
  constructor(
    private readonly clock: ManualClock,
    private readonly healthy: string,
    private readonly faults: Map<string, Failure>,
    private readonly latency: () => number,
  ) {}

  async openStream(req: TransportRequest): Promise<AsyncIterable<ChatCompletionChunk>> {
    this.calls++;
    await this.clock.sleep(this.latency(), req.signal);
    const failure = req.model === this.healthy ? undefined : this.faults.get(req.model);
    if (failure) throw new UpstreamFailure({ ...failure });
    const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finish: string | null) => ({
      id: 'gen-1',
      object: 'chat.completion.chunk' as const,
      created: 0,
      model: req.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    return (async function* () {
      yield chunk({ role: 'assistant', content: '' }, null);
      yield chunk({ content: 'ok' }, null);
      yield chunk({}, 'stop');
    })();
  }
}

describe('a request that a healthy model could serve is served, under any interleaving', () => {
  it('holds for random faults, arrival times, latencies and concurrency (virtual time)', async () => {
    await fc.assert(
      fc.asyncProperty(
        // The healthy model: at most two failing models before it, so the cap (6) reaches it even
        // if both cost their same-model retry.
        fc.integer({ min: 0, max: 2 }),
        fc.array(fc.integer({ min: 0, max: modelFailures.length - 1 }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        async (healthyIndex, faultPicks, arrivalsMs, seed) => {
          const clock = new ManualClock(Date.UTC(2026, 10, 30, 12));
          const healthy = MODELS[healthyIndex]!;
          const faults = new Map(MODELS.map((m, i) => [m, modelFailures[faultPicks[i]!]![0]]));
          const latencyRandom = seededRandom(seed);
          const transport = new FaultyModels(clock, healthy, faults, () => Math.floor(latencyRandom() * 800));
          const rotor = createRotor(
            {
              upstreams: [{ id: 'openrouter', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'k' }],
              rotation: MODELS,
              engine: { quota: { freeRequestsPerMinute: 0 } },
              // A tight retry budget that the bursts below do spend: failover must not need it.
              retryBudget: { minRetriesPerSecond: 1, percentOfRequests: 10 },
            },
            { clock, random: seededRandom(seed + 1), transport },
          );
          const requests = arrivalsMs.map(async (atMs) => {
            await clock.sleep(atMs);
            return rotor.chat(hello);
          });
          const results = await drive(clock, Promise.allSettled(requests));
          for (const r of results) {
            if (r.status === 'rejected') throw new Error(`a request failed: ${String(r.reason)}`);
            const answer = r.value;
            expect(answer.rotor.model).toBe(healthy);
            expect(answer.choices[0]?.message.content).toBe('ok');
            for (const m of MODELS) {
              if (m === healthy) continue;
              const on = answer.rotor.attempts.filter((a) => a.model === m).length;
              expect(on).toBeLessThanOrEqual(modelFailures[faultPicks[MODELS.indexOf(m)]!]![1]);
            }
            expect(answer.rotor.attempts.filter((a) => a.model === healthy)).toHaveLength(1);
          }
          const h = rotor.engine.metrics().models.find((m) => m.model === healthy)!;
          expect(h).toMatchObject({ consecutiveFailures: 0, breakerState: 'closed', cooldownUntilMs: null });
          await rotor.close();
        },
      ),
      { numRuns: 150, seed: 20261130 },
    );
  });
});
