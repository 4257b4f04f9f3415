import { beforeAll, describe, expect, it } from 'vitest';
import { RegistryError } from '../registry/registry-error.js';
import { baseUrlEnvName, discoverProviders } from './discover-providers.js';
import { mergeProviderOverrides } from './merge-provider-overrides.js';
import { loadProviderCatalog } from './provider-catalog-file.js';
import type { ProviderCatalog } from './provider-catalog-schema.js';

let catalog: ProviderCatalog;
beforeAll(async () => {
  catalog = await loadProviderCatalog();
});

const joinedIds = (env: Record<string, string>, c = catalog) =>
  discoverProviders(c, env).joined.map((p) => p.id);

describe('zero-config discovery from the environment', () => {
  it('no variables: nothing joins, and each provider says which variable would add it', () => {
    const { joined, skipped } = discoverProviders(catalog, {});
    expect(joined).toEqual([]);
    const reasons = Object.fromEntries(skipped.map((s) => [s.id, s.reason]));
    expect(reasons['groq']).toBe('no key: set GROQ_API_KEY');
    expect(reasons['gemini']).toBe('no key: set GEMINI_API_KEY or GOOGLE_API_KEY');
    expect(reasons['nvidia']).toBe('no key: set NVIDIA_API_KEY or NVIDIA_NIM_API_KEY');
    expect(reasons['ollama']).toBe('local server: set OLLAMA_BASE_URL or enable it in the config');
    expect(reasons['llamacpp']).toBe('local server: set LLAMACPP_BASE_URL or enable it in the config');
  });

  it('every provider whose key variable is set joins, with that key and its documented base URL', () => {
    const { joined } = discoverProviders(catalog, {
      GROQ_API_KEY: 'gsk_1',
      GEMINI_API_KEY: 'AIza_2',
      MISTRAL_API_KEY: 'm_3',
      GITHUB_TOKEN: 'ghp_4',
      SAMBANOVA_API_KEY: '',
    });
    expect(joined.map((p) => [p.id, p.baseUrl, p.apiKey, p.keySource])).toEqual([
      ['groq', 'https://api.groq.com/openai/v1', 'gsk_1', 'GROQ_API_KEY'],
      ['gemini', 'https://generativelanguage.googleapis.com/v1beta/openai', 'AIza_2', 'GEMINI_API_KEY'],
      ['mistral', 'https://api.mistral.ai/v1', 'm_3', 'MISTRAL_API_KEY'],
      ['github-models', 'https://models.github.ai/inference', 'ghp_4', 'GITHUB_TOKEN'],
    ]);
    expect(joined.map((p) => p.modelsUrl)).toEqual([
      'https://api.groq.com/openai/v1/models',
      'https://generativelanguage.googleapis.com/v1beta/openai/models',
      'https://api.mistral.ai/v1/models',
      'https://models.github.ai/catalog/models',
    ]);
  });

  it('the first variable set wins; a blank one does not count', () => {
    const [gemini] = discoverProviders(catalog, { GEMINI_API_KEY: '  ', GOOGLE_API_KEY: 'g' }).joined;
    expect(gemini).toMatchObject({ id: 'gemini', apiKey: 'g', keySource: 'GOOGLE_API_KEY' });
    const [nvidia] = discoverProviders(catalog, { NVIDIA_API_KEY: 'a', NVIDIA_NIM_API_KEY: 'b' }).joined;
    expect(nvidia).toMatchObject({ apiKey: 'a', keySource: 'NVIDIA_API_KEY' });
  });

  it('<ID>_BASE_URL overrides the base URL, id upper-cased with - as _', () => {
    expect(baseUrlEnvName('github-models')).toBe('GITHUB_MODELS_BASE_URL');
    expect(baseUrlEnvName('ollama-cloud')).toBe('OLLAMA_CLOUD_BASE_URL');
    const { joined } = discoverProviders(catalog, {
      GROQ_API_KEY: 'k',
      GROQ_BASE_URL: 'http://127.0.0.1:9999/openai/v1/',
      GITHUB_TOKEN: 't',
      GITHUB_MODELS_BASE_URL: 'https://models.inference.ai.azure.com',
    });
    // GitHub's list is an absolute URL of the real site; a base URL without the catalog's path
    // (`/inference`) cannot be rebased, so there is no list rather than the real site's.
    expect(joined.map((p) => [p.id, p.baseUrl, p.modelsUrl])).toEqual([
      ['groq', 'http://127.0.0.1:9999/openai/v1', 'http://127.0.0.1:9999/openai/v1/models'],
      ['github-models', 'https://models.inference.ai.azure.com', undefined],
    ]);
  });

  it('an absolute model-list URL follows a moved base URL (a simulator, a proxy)', () => {
    const { joined } = discoverProviders(catalog, {
      GITHUB_TOKEN: 't',
      GITHUB_MODELS_BASE_URL: 'http://127.0.0.1:8090/github-models/inference',
      CLOUDFLARE_API_KEY: 'c',
      CLOUDFLARE_ACCOUNT_ID: 'abc123',
      CLOUDFLARE_BASE_URL: 'http://127.0.0.1:8090/cloudflare/client/v4/accounts/abc123/ai/v1/',
    });
    expect(joined.map((p) => [p.id, p.modelsUrl])).toEqual([
      ['github-models', 'http://127.0.0.1:8090/github-models/catalog/models'],
      ['cloudflare', 'http://127.0.0.1:8090/cloudflare/client/v4/accounts/abc123/ai/models/search'],
    ]);
  });

  it('a base URL variable that is not a URL keeps the provider out, saying why', () => {
    const { joined, skipped } = discoverProviders(catalog, {
      GROQ_API_KEY: 'k',
      GROQ_BASE_URL: 'groq.local',
    });
    expect(joined).toEqual([]);
    expect(skipped.find((s) => s.id === 'groq')?.reason).toBe(
      'GROQ_BASE_URL is not an http(s) URL: "groq.local"',
    );
  });

  it('Cloudflare needs its account id to fill the base URL', () => {
    expect(
      discoverProviders(catalog, { CLOUDFLARE_API_TOKEN: 't' }).skipped.find((s) => s.id === 'cloudflare'),
    ).toEqual({ id: 'cloudflare', reason: 'no CLOUDFLARE_ACCOUNT_ID: it fills the base URL' });
    const [cf] = discoverProviders(catalog, {
      CLOUDFLARE_API_TOKEN: 't',
      CLOUDFLARE_ACCOUNT_ID: 'abc123',
    }).joined;
    expect(cf).toMatchObject({
      id: 'cloudflare',
      baseUrl: 'https://api.cloudflare.com/client/v4/accounts/abc123/ai/v1',
      modelsUrl: 'https://api.cloudflare.com/client/v4/accounts/abc123/ai/models/search',
      keySource: 'CLOUDFLARE_API_TOKEN',
    });
  });

  it('local servers join with their base URL variable, keyless, after every hosted provider', () => {
    expect(
      joinedIds({
        OLLAMA_BASE_URL: 'http://localhost:11434/v1',
        CEREBRAS_API_KEY: 'c',
        VLLM_BASE_URL: 'http://gpu:8000/v1',
      }),
    ).toEqual(['cerebras', 'ollama', 'vllm']);
    const [ollama] = discoverProviders(catalog, { OLLAMA_BASE_URL: 'http://localhost:11434/v1' }).joined;
    expect(ollama).not.toHaveProperty('apiKey');
  });
});

