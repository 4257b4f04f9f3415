/**
 * The request loop's coordinator hook, with a scripted coordinator (no Redis): a shared-quota
 * denial becomes an account block (wait or 429, never an upstream call), a probe held elsewhere
 * sends the request to the next model, and a withdrawn attempt leaves no trace in the counts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../src/engine/random.js';
import { SEED_ROTATION_ORDER } from '../src/engine/seed-defaults.js';
import { RateLimitError } from '../src/errors.js';
import type {
  AdmissionRequest,
  AdmissionVerdict,
  AttemptCoordinator,
} from '../src/router/attempt-coordinator.js';
import { createRotor, type Rotor } from '../src/router/create-rotor.js';
import { type Simulator, startSimulator } from '../src/sim/index.js';

const [A, B] = SEED_ROTATION_ORDER as [string, string];
const hello = { model: 'auto', messages: [{ role: 'user', content: 'hello' }] };
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

class ScriptedCoordinator implements AttemptCoordinator {
  readonly asked: AdmissionRequest[] = [];
  constructor(private readonly answer: (request: AdmissionRequest, n: number) => AdmissionVerdict) {}
  async admit(request: AdmissionRequest): Promise<AdmissionVerdict> {
    this.asked.push(request);
    return this.answer(request, this.asked.length);
  }
}

async function setup(
  coordinator: AttemptCoordinator,
  options: object = {},
): Promise<{ sim: Simulator; rotor: Rotor }> {
  const sim = await startSimulator({ latencyScale: 0, seed: 51 });
  const rotor = createRotor(
    {
      upstreams: [{ id: 'openrouter', baseUrl: sim.url, apiKey: 'sk-test' }],
      rotation: [A, B],
      timeouts: { connectMs: 1000, firstTokenMs: 1000, idleMs: 1000 },
      ...options,
    },
    { random: seededRandom(1), coordinator },
  );
  cleanups.push(async () => {
    await rotor.close();
    await sim.close();
  });
  return { sim, rotor };
}

describe('the coordinator hook of the request loop', () => {
  it('asks once per attempt with what it needs to know', async () => {
    const coordinator = new ScriptedCoordinator(() => ({ ok: true }));
    const { rotor } = await setup(coordinator);
    await rotor.chat(hello);
    expect(coordinator.asked).toEqual([{ model: A, account: 'openrouter', isProbe: false, free: true }]);
  });

  it('a shared daily quota spent: 429 at once, nothing sent upstream, no count kept locally', async () => {
    const midnight = (Math.floor(Date.now() / 86_400_000) + 1) * 86_400_000;
    const coordinator = new ScriptedCoordinator(() => ({
      ok: false,
      reason: 'account_quota',
      scope: 'account_day',
      untilMs: midnight,
    }));
    const { sim, rotor } = await setup(coordinator);
    const err = await rotor.chat(hello).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).message).toMatch(
      /daily free-model quota spent \(shared by all replicas\)/,
    );
    expect(sim.attempts()).toEqual([]);
    expect(coordinator.asked).toHaveLength(1); // the block stops the rest without asking again
    const account = rotor.engine.metrics().system.accounts[0]!;
    expect(account).toMatchObject({
      blockedScope: 'account_day',
      blockedUntilMs: midnight,
      minuteUsed: 0,
      dayUsed: 0,
    });
    expect(rotor.engine.metrics().models.every((m) => m.cancelledRequests === 0)).toBe(true);
  });

  it('a shared per-minute quota spent: the request waits for the next window when its deadline allows', async () => {
    const coordinator = new ScriptedCoordinator((_, n) =>
      n === 1
        ? { ok: false, reason: 'account_quota', scope: 'account_minute', untilMs: Date.now() + 150 }
        : { ok: true },
    );
    const { sim, rotor } = await setup(coordinator);
    const result = await rotor.chat(hello);
    expect(result.rotor.waitedMs).toBeGreaterThanOrEqual(100);
    expect(result.rotor.model).toBe(A);
    expect(sim.attempts()).toHaveLength(1);
  });

  it('a probe held by another replica: this request uses the next model at once', async () => {
    const coordinator = new ScriptedCoordinator((r) =>
      r.model === A ? { ok: false, reason: 'probe_taken', untilMs: Date.now() + 30_000 } : { ok: true },
    );
    const { sim, rotor } = await setup(coordinator);
    const result = await rotor.chat(hello);
    expect(result.rotor.model).toBe(B);
    expect(result.rotor.waitedMs).toBe(0);
    expect(sim.attempts().map((a) => a.model)).toEqual([B]);
  });

  it('every candidate held elsewhere: polls until one frees, within the deadline', async () => {
    const coordinator = new ScriptedCoordinator((_, n) =>
      n <= 4 ? { ok: false, reason: 'probe_taken' } : { ok: true },
    );
    const { sim, rotor } = await setup(coordinator, { busyPollMs: 20 });
    const result = await rotor.chat(hello);
    expect(result.rotor.waitedMs).toBeGreaterThanOrEqual(20);
    expect(sim.attempts()).toHaveLength(1);
  });
});
