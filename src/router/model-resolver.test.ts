import { describe, expect, it } from 'vitest';
import { createFamilyResolver } from '../providers/family-resolver.js';
import { loadModelFamiliesSync } from '../providers/model-family-table.js';
import { expandModelName, type ModelResolverDeps } from './model-resolver.js';
import { normalizePairId, pairId, splitPairId } from './pair-id.js';
import { requestOrder } from './request-order.js';

const families = createFamilyResolver(loadModelFamiliesSync());
const ROTATION = [
  'cerebras:gpt-oss-120b',
  'groq:llama-3.1-8b-instant',
  'meta-llama/llama-3.3-70b-instruct:free',
  'groq:llama-3.3-70b-versatile',
  'groq:openai/gpt-oss-120b',
];

function deps(over: Partial<ModelResolverDeps> = {}): ModelResolverDeps {
  return {
    families,
    providers: new Set(['openrouter', 'groq', 'cerebras']),
    knownModels: () => ROTATION,
    upstreamIdOf: (m) => splitPairId(m, new Set(['groq', 'cerebras']))?.model ?? m,
    providerOf: (m) => splitPairId(m, new Set(['groq', 'cerebras']))?.provider ?? 'openrouter',
    latencyMs: () => undefined,
    quality: () => undefined,
    ...over,
  };
}

describe('pair ids', () => {
  it('OpenRouter ids stay bare, other providers are prefixed, openrouter: is an alias', () => {
    expect(pairId('openrouter', 'a/b:free')).toBe('a/b:free');
    expect(pairId('nvidia', 'meta/llama-3.3-70b-instruct')).toBe('nvidia:meta/llama-3.3-70b-instruct');
    expect(splitPairId('nvidia:meta/llama-3.3-70b-instruct', new Set(['nvidia']))).toEqual({
      provider: 'nvidia',
      model: 'meta/llama-3.3-70b-instruct',
    });
    // An OpenRouter id with a variant is not a pair.
    expect(splitPairId('nvidia/nemotron-3-super-120b-a12b:free', new Set(['nvidia']))).toBeUndefined();
    expect(splitPairId('groq:x', new Set(['nvidia']))).toBeUndefined();
    expect(normalizePairId('openrouter:a/b:free')).toBe('a/b:free');
    expect(normalizePairId('groq:x')).toBe('groq:x');
  });
});

describe('families across providers', () => {
  it('a family id is every pooled pair of it, in rotation order', () => {
    expect(expandModelName('llama-3.3-70b', ROTATION, deps())).toEqual([
      'meta-llama/llama-3.3-70b-instruct:free',
      'groq:llama-3.3-70b-versatile',
      'cerebras:llama-3.3-70b', // in the family, pooled, not in the rotation: after those that are
    ]);
  });

  it("any one provider's id for it names the whole family", () => {
    const all = expandModelName('llama-3.3-70b', ROTATION, deps());
    expect(expandModelName('llama-3.3-70b-versatile', ROTATION, deps())).toEqual(all);
    expect(expandModelName('meta-llama/llama-3.3-70b-instruct:free', ROTATION, deps())).toEqual(all);
    expect(expandModelName('openrouter:meta-llama/llama-3.3-70b-instruct:free', ROTATION, deps())).toEqual(
      all,
    );
  });

  it('a pair id comes first, then its family', () => {
    expect(expandModelName('groq:openai/gpt-oss-120b', ROTATION, deps())).toEqual([
      'groq:openai/gpt-oss-120b',
      'cerebras:gpt-oss-120b',
    ]);
  });

  it('providers that are not pooled are left out', () => {
    expect(expandModelName('gpt-oss-120b', ROTATION, deps({ providers: new Set(['groq']) }))).toEqual([
      'groq:openai/gpt-oss-120b',
    ]);
  });

  it("a provider's bare id outside any family is that provider's pair; an unknown name is itself", () => {
    const d = deps({ knownModels: () => [...ROTATION, 'groq:qwen/qwen3.6-27b'] });
    expect(expandModelName('qwen/qwen3.6-27b', ROTATION, d)).toEqual(['groq:qwen/qwen3.6-27b']);
    expect(expandModelName('no/such-model', ROTATION, d)).toEqual(['no/such-model']);
  });

  it('the request order is the family first, then the rest of the rotation', () => {
    const expand = (name: string) => expandModelName(name, ROTATION, deps());
    expect(requestOrder({ model: 'gpt-oss-120b' }, ROTATION, expand)).toEqual([
      'cerebras:gpt-oss-120b',
      'groq:openai/gpt-oss-120b',
      'groq:llama-3.1-8b-instant',
      'meta-llama/llama-3.3-70b-instruct:free',
      'groq:llama-3.3-70b-versatile',
    ]);
  });
});

describe('fast and best', () => {
  it('fast: lowest observed latency first; unmeasured models keep their rotation order after', () => {
    const latency: Record<string, number> = {
      'groq:llama-3.3-70b-versatile': 900,
      'groq:llama-3.1-8b-instant': 300,
      'groq:openai/gpt-oss-120b': 900,
    };
    expect(expandModelName('fast', ROTATION, deps({ latencyMs: (m) => latency[m] }))).toEqual([
      'groq:llama-3.1-8b-instant',
      'groq:llama-3.3-70b-versatile',
      'groq:openai/gpt-oss-120b',
      'cerebras:gpt-oss-120b',
      'meta-llama/llama-3.3-70b-instruct:free',
    ]);
  });

  it('best: highest quality score first; unranked models after, in rotation order', () => {
    const quality: Record<string, number> = {
      'groq:llama-3.1-8b-instant': 30.4,
      'groq:llama-3.3-70b-versatile': 50.5,
      'cerebras:gpt-oss-120b': 80.1,
      'groq:openai/gpt-oss-120b': 80.1,
    };
    expect(expandModelName('best', ROTATION, deps({ quality: (m) => quality[m] }))).toEqual([
      'cerebras:gpt-oss-120b',
      'groq:openai/gpt-oss-120b',
      'groq:llama-3.3-70b-versatile',
      'groq:llama-3.1-8b-instant',
      'meta-llama/llama-3.3-70b-instruct:free',
    ]);
  });
});
