/**
 * The built-in providers over the simulator's socket: their base paths, chat and stream answers,
 * model lists in each provider's own shape, and quota headers that rotor's `parseQuotaHeaders`
 * reads back as the simulator's counters stand. Expected figures are worked out by hand: a
 * 'Say hello.' prompt is 3 tokens + 4 of framing = 7, and every answer is 8 tokens.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ask, chat, chatStream, getJson, TEST_KEY } from '../../../test/fixtures-sim/sim-helpers.js';
import { ManualClock } from '../../engine/clock.js';
import { createFamilyResolver, type FamilyResolver } from '../../providers/family-resolver.js';
import { loadModelFamilies } from '../../providers/model-family-table.js';
import type { Provider } from '../../providers/provider-catalog-schema.js';
import { parseQuotaHeaders } from '../../providers/quota-headers.js';
import type { ScenarioInput } from '../scenario-schema.js';
import { type Simulator, startSimulator } from '../simulator.js';
import { shippedProviderCatalog } from './provider-world.js';

/** 2026-11-30 12:00:10 UTC, a Monday. */
const T = Date.UTC(2026, 10, 30, 12, 0, 10);

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(
  scenario: ScenarioInput = {},
  providers: string[] | 'all' = 'all',
  clock = new ManualClock(T),
) {
  sim = await startSimulator({ latencyScale: 0, completionTokens: 8, clock, scenario, providers });
  return { sim, clock };
}

function catalogProvider(id: string): Provider {
  return shippedProviderCatalog().providers.find((p) => p.id === id)!;
}

const headersOf = (h: Headers) => Object.fromEntries(h.entries());

describe('base paths and the environment a gateway needs', () => {
  it('serves each provider under /<id> plus its real base path, and names the variables to set', async () => {
    const { sim } = await start();
    const byId = new Map(sim.providers().map((p) => [p.id, p]));
    expect(byId.get('groq')!.baseUrl).toBe(`${sim.origin}/groq/openai/v1`);
    expect(byId.get('gemini')!.baseUrl).toBe(`${sim.origin}/gemini/v1beta/openai`);
    expect(byId.get('github-models')!.modelsUrl).toBe(`${sim.origin}/github-models/catalog/models`);
    expect(byId.get('cloudflare')!.env).toEqual({
      CLOUDFLARE_BASE_URL: `${sim.origin}/cloudflare/client/v4/accounts/0123456789abcdef0123456789abcdef/ai/v1`,
      CLOUDFLARE_API_KEY: 'sim-cloudflare-key',
      CLOUDFLARE_ACCOUNT_ID: '0123456789abcdef0123456789abcdef',
    });
    expect(byId.get('groq')!.env).toEqual({
      GROQ_BASE_URL: `${sim.origin}/groq/openai/v1`,
      GROQ_API_KEY: 'sim-groq-key',
    });
    expect(byId.get('llamacpp')!.env).toEqual({ LLAMACPP_BASE_URL: `${sim.origin}/llamacpp/v1` });
    expect(sim.providerBaseUrl('openrouter')).toBe(sim.url);
    expect([...byId.keys()]).toEqual([
      'groq',
      'gemini',
      'cerebras',
      'mistral',
      'github-models',
      'nvidia',
      'sambanova',
      'cloudflare',
      'ollama-cloud',
      'ollama',
      'llamacpp',
      'vllm',
      'lmstudio',
    ]);
  });

  it('serves only the providers asked for; the others are not there', async () => {
    const { sim } = await start({ providers: { mistral: { enabled: false } } }, ['groq']);
    expect(sim.providers().map((p) => p.id)).toEqual(['groq']);
    expect((await chat(`${sim.origin}/cerebras/v1`, ask('gpt-oss-120b'))).status).toBe(404);
    expect((await chat(`${sim.origin}/mistral/v1`, ask('mistral-medium-2508'))).status).toBe(404);
    expect(() => sim.providerBaseUrl('cerebras')).toThrow(/does not serve/);
    sim.updateProvider('cerebras', { enabled: true });
    expect(
      (await chat(`${sim.origin}/cerebras/v1`, ask('gpt-oss-120b', 'hi', { max_tokens: 10 }))).status,
    ).toBe(200);
    // OpenRouter is still the simulator itself.
    expect((await chat(sim.url, ask('meta-llama/llama-3.3-8b-instruct:free'))).status).toBe(200);
  });
});

