import { beforeAll, describe, expect, it } from 'vitest';
import { RegistryError } from '../registry/registry-error.js';
import { createFamilyResolver, type FamilyResolver } from './family-resolver.js';
import { loadModelFamilies, parseModelFamilies } from './model-family-table.js';
import { loadProviderCatalog } from './provider-catalog-file.js';

let resolver: FamilyResolver;
beforeAll(async () => {
  resolver = createFamilyResolver(await loadModelFamilies());
});

const LLAMA_70B = [
  { provider: 'groq', model: 'llama-3.3-70b-versatile' },
  { provider: 'cerebras', model: 'llama-3.3-70b' },
  { provider: 'openrouter', model: 'meta-llama/llama-3.3-70b-instruct:free' },
  { provider: 'sambanova', model: 'Meta-Llama-3.3-70B-Instruct' },
];

describe('families resolve across providers', () => {
  it.each([
    'llama-3.3-70b',
    'Llama 3.3 70B Instruct',
    'llama-3.3-70b-versatile',
    'meta-llama/llama-3.3-70b-instruct:free',
    'Meta-Llama-3.3-70B-Instruct',
    'meta-llama-3.3-70b-instruct',
    '  LLAMA-3.3-70B ',
  ])('%j → every provider of Llama 3.3 70B', (name) => {
    expect(resolver.resolve(name)).toEqual({
      family: 'llama-3.3-70b',
      name: 'Llama 3.3 70B Instruct',
      members: LLAMA_70B,
    });
  });

  it('"llama-3.3-70b" is the family, although it is also Cerebras\' id for it', () => {
    expect(resolver.resolve('llama-3.3-70b')?.members).toHaveLength(4);
  });

  it('one id served by two providers under the same name', () => {
    expect(resolver.resolve('openai/gpt-oss-120b')?.members).toEqual([
      { provider: 'groq', model: 'openai/gpt-oss-120b' },
      { provider: 'cerebras', model: 'gpt-oss-120b' },
      { provider: 'nvidia', model: 'openai/gpt-oss-120b' },
      { provider: 'cloudflare', model: '@cf/openai/gpt-oss-120b' },
    ]);
  });

  it('a model in no family, and a near miss, resolve to nothing', () => {
    expect(resolver.resolve('mistral-large-latest')).toBeUndefined();
    expect(resolver.resolve('llama-3.3-70')).toBeUndefined();
  });

  it('familyOf needs the provider: ids are only unique per provider', () => {
    expect(resolver.familyOf('cerebras', 'gpt-oss-120b')?.family).toBe('gpt-oss-120b');
    expect(resolver.familyOf('groq', 'gpt-oss-120b')).toBeUndefined();
  });

  it('every provider named in the shipped table is in the shipped catalog', async () => {
    const catalog = await loadProviderCatalog();
    const known = new Set(catalog.providers.map((p) => p.id));
    const named = resolver.families().flatMap((f) => f.members.map((m) => m.provider));
    expect(named.filter((p) => !known.has(p))).toEqual([]);
  });
});

describe('the families file is checked', () => {
  const head = 'version: 1.0.0\nlast_updated: 2026-11-30\nfamilies:\n';
  const problems = (text: string) => {
    try {
      parseModelFamilies(text, 'families.yaml');
    } catch (err) {
      if (err instanceof RegistryError) return err.message.split('\n');
      throw err;
    }
    return [];
  };

  it('one provider model in two families', () => {
    expect(
      problems(
        `${head}  - id: a\n    name: A\n    members: { groq: x }\n  - id: b\n    name: B\n    members:\n      groq: [y, x]\n`,
      ),
    ).toEqual([
      'families.yaml:10: families[1].members.groq: groq model "x" is already in family "a", got ["y","x"]',
    ]);
  });

  it('a duplicate family id', () => {
    expect(
      problems(
        `${head}  - id: a\n    name: A\n    members: { groq: x }\n  - id: a\n    name: B\n    members: { groq: y }\n`,
      ),
    ).toEqual(['families.yaml:7: families[1].id: duplicate family id, got "a"']);
  });

  it('a bad provider id', () => {
    expect(
      problems(
        `${head}  - id: a\n    name: A\n    members: { groq: x }\n  - id: a\n    name: B\n    members: { Groq: y }\n`,
      ),
    ).toEqual(['families.yaml:9: families[1].members.Groq: bad key: expected a provider id like "groq"']);
  });
});
