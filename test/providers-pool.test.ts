/**
 * Pooled providers over real sockets: a gateway with OpenRouter plus two providers added through
 * the config's `providers:` (rotor.yaml can add providers), each a simulator instance of its own,
 * discovered from their key variables. A provider's spent day moves traffic to the next provider
 * at once and the spent one is not asked again until its reset; with every provider spent the
 * answer is 429 with `Retry-After` = the earliest reset across providers. Virtual time: one
 * `ManualClock` drives the gateway and the three simulators.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/engine/clock.js';
import { SEED_ROTATION_ORDER } from '../src/engine/seed-defaults.js';
import { type Gateway, startGateway } from '../src/server/gateway.js';
import { loadGatewayConfig } from '../src/server/gateway-config.js';
import { type Simulator, startSimulator } from '../src/sim/index.js';
import { parsePrometheus, postJson } from './gateway-helpers.js';

const MODEL = SEED_ROTATION_ORDER[0]!;
/** Thursday 2026-01-15 12:00 UTC: winter, Los Angeles is UTC−8, Tokyo UTC+9. */
const NOON = Date.UTC(2026, 0, 15, 12, 0, 0);
const LA_MIDNIGHT = Date.UTC(2026, 0, 16, 8, 0, 0);
const TOKYO_MIDNIGHT = Date.UTC(2026, 0, 15, 15, 0, 0);

/** A provider whose free day is counted per account and resets at midnight in `timeZone`. */
function simProvider(name: string, sim: Simulator, timeZone: string) {
  return {
    name,
    base_url: sim.url,
    key_env: [`${name.toUpperCase()}_API_KEY`],
    rotation: [MODEL],
    limits: [{ window: 'requests_day', per: 'account', reset: { rule: 'fixed', time_zone: timeZone } }],
    errors: [
      {
        when: { status: 429, text: 'free-models-per-day' },
        kind: 'rate_limit',
        window: 'requests_day',
        per: 'account',
      },
    ],
  };
}

interface Pool {
  clock: ManualClock;
  gateway: Gateway;
  openrouter: Simulator;
  alpha: Simulator;
  beta: Simulator;
  chat(): Promise<Response>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pool(): Promise<Pool> {
  const clock = new ManualClock(NOON);
  const sim = () => startSimulator({ clock, latencyScale: 0, seed: 3, hasCredits: false, scenario: {} });
  const [openrouter, alpha, beta] = await Promise.all([sim(), sim(), sim()]);
  const config = loadGatewayConfig({
    env: {},
    overrides: {
      server: { port: 0 },
      upstream: { baseUrl: openrouter.url, apiKey: 'sk-or-test' },
      providers: {
        alpha: simProvider('alpha', alpha, 'America/Los_Angeles'),
        beta: simProvider('beta', beta, 'Asia/Tokyo'),
      },
      rotation: { order: [`alpha:${MODEL}`, `beta:${MODEL}`, MODEL] },
      timeouts: { connectMs: 1000, firstTokenMs: 2000, idleMs: 2000 },
      quota: { keyPollMs: 0 },
      reconcile: { enabled: false },
      log: { level: 'silent' },
    } as never,
  });
  const gateway = await startGateway(config, {
    clock,
    env: { ALPHA_API_KEY: 'sk-alpha', BETA_API_KEY: 'sk-beta' },
  });
  cleanups.push(async () => {
    await gateway.close();
    await Promise.all([openrouter.close(), alpha.close(), beta.close()]);
  });
  const chat = () =>
    fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hello' }] }),
    });
  return { clock, gateway, openrouter, alpha, beta, chat };
}