describe('answers', () => {
  it.each([
    ['groq', 'llama-3.1-8b-instant'],
    ['gemini', 'gemini-2.5-flash'],
    ['cerebras', 'gpt-oss-120b'],
    ['mistral', 'mistral-medium-2508'],
    ['github-models', 'openai/gpt-4.1-mini'],
    ['nvidia', 'openai/gpt-oss-120b'],
    ['sambanova', 'Meta-Llama-3.1-8B-Instruct'],
    ['cloudflare', '@cf/openai/gpt-oss-120b'],
    ['ollama-cloud', 'gpt-oss:120b'],
    ['ollama', 'llama3.1:8b'],
    ['llamacpp', 'gpt-oss-20b'],
    ['vllm', 'meta-llama/Llama-3.1-8B-Instruct'],
    ['lmstudio', 'openai/gpt-oss-20b'],
  ])('%s answers %s, whole and streamed', async (id, model) => {
    const { sim, clock } = await start();
    const base = sim.providerBaseUrl(id);
    const whole = await chat(base, ask(model, 'Say hello.', { max_tokens: 50 }));
    expect(whole.status).toBe(200);
    expect(whole.json).toMatchObject({
      object: 'chat.completion',
      model,
      choices: [{ index: 0, message: { role: 'assistant' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 7, completion_tokens: 8, total_tokens: 15 },
    });
    expect(whole.json.provider).toBeUndefined();
    expect(whole.json.choices[0].message.content.split(' ')).toHaveLength(8);

    await clock.advance(1000); // Mistral: one request a second
    // Mistral refuses stream_options (and sends usage in the last chunk anyway).
    const so = id === 'mistral' ? {} : { stream_options: { include_usage: true } };
    const streamed = await chatStream(base, ask(model, 'Say hello.', { max_tokens: 50, ...so }));
    expect(streamed.status).toBe(200);
    expect(streamed.events.every((e) => e.type === 'data')).toBe(true); // no OpenRouter keep-alive comments
    const data = streamed.events.map((e) => (e.type === 'data' ? e.json : undefined));
    expect(data[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(streamed.events.at(-1)).toEqual({ type: 'data', raw: '[DONE]' });
    const text = data.flatMap(
      (d) => d?.choices?.map((c: { delta: { content?: string } }) => c.delta.content ?? '') ?? [],
    );
    expect(text.join('')).toBe(whole.json.choices[0].message.content);
    const usage = data.find((d) => d?.usage)?.usage;
    expect(usage).toEqual({ prompt_tokens: 7, completion_tokens: 8, total_tokens: 15 });
  });

  it('calls tools, with Mistral’s 9-character ids that Mistral itself accepts back', async () => {
    const { sim } = await start();
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const base = sim.providerBaseUrl('mistral');
    const first = await chat(base, ask('mistral-medium-2508', 'Use get_weather for Paris', { tools }));
    const call = first.json.choices[0].message.tool_calls[0];
    expect(first.json.choices[0].finish_reason).toBe('tool_calls');
    expect(call.id).toMatch(/^[a-zA-Z0-9]{9}$/);
    await sim.updateProvider('mistral', { limits: { requests_second: false } });
    const second = await chat(base, {
      model: 'mistral-medium-2508',
      tools,
      messages: [
        { role: 'user', content: 'Use get_weather for Paris' },
        first.json.choices[0].message,
        { role: 'tool', tool_call_id: call.id, content: 'sunny' },
      ],
    });
    expect(second.status).toBe(200);
  });
});

describe('model lists in each provider’s own shape', () => {
  let families: FamilyResolver;
  beforeAll(async () => {
    families = createFamilyResolver(await loadModelFamilies());
  });

  /** The ids a list holds, read the way its catalog entry says (`models.shape`, `strip_prefix`). */
  function idsOf(provider: Provider, body: unknown): string[] {
    const raw =
      provider.models.shape === 'array'
        ? (body as Array<{ id: string }>).map((m) => m.id)
        : provider.models.shape === 'cloudflare'
          ? (body as { result: Array<{ name: string }> }).result.map((m) => m.name)
          : (body as { data: Array<{ id: string }> }).data.map((m) => m.id);
    const prefix = provider.models.strip_prefix;
    return raw.map((id) => (prefix && id.startsWith(prefix) ? id.slice(prefix.length) : id));
  }

  it('lists models so one family is found at several providers under their own ids', async () => {
    const { sim } = await start();
    const served = new Map<string, string[]>();
    for (const p of sim.providers()) {
      const list = await getJson(p.modelsUrl, p.apiKey ?? null);
      expect(list.status).toBe(200);
      served.set(p.id, idsOf(catalogProvider(p.id), list.json));
    }
    expect(served.get('gemini')).toContain('gemini-2.5-flash');
    const servedBy = (family: string) =>
      families
        .resolve(family)!
        .members.filter((m) => served.get(m.provider)?.includes(m.model))
        .map((m) => `${m.provider}:${m.model}`);
    expect(servedBy('gpt-oss-120b')).toEqual([
      'groq:openai/gpt-oss-120b',
      'cerebras:gpt-oss-120b',
      'nvidia:openai/gpt-oss-120b',
      'cloudflare:@cf/openai/gpt-oss-120b',
    ]);
    // Cerebras retired llama-3.3-70b (grammar-nazi-bot#933): the family lists it, the provider does not.
    expect(servedBy('llama-3.3-70b')).toEqual([
      'groq:llama-3.3-70b-versatile',
      'sambanova:Meta-Llama-3.3-70B-Instruct',
    ]);
    expect(servedBy('llama-3.1-8b')).toEqual([
      'groq:llama-3.1-8b-instant',
      'cloudflare:@cf/meta/llama-3.1-8b-instruct',
      'sambanova:Meta-Llama-3.1-8B-Instruct',
    ]);
    expect((await chat(sim.providerBaseUrl('cerebras'), ask('llama-3.3-70b'))).status).toBe(404);
  });

  it('asks a key for a private list, not for a public one (NVIDIA, SambaNova)', async () => {
    const { sim } = await start();
    expect((await getJson(`${sim.providerBaseUrl('groq')}/models`, null)).status).toBe(401);
    expect((await getJson(`${sim.providerBaseUrl('nvidia')}/models`, null)).status).toBe(200);
    const gh = await getJson(`${sim.origin}/github-models/catalog/models`, TEST_KEY);
    expect(gh.json.map((m: { id: string; rate_limit_tier: string }) => [m.id, m.rate_limit_tier])).toEqual([
      ['openai/gpt-4.1-mini', 'low'],
      ['openai/gpt-4.1', 'high'],
      ['meta/Llama-3.3-70B-Instruct', 'low'],
      ['deepseek/DeepSeek-R1', 'custom'],
    ]);
  });

  it('drops a model retired by a fault from its provider’s list only', async () => {
    const { sim } = await start({
      faults: [{ upstream: 'groq', model: 'openai/gpt-oss-20b', kind: 'model_gone' }],
    });
    const groq = await getJson(`${sim.providerBaseUrl('groq')}/models`);
    expect(groq.json.data.map((m: { id: string }) => m.id)).not.toContain('openai/gpt-oss-20b');
    const gone = await chat(sim.providerBaseUrl('groq'), ask('openai/gpt-oss-20b'));
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe('model_not_found');
    const lmstudio = await getJson(`${sim.providerBaseUrl('lmstudio')}/models`);
    expect(lmstudio.json.data.map((m: { id: string }) => m.id)).toEqual(['openai/gpt-oss-20b']);
  });
});

describe('quota headers read back by parseQuotaHeaders', () => {
  it('Groq: the DAY bucket in -requests, the MINUTE bucket in -tokens, Go-duration resets', async () => {
    const { sim } = await start();
    const base = sim.providerBaseUrl('groq');
    let last: Headers | undefined;
    for (let i = 0; i < 3; i++) last = (await chat(base, ask('llama-3.1-8b-instant'))).headers;
    // 3 of 14,400 a day refill in 3 × 6 s; 45 of 6,000 tokens a minute in 45 × 10 ms.
    expect(headersOf(last!)).toMatchObject({
      'x-ratelimit-limit-requests': '14400',
      'x-ratelimit-remaining-requests': '14397',
      'x-ratelimit-reset-requests': '18s',
      'x-ratelimit-limit-tokens': '6000',
      'x-ratelimit-remaining-tokens': '5955',
      'x-ratelimit-reset-tokens': '450ms',
    });
    expect(parseQuotaHeaders(catalogProvider('groq'), headersOf(last!), T)).toEqual([
      { window: 'requests_day', limit: 14_400, remaining: 14_397, resetAtMs: T + 18_000 },
      { window: 'tokens_minute', limit: 6000, remaining: 5955, resetAtMs: T + 450 },
    ]);
    const streamed = await chatStream(base, ask('llama-3.1-8b-instant'));
    expect(streamed.headers.get('x-ratelimit-remaining-requests')).toBe('14396');
  });

  it('Cerebras: minute, hour and day for requests and tokens, tokens reserved as max_completion_tokens', async () => {
    const { sim } = await start();
    const base = sim.providerBaseUrl('cerebras');
    await chat(base, ask('gpt-oss-120b', 'Say hello.', { max_completion_tokens: 100 }));
    const { headers } = await chatStream(
      base,
      ask('gpt-oss-120b', 'Say hello.', { max_completion_tokens: 100 }),
    );
    // Each request reserves 7 + 100 = 107 tokens. Day bucket: 2 × 86,400 s / 2,400 = 72 s; TPM: 214 × 2 ms.
    expect(parseQuotaHeaders(catalogProvider('cerebras'), headersOf(headers), T)).toEqual([
      { window: 'requests_minute', limit: 5, remaining: 3 },
      { window: 'requests_hour', limit: 150, remaining: 148 },
      { window: 'requests_day', limit: 2400, remaining: 2398, resetAtMs: T + 72_000 },
      { window: 'tokens_minute', limit: 30_000, remaining: 29_786, resetAtMs: T + 428 },
      { window: 'tokens_hour', limit: 1_000_000, remaining: 999_786 },
      { window: 'tokens_day', limit: 1_000_000, remaining: 999_786 },
    ]);
    expect(headers.get('x-ratelimit-reset-tokens-minute')).toBe('0.428');
  });

  it('Mistral: -req-minute and -tokens-minute/-month on non-stream answers only, fixed windows', async () => {
    const { sim, clock } = await start();
    const base = sim.providerBaseUrl('mistral');
    await chat(base, ask('mistral-medium-2508'));
    await clock.advance(1000); // one request a second
    const { headers } = await chat(base, ask('mistral-medium-2508'));
    expect(headers.get('x-ratelimit-tokens-query-cost')).toBe('15');
    expect(parseQuotaHeaders(catalogProvider('mistral'), headersOf(headers), T + 1000)).toEqual([
      { window: 'requests_minute', limit: 23, remaining: 21, resetAtMs: Date.UTC(2026, 10, 30, 12, 1) },
      {
        window: 'tokens_minute',
        limit: 500_000,
        remaining: 499_970,
        resetAtMs: Date.UTC(2026, 10, 30, 12, 1),
      },
      {
        window: 'tokens_month',
        limit: 1_000_000_000,
        remaining: 999_999_970,
        resetAtMs: Date.UTC(2026, 11, 1),
      },
    ]);
    await clock.advance(1000);
    const streamed = await chatStream(base, ask('mistral-medium-2508'));
    expect(Object.keys(headersOf(streamed.headers)).filter((h) => h.startsWith('x-ratelimit'))).toEqual([]);
  });

  it('GitHub: advisory 20,000 a minute on 200s; the binding counter named on its 429', async () => {
    const { sim, clock } = await start({ providers: { 'github-models': { limits: { requests_day: 2 } } } });
    const base = sim.providerBaseUrl('github-models');
    await chat(base, ask('openai/gpt-4.1-mini'));
    await clock.advance(1000);
    const ok = await chat(base, ask('openai/gpt-4.1-mini'));
    expect(parseQuotaHeaders(catalogProvider('github-models'), headersOf(ok.headers), T + 1000)).toEqual([
      { window: 'requests_minute', limit: 20_000, remaining: 19_998, advisory: true },
      { window: 'tokens_minute', limit: 2_000_000, remaining: 1_999_970, advisory: true },
    ]);
    await clock.advance(1000);
    const refused = await chat(base, ask('openai/gpt-4.1-mini'));
    expect(refused.status).toBe(429);
    // The first request leaves the rolling day 86,400 s after it was made, 86,398 s from now.
    expect(headersOf(refused.headers)).toMatchObject({
      'x-ratelimit-type': 'UserByModelByDay',
      'x-ratelimit-timeremaining': '86398',
      'retry-after': '86398',
    });
    expect(parseQuotaHeaders(catalogProvider('github-models'), headersOf(refused.headers), T + 2000)).toEqual(
      [{ window: 'requests_day', resetAtMs: T + 86_400_000 }],
    );
  });

  it.each(['gemini', 'nvidia', 'sambanova', 'cloudflare', 'ollama-cloud'])(
    '%s sends no quota headers at all',
    async (id) => {
      const { sim } = await start();
      const model = sim.providerState(id).models[0]!;
      const { status, headers } = await chat(sim.providerBaseUrl(id), ask(model));
      expect(status).toBe(200);
      expect(Object.keys(headersOf(headers)).filter((h) => h.startsWith('x-ratelimit'))).toEqual([]);
    },
  );
});
