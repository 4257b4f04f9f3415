import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ask, chatStream } from '../../../test/fixtures-sim/sim-helpers.js';
import { ManualClock } from '../../engine/clock.js';
import { parseFaults, parseScenario, ScenarioError } from '../scenario-schema.js';
import { type Simulator, startSimulator } from '../simulator.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function issuesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ScenarioError) return err.issues;
    throw err;
  }
  return [];
}

async function issuesOfStart(scenario: object): Promise<string[]> {
  try {
    sim = await startSimulator({ latencyScale: 0, scenario });
  } catch (err) {
    if (err instanceof ScenarioError) return err.issues;
    throw err;
  }
  return [];
}

describe('the providers part of a scenario', () => {
  it('parses providers with models, limit changes and an account id', () => {
    const scenario = parseScenario({
      providers: {
        groq: { limits: { requests_day: 5, tokens_day: false } },
        cloudflare: {
          accountId: 'abc123',
          models: [{ id: '@cf/x/y', neuronsPerMInputTokens: 1000 }],
          limits: { neurons_day: { limit: 100 } },
        },
      },
    });
    expect(scenario.providers['groq']).toEqual({
      enabled: true,
      defaultModels: true,
      models: [],
      limits: { requests_day: 5, tokens_day: false },
    });
    expect(scenario.providers['cloudflare']!.accountId).toBe('abc123');
  });

  it('accepts the providers example of src/sim/README.md, and starts with it', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const yaml = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((m) => m[1]!)
      .find((b) => b.startsWith('providers:'));
    const scenario = parseScenario(parseYaml(yaml!));
    expect(Object.keys(scenario.providers)).toEqual(['groq', 'gemini', 'cloudflare', 'vllm']);
    sim = await startSimulator({ latencyScale: 0, scenario: parseYaml(yaml!) });
    expect(sim.providers().map((p) => p.id)).toEqual(['groq', 'gemini', 'cloudflare', 'vllm']);
    expect(sim.providerState('cloudflare').basePath).toBe('/cloudflare/client/v4/accounts/abc123/ai/v1');
  });

  it('names the path of a bad value', () => {
    expect(issuesOf(() => parseScenario({ providers: { groq: { limits: { requests_day: -1 } } } }))).toEqual([
      expect.stringMatching(/^providers\.groq\.limits\.requests_day: .*\(got -1\)$/),
    ]);
    expect(
      issuesOf(() => parseScenario({ providers: { groq: { limits: { requests_fortnight: 5 } } } })),
    ).toEqual(['providers.groq.limits: Unrecognized key: "requests_fortnight"']);
  });

  it('refuses providers it cannot simulate and limits it cannot count', async () => {
    expect(await issuesOfStart({ providers: { nowhere: {} } })).toEqual([
      expect.stringMatching(/^providers\.nowhere: not a built-in provider \(known: groq, gemini, /),
    ]);
    expect(await issuesOfStart({ providers: { openrouter: {} } })).toEqual([
      expect.stringMatching(/^providers\.openrouter: OpenRouter is the simulator itself/),
    ]);
    expect(await issuesOfStart({ providers: { groq: { limits: { requests_hour: 5 } } } })).toEqual([
      'providers.groq.limits: groq: the catalog has no requests_hour limit; an override that adds one needs "per" and "reset"',
    ]);
  });

  it('adds a window the catalog does not list when per and reset are given', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 12, 0, 10));
    sim = await startSimulator({
      latencyScale: 0,
      clock,
      providers: ['vllm'],
      scenario: {
        providers: {
          vllm: {
            limits: {
              requests_minute: { limit: 1, per: 'account', reset: { rule: 'fixed', time_zone: 'UTC' } },
            },
          },
        },
      },
    });
    const base = sim.providerBaseUrl('vllm');
    expect((await chatStream(base, ask('meta-llama/Llama-3.1-8B-Instruct'))).status).toBe(200);
    expect((await chatStream(base, ask('meta-llama/Llama-3.1-8B-Instruct'))).status).toBe(429);
    await clock.advanceTo(Date.UTC(2026, 10, 30, 12, 1));
    expect((await chatStream(base, ask('meta-llama/Llama-3.1-8B-Instruct'))).status).toBe(200);
  });
});

describe('provider faults', () => {
  it('take an upstream and only the kinds a provider can have', () => {
    expect(parseFaults({ upstream: 'groq', kind: 'overloaded' })[0]).toMatchObject({
      upstream: 'groq',
      kind: 'overloaded',
    });
    expect(issuesOf(() => parseFaults({ kind: 'overloaded' }))).toEqual([
      expect.stringMatching(/^\[0\]\.kind: overloaded is for provider faults \(set "upstream"\)/),
    ]);
    expect(issuesOf(() => parseFaults({ upstream: 'groq', kind: 'insufficient_credits' }))).toEqual([
      expect.stringMatching(/^\[0\]\.kind: insufficient_credits is an OpenRouter fault/),
    ]);
  });

  it('break a provider stream the provider’s way: Groq’s in-band `event: error`', async () => {
    sim = await startSimulator({
      latencyScale: 0,
      providers: ['groq'],
      scenario: {
        faults: [
          { upstream: 'groq', kind: 'midstream_error', afterChunks: 2, message: 'Internal server error' },
        ],
      },
    });
    const streamed = await chatStream(sim.providerBaseUrl('groq'), ask('llama-3.1-8b-instant'));
    expect(streamed.status).toBe(200);
    expect(streamed.text).toContain(
      'event: error\ndata: {"error":{"message":"Internal server error","type":"internal_server_error","status_code":500}}\n\n',
    );
    expect(streamed.text).not.toContain('[DONE]');
    expect(sim.attempts()).toMatchObject([
      { provider: 'groq', outcome: 'midstream_error', faultId: 'fault-1' },
    ]);
  });

  it('hit only their upstream: an OpenRouter fault leaves the providers alone', async () => {
    sim = await startSimulator({
      latencyScale: 0,
      providers: ['groq'],
      scenario: { faults: [{ kind: 'server_error', status: 503 }] },
    });
    expect((await chatStream(sim.providerBaseUrl('groq'), ask('llama-3.1-8b-instant'))).status).toBe(200);
    expect((await chatStream(sim.url, ask('meta-llama/llama-3.3-8b-instruct:free'))).status).toBe(503);
  });
});
