import { describe, expect, it } from 'vitest';
import { loadProviderCatalogSync } from '../providers/provider-catalog-file.js';
import { RegistryError } from '../registry/registry-error.js';
import { planProviders } from './provider-plan.js';

const catalog = loadProviderCatalogSync();
const OPENROUTER_ROTATION = ['a/model:free', 'b/model:free'];

describe('which providers join', () => {
  it('no key at all: nothing joins and OpenRouter (simulated) is the whole rotation, as before', () => {
    const plan = planProviders(catalog, undefined, {}, false);
    expect(plan.joined).toEqual([]);
    expect(plan.openRouter).toBe(true);
    expect(plan.upstreams).toEqual([]);
    expect(plan.rotation(OPENROUTER_ROTATION)).toEqual(OPENROUTER_ROTATION);
  });

  it('every provider whose key variable is set joins; <ID>_BASE_URL overrides its base URL', () => {
    const plan = planProviders(
      catalog,
      undefined,
      { GROQ_API_KEY: 'gsk', NVIDIA_NIM_API_KEY: 'nvapi', GROQ_BASE_URL: 'http://127.0.0.1:9/openai/v1/' },
      true,
    );
    expect(plan.joined.map((j) => [j.id, j.keySource, j.baseUrl])).toEqual([
      ['groq', 'GROQ_API_KEY', 'http://127.0.0.1:9/openai/v1'],
      ['nvidia', 'NVIDIA_NIM_API_KEY', 'https://integrate.api.nvidia.com/v1'],
    ]);
    expect(plan.upstreams[0]).toEqual({
      id: 'groq',
      baseUrl: 'http://127.0.0.1:9/openai/v1',
      apiKey: 'gsk',
      provider: 'groq',
    });
    expect(plan.skipped).toContainEqual({ id: 'cerebras', reason: 'no key: set CEREBRAS_API_KEY' });
    expect(plan.models).toContainEqual({
      id: 'groq:openai/gpt-oss-120b',
      upstream: 'groq',
      upstreamId: 'openai/gpt-oss-120b',
    });
  });

  it('without its key OpenRouter stays out once another provider joined, and says why', () => {
    const plan = planProviders(catalog, undefined, { CEREBRAS_API_KEY: 'csk' }, false);
    expect(plan.openRouter).toBe(false);
    expect(plan.skipped[0]).toEqual({ id: 'openrouter', reason: 'no key: set OPENROUTER_API_KEY' });
    expect(plan.rotation(OPENROUTER_ROTATION)).toEqual(['cerebras:gpt-oss-120b', 'cerebras:gemma-4-31b']);
  });

  it("auto: providers in the catalog's auto_order, OpenRouter's models at OpenRouter's place", () => {
    const plan = planProviders(
      catalog,
      undefined,
      { CEREBRAS_API_KEY: 'c', GROQ_API_KEY: 'g', GEMINI_API_KEY: 'm' },
      true,
    );
    expect(plan.rotation(OPENROUTER_ROTATION)).toEqual([
      'groq:openai/gpt-oss-120b',
      'groq:llama-3.3-70b-versatile',
      'groq:openai/gpt-oss-20b',
      'groq:llama-3.1-8b-instant',
      'cerebras:gpt-oss-120b',
      'cerebras:gemma-4-31b',
      'gemini:gemini-2.5-flash',
      'gemini:gemini-3.1-flash-lite',
      'gemini:gemini-2.5-flash-lite',
      'a/model:free',
      'b/model:free',
    ]);
  });
});

describe("the config's providers:", () => {
  it('overrides any field of a provider and adds new ones (which join by their own key variable)', () => {
    const plan = planProviders(
      catalog,
      {
        groq: { rotation: ['llama-3.1-8b-instant'], enabled: true },
        myproxy: {
          name: 'My proxy',
          base_url: 'http://127.0.0.1:4000/v1',
          key_env: ['MYPROXY_KEY'],
          rotation: ['big-model'],
        },
      } as never,
      { GROQ_API_KEY: 'g', MYPROXY_KEY: 'p', GITHUB_TOKEN: 't' },
      true,
    );
    expect(plan.models.map((m) => m.id)).toEqual([
      'groq:llama-3.1-8b-instant',
      'github-models:openai/gpt-4.1',
      'myproxy:big-model',
    ]);
    // A provider the catalog does not order comes after those it does (here: after OpenRouter).
    expect(plan.rotation(['o/x:free']).slice(-2)).toEqual(['o/x:free', 'myproxy:big-model']);
  });

  it('keeps a provider out with enabled: false (e.g. GitHub Models on a CI runner with GITHUB_TOKEN)', () => {
    const plan = planProviders(catalog, { 'github-models': { enabled: false } }, { GITHUB_TOKEN: 't' }, true);
    expect(plan.joined).toEqual([]);
    expect(plan.skipped).toContainEqual({ id: 'github-models', reason: 'disabled in the config' });
  });

  it('a bad field is an error naming it', () => {
    expect(() => planProviders(catalog, { groq: { limits: 'lots' } }, {}, true)).toThrow(RegistryError);
    expect(() => planProviders(catalog, { groq: { limts: [] } }, {}, true)).toThrow(
      /providers\.groq\.limts: unknown field/,
    );
  });
});

describe('the start-up banner', () => {
  it('names the providers that joined and why each other one stayed out; says nothing without any', async () => {
    const { providersBanner } = await import('./serve-command.js');
    expect(
      providersBanner({ joined: [], skipped: [{ id: 'groq', reason: 'no key: set GROQ_API_KEY' }] }),
    ).toBe('');
    const plan = planProviders(catalog, undefined, { GROQ_API_KEY: 'gsk-secret' }, true);
    const banner = providersBanner({ joined: plan.joined, skipped: plan.skipped });
    expect(banner).toContain('rotor: provider groq joined (GROQ_API_KEY; 4 models)\n');
    expect(banner).toContain('rotor: provider cerebras left out: no key: set CEREBRAS_API_KEY\n');
    expect(banner).not.toContain('gsk-secret');
  });
});