describe('user overrides from the config', () => {
  it('override one field of a built-in provider; the rest stays', () => {
    const merged = mergeProviderOverrides(catalog, {
      groq: { base_url: 'https://groq.example/v1', unknown_limit_cooldown_s: 30 },
    });
    const groq = merged.providers.find((p) => p.id === 'groq')!;
    expect(groq.base_url).toBe('https://groq.example/v1');
    expect(groq.unknown_limit_cooldown_s).toBe(30);
    expect(groq.key_env).toEqual(['GROQ_API_KEY']);
    expect(groq.limits).toHaveLength(4);
    expect(catalog.providers.find((p) => p.id === 'groq')!.base_url).toBe('https://api.groq.com/openai/v1');
  });

  it('objects merge key by key, arrays are replaced whole', () => {
    const merged = mergeProviderOverrides(catalog, {
      cerebras: {
        models: { free: 'listed', free_models: ['gpt-oss-120b'] },
        limits: [{ window: 'requests_day', per: 'model', limit: 100, reset: { rule: 'continuous' } }],
      },
    });
    const cerebras = merged.providers.find((p) => p.id === 'cerebras')!;
    expect(cerebras.models).toMatchObject({ path: '/models', free: 'listed', free_models: ['gpt-oss-120b'] });
    expect(cerebras.limits).toEqual([
      { window: 'requests_day', per: 'model', holder: 'account', limit: 100, reset: { rule: 'continuous' } },
    ]);
  });

  it('adds a provider, which then joins from its own key variable', () => {
    const merged = mergeProviderOverrides(catalog, {
      'acme-ai': { name: 'Acme', base_url: 'https://api.acme.test/v1', key_env: ['ACME_KEY'] },
    });
    expect(merged.providers.at(-1)).toMatchObject({ id: 'acme-ai', local: false, limits: [], errors: [] });
    expect(joinedIds({ ACME_KEY: 'x' }, merged)).toEqual(['acme-ai']);
    // Added after the local servers in the catalog, it is still tried before them.
    expect(joinedIds({ ACME_KEY: 'x', OLLAMA_BASE_URL: 'http://localhost:11434/v1' }, merged)).toEqual([
      'acme-ai',
      'ollama',
    ]);
  });

  it('enables a local server without a variable, and disables a provider that has a key', () => {
    const merged = mergeProviderOverrides(catalog, { llamacpp: { enabled: true }, groq: { enabled: false } });
    expect(joinedIds({ GROQ_API_KEY: 'k' }, merged)).toEqual(['llamacpp']);
    expect(
      discoverProviders(merged, { GROQ_API_KEY: 'k' }).skipped.find((s) => s.id === 'groq')?.reason,
    ).toBe('disabled in the config');
  });

  it('reports every bad field with its path', () => {
    let error: unknown;
    try {
      mergeProviderOverrides(
        catalog,
        {
          groq: { base_url: 'ftp://x', colour: 'red' },
          newbie: { name: 'N' },
          mistral: { id: 'other' },
          Bad_Id: {},
        },
        'my.yaml',
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).message.split('\n')).toEqual([
      'my.yaml: providers.Bad_Id: expected a lower-case provider id like "groq"',
    ]);
    try {
      mergeProviderOverrides(
        catalog,
        { groq: { base_url: 'ftp://x', colour: 'red' }, newbie: { name: 'N' }, mistral: { id: 'other' } },
        'my.yaml',
      );
    } catch (err) {
      error = err;
    }
    expect((error as RegistryError).message.split('\n')).toEqual([
      'my.yaml: providers.groq.base_url: expected an http(s) URL',
      'my.yaml: providers.groq.colour: unknown field',
      'my.yaml: providers.newbie.base_url: Invalid input: expected string, received undefined',
      'my.yaml: providers.mistral.id: must be "mistral" (the key it is written under) or left out',
    ]);
  });
});
