/**
 * The pool against the simulator speaking real providers (Groq, Gemini) over sockets, in virtual
 * time: discovered from the simulator's key and base-URL variables exactly as a user's
 * environment would be. Pacing keeps rotor under a provider's window so no 429 is collected; a
 * provider's spent day (Gemini's, counted per model, reset at midnight in Los Angeles — not at
 * the "retry in 20 s" its 429 says) moves traffic to the next provider at once and that provider
 * is not asked again until its reset; with every provider spent the answer is 429 with
 * `Retry-After` = the earliest reset across providers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/engine/clock.js';
import { type Gateway, startGateway } from '../src/server/gateway.js';
import { loadGatewayConfig } from '../src/server/gateway-config.js';
import { type Simulator, simulatedProviderEnv, startSimulator } from '../src/sim/index.js';

/** Thursday 2026-01-15 12:00 UTC: 04:00 in Los Angeles (UTC−8), whose next midnight is 08:00 UTC tomorrow. */
const NOON = Date.UTC(2026, 0, 15, 12, 0, 0);
const LA_MIDNIGHT = Date.UTC(2026, 0, 16, 8, 0, 0);
const GEMINI = 'gemini:gemini-2.5-flash';
const GROQ = 'groq:openai/gpt-oss-120b';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pool(simProviders: Record<string, unknown>): Promise<{
  clock: ManualClock;
  sim: Simulator;
  gateway: Gateway;
  chat(): Promise<Response>;
}> {
  const clock = new ManualClock(NOON);
  const sim = await startSimulator({
    clock,
    latencyScale: 0,
    seed: 9,
    providers: ['groq', 'gemini'],
    scenario: { providers: simProviders } as never,
  });
  const config = loadGatewayConfig({
    env: {},
    overrides: {
      server: { port: 0 },
      rotation: { order: [GEMINI, GROQ] },
      timeouts: { connectMs: 1000, firstTokenMs: 2000, idleMs: 2000 },
      quota: { keyPollMs: 0 },
      log: { level: 'silent' },
    } as never,
  });
  const gateway = await startGateway(config, { clock, env: simulatedProviderEnv(sim.providers()) });
  cleanups.push(async () => {
    await gateway.close();
    await sim.close();
  });
  return {
    clock,
    sim,
    gateway,
    chat: () =>
      fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hello' }] }),
      }),
  };
}

describe('pooled providers against the provider simulator', () => {
  it("pacing: Gemini's 5 requests a minute are sent, the 6th goes to Groq without collecting a 429", async () => {
    const p = await pool({});
    expect(p.gateway.providers.joined.map((j) => j.id)).toEqual(['groq', 'gemini']);
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      const res = await p.chat();
      statuses.push([
        res.status,
        res.headers.get('x-rotor-model') ?? '',
        res.headers.get('x-rotor-attempts'),
      ]);
    }
    expect(statuses.slice(0, 5).every(([s, , n]) => s === 200 && n === '1')).toBe(true);
    expect(statuses[5]).toEqual([200, expect.stringMatching(/gpt-oss-120b/), '1']);
    expect(p.sim.attempts().filter((a) => a.status === 429)).toEqual([]);
  });

  it("Gemini's day spent: Groq serves at once, and Gemini is not asked again until midnight in Los Angeles", async () => {
    const p = await pool({ gemini: { limits: { requests_day: 2 } } });
    expect((await p.chat()).headers.get('x-rotor-attempts')).toBe('1');
    await p.clock.advance(20_000); // past Gemini's per-minute pacing
    expect((await p.chat()).headers.get('x-rotor-attempts')).toBe('1');
    await p.clock.advance(20_000);
    const moved = await p.chat();
    expect(moved.status).toBe(200);
    expect(moved.headers.get('x-rotor-attempts')).toBe('2'); // Gemini's 429, then Groq at once
    const geminiAttempts = p.sim.attempts().length - 1;
    expect(p.sim.attempts().at(-2)!.status).toBe(429);

    for (let i = 0; i < 3; i++) {
      await p.clock.advance(20_000);
      const res = await p.chat();
      expect([res.status, res.headers.get('x-rotor-attempts')]).toEqual([200, '1']);
    }
    // Four answers from Groq since: Gemini was not asked again.
    expect(p.sim.attempts().length).toBe(geminiAttempts + 1 + 3);

    // Gemini's 429 said "retry in" seconds; its day really ends at midnight Pacific.
    const status = (await (await fetch(`${p.gateway.url}/v1/rotor/status`)).json()) as {
      providers: {
        joined: Array<{ id: string; quotas: Array<{ window: string; blockedUntilMs: number | null }> }>;
      };
    };
    const gemini = status.providers.joined.find((j) => j.id === 'gemini')!;
    expect(gemini.quotas.find((q) => q.window === 'requests_day')?.blockedUntilMs).toBe(LA_MIDNIGHT);

    await p.clock.advanceTo(LA_MIDNIGHT + 1000);
    const back = await p.chat();
    expect([back.status, back.headers.get('x-rotor-attempts')]).toEqual([200, '1']);
    expect(p.sim.attempts().at(-1)!.model).toBe('gemini-2.5-flash');
  });

  it('every provider spent: 429 quota_exhausted with Retry-After = the earliest reset across providers', async () => {
    // Groq: 3 requests a day per model, refilling continuously (one every 8 h); Gemini: 1 a day.
    const p = await pool({ groq: { limits: { requests_day: 3 } }, gemini: { limits: { requests_day: 1 } } });
    const served = [];
    for (let i = 0; i < 5; i++) served.push((await p.chat()).status);
    expect(served.slice(0, 4)).toEqual([200, 200, 200, 200]); // Gemini once, then Groq three times
    expect(served[4]).toBe(429);
    const res = await p.chat();
    expect(res.status).toBe(429);
    // Groq refills one request in 86,400 s / 3 = 8 h, before Gemini's midnight in Los Angeles (20 h).
    expect(res.headers.get('retry-after')).toBe(String(86_400 / 3));
    expect(res.headers.get('x-should-retry')).toBe('false');
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toBe('quota_exhausted');
    // Groq's headers taught its daily figure: rotor never collected a Groq 429.
    expect(
      p.sim
        .attempts()
        .filter((a) => a.status === 429)
        .map((a) => a.model),
    ).toEqual(['gemini-2.5-flash']);
  });
});
