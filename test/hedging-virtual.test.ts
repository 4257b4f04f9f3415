/**
 * Hedging over `VirtualTransport` (the world of the routing benchmarks): the loser of a hedge race
 * stops at once — no sleep of it is left pending, its record ends `cancelled` at the instant the
 * race was decided — and it counts neither as a success nor as a failure of its model.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/engine/clock.js';
import { seededRandom } from '../src/engine/random.js';
import { createRotor } from '../src/router/create-rotor.js';
import { type VirtualFault, VirtualTransport } from '../src/sim/virtual-transport.js';
import { drive } from './virtual-time.js';

const A = 'primary/model:free';
const B = 'fallback/model:free';
const hello = { model: 'auto', messages: [{ role: 'user' as const, content: 'hi' }] };

function setup(faults: VirtualFault[]) {
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 12));
  const transport = new VirtualTransport({
    clock,
    models: [
      { id: A, ttftMs: 400, tokensPerSecond: 100 },
      { id: B, ttftMs: 500, tokensPerSecond: 100 },
    ],
    faults,
    account: { freeLimits: false },
    completionTokens: 10,
  });
  const rotor = createRotor(
    {
      upstreams: [{ id: 'openrouter', baseUrl: 'http://virtual.invalid/api/v1', apiKey: 'k' }],
      rotation: [A, B],
      // 1 s expected → 1.5 s → the 2 s floor: the hedge delay before any sample is learned.
      models: [A, B].map((id) => ({ id, expectedLatencyMs: 1000 })),
      engine: { quota: { freeRequestsPerMinute: 0 } },
    },
    { clock, random: seededRandom(3), transport },
  );
  return { clock, transport, rotor };
}

async function streamed(clock: ManualClock, rotor: ReturnType<typeof setup>['rotor']) {
  const started = clock.now();
  const stream = rotor.chatStream(hello);
  let firstContentMs: number | undefined;
  const models = new Set<string>();
  await drive(
    clock,
    (async () => {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content) {
          firstContentMs ??= clock.now() - started;
          models.add(chunk.model);
        }
      }
    })(),
  );
  return { firstContentMs, models: [...models], attempts: stream.run.attempts, started };
}

describe('a hedge race over VirtualTransport', () => {
  it('a 20 s first token on the primary is hedged at 2 s; the primary stops at once, cancelled, no verdict', async () => {
    // Nine quick answers within the last minute (the 10 % share needs nine attempts in its 60 s
    // window), then the primary turns slow.
    const slowFromMs = 60_000;
    const { clock, transport, rotor } = setup([
      { kind: 'slow_first_token', model: A, fromMs: slowFromMs, toMs: 120_000, delayMs: 20_000 },
    ]);
    await clock.advanceTo(transport.originMs + slowFromMs - 10_000);
    for (let i = 0; i < 9; i++) await streamed(clock, rotor);
    await clock.advanceTo(transport.originMs + slowFromMs);

    const r = await streamed(clock, rotor);
    expect(r.firstContentMs).toBe(2000 + 500);
    expect(r.models).toEqual([B]);
    expect(r.attempts.map((a) => [a.model, a.outcome])).toEqual([
      [A, 'cancelled'],
      [B, 'success'],
    ]);
    const [loser, winner] = transport.attempts().slice(-2);
    expect(loser).toMatchObject({ model: A, outcome: 'cancelled', endMs: slowFromMs + 2500 });
    expect(winner).toMatchObject({ model: B, outcome: 'ok', endMs: slowFromMs + 2000 + 600 });
    // The loser's 20 s wait was dropped, not left to run out.
    expect(clock.pendingSleeps).toBe(0);
    const primary = rotor.engine.metrics().models.find((m) => m.model === A)!;
    expect(primary).toMatchObject({ failedRequests: 0, consecutiveFailures: 0, cancelledRequests: 1 });
    expect(primary.successfulRequests).toBe(9);
    expect(rotor.status().hedging).toMatchObject({ started: 1, won: 1, wasted: 0 });
  });
});
