/**
 * Reconciliation per provider, over sockets against the provider simulator: each pooled provider's
 * own model list (Groq's `data`, Gemini's `models/` ids) retires the pairs whose model it no longer
 * names and restores them when it names them again; a provider whose list cannot be read keeps its
 * pairs; `/v1/rotor/status` shows each provider's check and its limits in one line of words.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../src/server/gateway.js';
import { loadGatewayConfig } from '../src/server/gateway-config.js';
import { type Simulator, simulatedProviderEnv, startSimulator } from '../src/sim/index.js';
import { parsePrometheus } from './gateway-helpers.js';

const GONE = 'groq:llama-3.1-8b-instant';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pool(before?: (sim: Simulator) => void): Promise<{ sim: Simulator; gateway: Gateway }> {
  const sim = await startSimulator({ latencyScale: 0, seed: 5, providers: ['groq', 'gemini'] });
  before?.(sim);
  const config = loadGatewayConfig({
    env: {},
    overrides: {
      server: { port: 0 },
      quota: { keyPollMs: 0 },
      reconcile: { intervalMs: 0 },
      log: { level: 'silent' },
    } as never,
  });
  const gateway = await startGateway(config, { env: simulatedProviderEnv(sim.providers()) });
  cleanups.push(async () => {
    await gateway.close();
    await sim.close();
  });
  return { sim, gateway };
}

interface JoinedStatus {
  id: string;
  rule: string;
  reconcile: {
    ok: boolean;
    error?: string;
    listed: number;
    changes: { type: string; model: string; reason: string }[];
  } | null;
}
async function status(gateway: Gateway) {
  return (await (await fetch(`${gateway.url}/v1/rotor/status`)).json()) as {
    models: { model: string; retired: { reason: string } | null }[];
    providers: { joined: JoinedStatus[] };
  };
}

describe('reconciliation per provider against the provider simulator', () => {
  it('a model the provider no longer lists retires that pair only; listed again, it is restored', async () => {
    const { sim, gateway } = await pool((s) =>
      s.setFaults([{ upstream: 'groq', model: 'llama-3.1-8b-instant', kind: 'model_gone' }]),
    );
    const first = await gateway.providerReconciler!.first;
    expect(first.map((r) => [r.provider, r.ok, r.listed])).toEqual([
      ['groq', true, 3],
      ['gemini', true, 4],
    ]);
    let s = await status(gateway);
    const groq = s.providers.joined.find((j) => j.id === 'groq')!;
    expect(groq.reconcile?.changes).toEqual([
      {
        type: 'retired',
        model: GONE,
        reason: expect.stringMatching(
          /^no longer listed by groq at http:\/\/127\.0\.0\.1:\d+\/groq\/openai\/v1\/models, checked /,
        ),
      },
    ]);
    expect(s.models.filter((m) => m.retired).map((m) => m.model)).toEqual([GONE]);
    expect(s.providers.joined.find((j) => j.id === 'gemini')!.reconcile?.changes).toEqual([]);

    // A request for its family would go to that pair first: it is skipped, another pair serves.
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    expect(sim.attempts().map((a) => a.model)).toEqual(['openai/gpt-oss-120b']);

    // /metrics: models and list checks grouped by provider, each provider's limits in words.
    const metrics = parsePrometheus(await (await fetch(`${gateway.url}/metrics`)).text());
    const models = metrics
      .filter((m) => m.name === 'rotor_provider_models')
      .map((m) => `${m.labels.provider} ${m.labels.state} ${m.value}`);
    expect(models).toEqual([
      'groq available 3',
      'groq unavailable 0',
      'groq retired 1',
      'gemini available 3',
      'gemini unavailable 0',
      'gemini retired 0',
    ]);
    expect(
      metrics
        .filter((m) => m.name === 'rotor_provider_model_list_ok')
        .map((m) => [m.labels.provider, m.value]),
    ).toEqual([
      ['groq', 1],
      ['gemini', 1],
    ]);
    expect(
      metrics.find((m) => m.name === 'rotor_provider_info' && m.labels.provider === 'groq')?.labels,
    ).toEqual({
      provider: 'groq',
      name: 'Groq',
      rule: '30 requests/min, 1,000–14,400 requests/day, 6,000–12,000 tokens/min, 100,000–500,000 tokens/day per model, refills continuously',
    });

    sim.clearFaults();
    const again = await gateway.providerReconciler!.reconcileNow();
    expect(again.find((r) => r.provider === 'groq')?.changes).toEqual([
      { type: 'restored', model: GONE, reason: expect.stringMatching(/^listed again by groq at http:/) },
    ]);
    s = await status(gateway);
    expect(s.models.filter((m) => m.retired)).toEqual([]);
  });

  it('a provider whose list cannot be read keeps its pairs, and its check says why', async () => {
    const { sim, gateway } = await pool();
    await gateway.providerReconciler!.first;
    sim.updateProvider('gemini', { enabled: false });
    const reports = await gateway.providerReconciler!.reconcileNow();
    const gemini = reports.find((r) => r.provider === 'gemini')!;
    expect(gemini).toMatchObject({ ok: false, listed: 4, changes: [] });
    expect(gemini.error).toMatch(
      /^GET http:\/\/127\.0\.0\.1:\d+\/gemini\/v1beta\/openai\/models failed: HTTP 404/,
    );
    expect((await status(gateway)).models.filter((m) => m.retired)).toEqual([]);
  });

  it("status: each provider's limits in one line, with the figures in force over its models", async () => {
    const { gateway } = await pool();
    const s = await status(gateway);
    expect(Object.fromEntries(s.providers.joined.map((j) => [j.id, j.rule]))).toEqual({
      groq: '30 requests/min, 1,000–14,400 requests/day, 6,000–12,000 tokens/min, 100,000–500,000 tokens/day per model, refills continuously',
      gemini:
        '5–15 requests/min, 250,000 tokens/min per model, rolling window; 20–500 requests/day per model, resets at midnight America/Los_Angeles',
    });
  });

  it('reconcile.enabled: false leaves the pairs alone', async () => {
    const sim = await startSimulator({ latencyScale: 0, providers: ['groq'] });
    sim.setFaults([{ upstream: 'groq', model: 'llama-3.1-8b-instant', kind: 'model_gone' }]);
    const config = loadGatewayConfig({
      env: {},
      overrides: { server: { port: 0 }, reconcile: { enabled: false }, log: { level: 'silent' } } as never,
    });
    const gateway = await startGateway(config, { env: simulatedProviderEnv(sim.providers()) });
    cleanups.push(async () => {
      await gateway.close();
      await sim.close();
    });
    expect(gateway.providerReconciler).toBeUndefined();
    expect((await status(gateway)).providers.joined[0]!.reconcile).toBeNull();
  });
});