describe('pooled providers over sockets', () => {
  it('joins the providers whose keys are set, and says why the others stay out', async () => {
    const p = await pool();
    expect(p.gateway.simulated).toBe(false);
    expect(p.gateway.providers.joined.map((j) => [j.id, j.keySource])).toEqual([
      ['alpha', 'ALPHA_API_KEY'],
      ['beta', 'BETA_API_KEY'],
    ]);
    expect(p.gateway.providers.skipped).toContainEqual({ id: 'groq', reason: 'no key: set GROQ_API_KEY' });
  });

  it("one provider's day spent: the next provider serves at once, and the spent one is not asked again until its reset", async () => {
    const p = await pool();
    p.alpha.setAccount({ dayUsed: 50 });
    const first = await p.chat();
    expect(first.status).toBe(200);
    expect(first.headers.get('x-rotor-attempts')).toBe('2');
    expect(p.alpha.attempts()).toHaveLength(1);
    expect(p.beta.attempts()).toHaveLength(1);

    for (let i = 0; i < 3; i++) expect((await p.chat()).status).toBe(200);
    expect(p.alpha.attempts()).toHaveLength(1); // not asked again
    expect(p.beta.attempts()).toHaveLength(4);

    // Status and metrics: the spent window, grouped by provider, with its reset rule in words.
    const status = (await (await fetch(`${p.gateway.url}/v1/rotor/status`)).json()) as {
      providers: { joined: Array<{ id: string; quotas: unknown[] }> };
    };
    const alpha = status.providers.joined.find((j) => j.id === 'alpha')!;
    expect(alpha.quotas).toContainEqual(
      expect.objectContaining({
        window: 'requests_day',
        model: null,
        blockedUntilMs: LA_MIDNIGHT,
        rule: 'unknown requests/day per account, resets at midnight America/Los_Angeles',
      }),
    );
    const metrics = parsePrometheus(await (await fetch(`${p.gateway.url}/metrics`)).text());
    expect(
      metrics.find(
        (s) => s.name === 'rotor_provider_quota_blocked_until_seconds' && s.labels.provider === 'alpha',
      )?.value,
    ).toBe(LA_MIDNIGHT / 1000);

    // Just before midnight in Los Angeles alpha is still out; after it, alpha serves again.
    await p.clock.advanceTo(LA_MIDNIGHT - 1000);
    expect((await p.chat()).status).toBe(200);
    expect(p.alpha.attempts()).toHaveLength(1);
    await p.clock.advanceTo(LA_MIDNIGHT + 1000);
    const back = await p.chat();
    expect(back.status).toBe(200);
    expect(back.headers.get('x-rotor-attempts')).toBe('1');
    expect(p.alpha.attempts()).toHaveLength(2);
  });

  it('every provider spent: 429 with Retry-After = the earliest reset across providers, then no upstream attempt at all', async () => {
    const p = await pool();
    for (const sim of [p.openrouter, p.alpha, p.beta]) sim.setAccount({ dayUsed: 50 });
    const res = await p.chat();
    expect(res.status).toBe(429);
    // Beta resets at midnight in Tokyo (3 h), before OpenRouter (UTC, 12 h) and alpha (Los Angeles, 20 h).
    expect(res.headers.get('retry-after')).toBe(String((TOKYO_MIDNIGHT - NOON) / 1000));
    expect(res.headers.get('x-should-retry')).toBe('false');
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('quota_exhausted');
    expect(body.error.message).toMatch(/alpha: .*beta: .*openrouter: /);
    // One attempt per provider, none walked twice.
    expect([p.openrouter, p.alpha, p.beta].map((sim) => sim.attempts().length)).toEqual([1, 1, 1]);

    const again = await p.chat();
    expect(again.status).toBe(429);
    expect(again.headers.get('retry-after')).toBe(String((TOKYO_MIDNIGHT - NOON) / 1000));
    expect(p.openrouter.attempts().length + p.alpha.attempts().length + p.beta.attempts().length).toBe(3);
  });

  it('zero config: a key and a base URL join a catalog provider; a family is served by any provider hosting it, and /v1/models lists it', async () => {
    const clock = new ManualClock(NOON);
    const only = (ids: string[]) => ({ defaultModels: false, models: ids.map((id) => ({ id })) });
    const groq = await startSimulator({
      clock,
      latencyScale: 0,
      seed: 4,
      scenario: only(['openai/gpt-oss-120b']),
    });
    const cerebras = await startSimulator({
      clock,
      latencyScale: 0,
      seed: 5,
      scenario: only(['gpt-oss-120b']),
    });
    const config = loadGatewayConfig({
      env: {},
      overrides: { server: { port: 0 }, quota: { keyPollMs: 0 }, log: { level: 'silent' } } as never,
    });
    const gateway = await startGateway(config, {
      clock,
      env: {
        GROQ_API_KEY: 'gsk-test',
        GROQ_BASE_URL: groq.url,
        CEREBRAS_API_KEY: 'csk-test',
        CEREBRAS_BASE_URL: cerebras.url,
      },
    });
    cleanups.push(async () => {
      await gateway.close();
      await Promise.all([groq.close(), cerebras.close()]);
    });
    expect(gateway.simulated).toBe(false);
    expect(gateway.providers.skipped[0]).toEqual({
      id: 'openrouter',
      reason: 'no key: set OPENROUTER_API_KEY',
    });
    const ask = async (model: string) => {
      const res = await postJson(`${gateway.url}/v1/chat/completions`, {
        model,
        messages: [{ role: 'user', content: 'hello' }],
      });
      expect(res.status).toBe(200);
      return res;
    };
    await ask('gpt-oss-120b');
    expect(groq.attempts().map((a) => a.model)).toEqual(['openai/gpt-oss-120b']);
    // Groq's model goes away: the family, named by Groq's own id, is served by Cerebras.
    groq.addFault({ model: 'openai/gpt-oss-120b', kind: 'model_gone' });
    await ask('openai/gpt-oss-120b');
    await ask('gpt-oss-120b');
    expect(cerebras.attempts().map((a) => a.model)).toEqual(['gpt-oss-120b', 'gpt-oss-120b']);
    expect(groq.attempts()).toHaveLength(2);

    const list = ((await (await fetch(`${gateway.url}/v1/models`)).json()) as { data: unknown })
      .data as Array<{
      id: string;
      rotor: { providers?: Array<{ provider: string; model: string; available: boolean }> };
    }>;
    expect(list.map((m) => m.id)).toEqual(expect.arrayContaining(['auto', 'fast', 'best', 'gpt-oss-120b']));
    expect(list.find((m) => m.id === 'gpt-oss-120b')!.rotor.providers).toEqual([
      expect.objectContaining({ provider: 'groq', model: 'groq:openai/gpt-oss-120b', available: false }),
      expect.objectContaining({ provider: 'cerebras', model: 'cerebras:gpt-oss-120b', available: true }),
    ]);
  });
});
