import { describe, expect, it } from 'vitest';
import { RegistryError } from '../registry/registry-error.js';
import { loadProviderCatalog, parseProviderCatalog } from './provider-catalog-file.js';

const BUILT_IN = [
  'openrouter',
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
];

/** Problems of a catalog that must not load, as `file:line: field: message` lines. */
function problemsOf(text: string): string[] {
  try {
    parseProviderCatalog(text, 'providers.yaml');
  } catch (err) {
    if (err instanceof RegistryError) return err.message.split('\n');
    throw err;
  }
  throw new Error('the catalog loaded');
}

const HEAD = 'version: 1.0.0\nlast_updated: 2026-11-30\nproviders:\n';

describe('the shipped provider catalog', () => {
  it('loads and holds every built-in provider', async () => {
    const catalog = await loadProviderCatalog();
    expect(catalog.providers.map((p) => p.id)).toEqual(BUILT_IN);
  });

  it('has the documented base URLs and key variables', async () => {
    const catalog = await loadProviderCatalog();
    const byId = new Map(catalog.providers.map((p) => [p.id, p]));
    expect(byId.get('groq')).toMatchObject({
      base_url: 'https://api.groq.com/openai/v1',
      key_env: ['GROQ_API_KEY'],
    });
    expect(byId.get('gemini')).toMatchObject({
      base_url: 'https://generativelanguage.googleapis.com/v1beta/openai',
      key_env: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
    });
    expect(byId.get('cloudflare')).toMatchObject({
      base_url: 'https://api.cloudflare.com/client/v4/accounts/{ACCOUNT_ID}/ai/v1',
      base_url_vars: { ACCOUNT_ID: 'CLOUDFLARE_ACCOUNT_ID' },
    });
    expect(byId.get('ollama')).toMatchObject({ local: true, key_env: [], limits: [] });
  });

  it('records each limit model: Groq refills continuously, Gemini resets at midnight Pacific, Cloudflare at 00:00 UTC', async () => {
    const catalog = await loadProviderCatalog();
    const limit = (id: string, window: string) =>
      catalog.providers.find((p) => p.id === id)?.limits.find((l) => l.window === window);
    expect(limit('groq', 'requests_day')).toMatchObject({
      per: 'model',
      holder: 'org',
      reset: { rule: 'continuous' },
      by_model: { 'llama-3.1-8b-instant': 14400 },
    });
    expect(limit('gemini', 'requests_day')).toMatchObject({
      holder: 'project',
      reset: { rule: 'fixed', time_zone: 'America/Los_Angeles' },
    });
    expect(limit('cloudflare', 'neurons_day')).toMatchObject({
      per: 'account',
      limit: 10000,
      reset: { rule: 'fixed', time_zone: 'UTC' },
    });
    expect(limit('github-models', 'requests_day')).toMatchObject({ reset: { rule: 'rolling' } });
  });
});

describe('catalog errors name the file, the line and the field', () => {
  it('a missing base URL', () => {
    expect(problemsOf(`${HEAD}  - id: acme\n    name: Acme\n`)).toEqual([
      'providers.yaml:4: providers[0].base_url: missing (expected string)',
    ]);
  });

  it('an unknown field', () => {
    expect(
      problemsOf(
        `${HEAD}  - id: acme\n    name: Acme\n    base_url: https://acme.test/v1\n    colour: red\n`,
      ),
    ).toEqual(['providers.yaml:7: providers[0].colour: unknown field']);
  });

  it('an unknown window, and a bad time zone', () => {
    const text = `${HEAD}  - id: acme
    name: Acme
    base_url: https://acme.test/v1
    limits:
      - window: requests_fortnight
        per: model
        reset: { rule: fixed, time_zone: Mars/Olympus }
`;
    const lines = problemsOf(text);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^providers\.yaml:8: providers\[0\]\.limits\[0\]\.window: expected one of .*, got "requests_fortnight"$/,
    );
    expect(lines[1]).toBe(
      'providers.yaml:10: providers[0].limits[0].reset.time_zone: expected an IANA time zone like UTC or America/Los_Angeles, got "Mars/Olympus"',
    );
  });

  it('a bad regular expression in an error rule', () => {
    const text = `${HEAD}  - id: acme
    name: Acme
    base_url: https://acme.test/v1
    errors:
      - when: { text: "(RPM" }
        kind: rate_limit
`;
    expect(problemsOf(text)).toEqual([
      'providers.yaml:8: providers[0].errors[0].when.text: expected a valid regular expression, got "(RPM"',
    ]);
  });

  it('a duplicate id, an upper-case id and a placeholder without a variable', () => {
    const text = `${HEAD}  - { id: acme, name: A, base_url: "https://acme.test/{ACCOUNT}/v1" }
  - { id: acme, name: B, base_url: https://b.test/v1 }
  - { id: Acme, name: C, base_url: https://c.test/v1 }
`;
    expect(problemsOf(text)).toEqual([
      'providers.yaml:6: providers[2].id: expected a lower-case id like "groq" or "github-models", got "Acme"',
      'providers.yaml:4: providers[0].base_url: placeholder {ACCOUNT} has no entry in base_url_vars, got "https://acme.test/{ACCOUNT}/v1"',
      'providers.yaml:5: providers[1].id: duplicate provider id, got "acme"',
    ]);
  });

  it('invalid YAML', () => {
    expect(problemsOf(`${HEAD}  - id: [unclosed\n`)[0]).toMatch(/^providers\.yaml:\d+: invalid YAML: /);
  });
});
