import { describe, expect, it } from 'vitest';
import { defaultRegistryPath, loadRegistry } from './registry-file.js';
import { familyFromId, registrySchema } from './registry-schema.js';

const SEED_ORDER: [id: string, latencyMs: number][] = [
  ['meta-llama/llama-3.3-8b-instruct:free', 880],
  ['cognitivecomputations/dolphin-mistral-24b-venice-edition:free', 1310],
  ['cognitivecomputations/dolphin3.0-mistral-24b:free', 1710],
  ['meta-llama/llama-4-maverick:free', 2350],
  ['meituan/longcat-flash-chat:free', 3080],
  ['minimax/minimax-m2:free', 4700],
  ['meta-llama/llama-3.3-70b-instruct:free', 3010],
  ['deepseek/deepseek-r1-0528-qwen3-8b:free', 6600],
  ['arliai/qwq-32b-arliai-rpr-v1:free', 9940],
  ['microsoft/mai-ds-r1:free', 12030],
  ['google/gemma-2-9b-it:free', 15030],
  ['deepseek/deepseek-chat-v3.1:free', 15690],
];

function minimal(overrides: Record<string, unknown> = {}) {
  return {
    version: '1.0.0',
    last_updated: '2025-10-25',
    rotation: ['a/one:free'],
    models: [{ id: 'a/one:free', status: 'verified' }],
    ...overrides,
  };
}

describe('the shipped registry', () => {
  it('is accepted by the schema, with the seed version and date', async () => {
    const { registry } = await loadRegistry(defaultRegistryPath());
    expect(registry.version).toBe('1.1.0');
    expect(registry.last_updated).toBe('2025-10-25');
  });

  it("keeps the seed's 12-model rotation order and latencies, all verified", async () => {
    const { registry } = await loadRegistry(defaultRegistryPath());
    expect(registry.rotation).toEqual(SEED_ORDER.map(([id]) => id));
    const byId = new Map(registry.models.map((model) => [model.id, model]));
    for (const [id, latencyMs] of SEED_ORDER) {
      expect(byId.get(id)).toMatchObject({ status: 'verified', expected_latency_ms: latencyMs });
    }
    expect(byId.get('meta-llama/llama-3.3-8b-instruct:free')?.measured?.success_rate).toBe(1);
  });

  it('has the Phase 2 models, the previous primary and the incompatible Gemma 3n', async () => {
    const { registry } = await loadRegistry(defaultRegistryPath());
    const byId = new Map(registry.models.map((model) => [model.id, model]));
    for (const id of [
      'alibaba/tongyi-deepresearch-30b-a3b:free',
      'moonshotai/kimi-k2:free',
      'nvidia/nemotron-nano-9b-v2:free',
      'shisa-ai/shisa-v2-llama3.3-70b:free',
      'tngtech/deepseek-r1t2-chimera:free',
      'z-ai/glm-4.6:exacto',
    ]) {
      expect(byId.get(id)?.status).toBe('untested');
    }
    expect(byId.get('mistralai/mistral-small-3.2-24b-instruct:free')).toMatchObject({
      expected_latency_ms: 2340,
      measured: { success_rate: 0.8 },
    });
    expect(byId.get('google/gemma-3n-e4b-it:free')).toMatchObject({
      status: 'incompatible',
      incompatible_reason: 'no system prompt support (developer instruction is not enabled)',
      capabilities: { system_prompt: false },
    });
  });
});

describe('registrySchema', () => {
  it('fills name, family, capabilities and known_issues defaults', () => {
    const registry = registrySchema.parse(minimal());
    expect(registry.models[0]).toMatchObject({
      name: 'a/one:free',
      family: 'a',
      capabilities: {},
      known_issues: [],
    });
  });

  it('refuses a rotation entry that is not a model, or is incompatible/retired', () => {
    expect(registrySchema.safeParse(minimal({ rotation: ['b/two:free'] })).success).toBe(false);
    const retired = minimal({
      models: [{ id: 'a/one:free', status: 'retired', retired_reason: 'gone' }],
    });
    const result = registrySchema.safeParse(retired);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ path: ['rotation', 0] });
  });

  it('requires a reason for incompatible and retired models', () => {
    const result = registrySchema.safeParse(
      minimal({ rotation: [], models: [{ id: 'a/one:free', status: 'incompatible' }] }),
    );
    expect(result.error?.issues[0]).toMatchObject({ path: ['models', 0, 'incompatible_reason'] });
  });

  it('refuses duplicate ids, unknown fields and prices that are not strings', () => {
    const twice = minimal({ models: [minimal().models[0], minimal().models[0]] });
    expect(registrySchema.safeParse(twice).error?.issues[0]?.path).toEqual(['models', 1, 'id']);
    const typo = minimal({ models: [{ id: 'a/one:free', status: 'verified', contxt_length: 5 }] });
    expect(registrySchema.safeParse(typo).error?.issues[0]?.code).toBe('unrecognized_keys');
    const numeric = minimal({
      models: [{ id: 'a/one:free', status: 'verified', pricing: { prompt: 0, completion: '0' } }],
    });
    expect(registrySchema.safeParse(numeric).success).toBe(false);
  });
});

describe('familyFromId', () => {
  it("is the id's author", () => {
    expect(familyFromId('meta-llama/llama-3.3-8b-instruct:free')).toBe('meta-llama');
    expect(familyFromId('~openai/gpt-latest')).toBe('openai');
  });
});
