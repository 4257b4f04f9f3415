/**
 * The simulated demo (no OPENROUTER_API_KEY) lasts: by default its account has credits — 1,000
 * free requests a day, 20 a minute — so 60 requests in a row are all answered (the 21st of a
 * minute is held for the next minute, in virtual time here). `sim.freeTier` gives the 50-a-day
 * account, whose 51st request is refused: both sides of the boundary.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dayStartMs } from '../src/engine/account-quota.js';
import { ManualClock } from '../src/engine/clock.js';
import { type Gateway, startGateway } from '../src/server/gateway.js';
import { loadGatewayConfig } from '../src/server/gateway-config.js';
import { simulatedAccountLine } from '../src/server/serve-command.js';
import { drive } from './virtual-time.js';

// 00:10 UTC: virtual time may skip ahead hours (background polls) and still stay in the same day.
const START_MS = Date.UTC(2026, 7, 14, 0, 10);

let gateway: Gateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

async function demo(clock: ManualClock, sim: Record<string, unknown> = {}): Promise<Gateway> {
  const config = loadGatewayConfig({
    env: {},
    overrides: {
      server: { port: 0 },
      sim: { latencyScale: 0, ...sim },
      log: { level: 'silent' },
    } as never,
  });
  gateway = await startGateway(config, { clock });
  expect(gateway.simulated).toBe(true);
  return gateway;
}

async function ask(clock: ManualClock, g: Gateway, i: number) {
  const res = await drive(
    clock,
    fetch(`${g.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: `question ${i}` }] }),
    }),
  );
  return { status: res.status, body: (await res.json()) as Record<string, never> };
}

interface SimulatedAccount {
  hasCredits: boolean;
  minute: { limit: number };
  day: { limit: number; used: number };
}

async function simulatedAccount(g: Gateway): Promise<SimulatedAccount> {
  const status = (await (await fetch(`${g.url}/v1/rotor/status`)).json()) as {
    rotor: { simulatedAccount: SimulatedAccount };
  };
  return status.rotor.simulatedAccount;
}

describe('the simulated demo lasts', () => {
  it('answers 60 requests in a row on the default account with credits (1,000 a day, 20 a minute)', async () => {
    const clock = new ManualClock(START_MS);
    const g = await demo(clock);
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await ask(clock, g, i)).status);
    expect(statuses).toEqual(Array(60).fill(200));
    // Still the same UTC day: the daily limit, not a day rollover, let them through.
    expect(dayStartMs(clock.now())).toBe(dayStartMs(START_MS));
    // Past one minute's 20: the 21st waited for the next minute instead of being refused.
    expect(clock.now() - START_MS).toBeGreaterThanOrEqual(2 * 60_000);
    const account = await simulatedAccount(g);
    expect(account).toMatchObject({
      hasCredits: true,
      minute: { limit: 20 },
      day: { limit: 1000, used: 60 },
    });
    expect(simulatedAccountLine(account as never)).toBe(
      'Simulated account with credits: 1,000 free requests a day, 20 a minute (--sim-free-tier: 50 a day).',
    );
  });

  it('sim.freeTier is the 50-a-day account: the 50th request is answered, the 51st refused until 00:00 UTC', async () => {
    const clock = new ManualClock(START_MS);
    const g = await demo(clock, { freeTier: true });
    for (let i = 0; i < 50; i++) expect((await ask(clock, g, i)).status, `request ${i + 1}`).toBe(200);
    const refused = await ask(clock, g, 50);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: { code: 'quota_exhausted' } });
    expect(dayStartMs(clock.now())).toBe(dayStartMs(START_MS));
    expect(await simulatedAccount(g)).toMatchObject({ hasCredits: false, day: { limit: 50 } });
  });
});
