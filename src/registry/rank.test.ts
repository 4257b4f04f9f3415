import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { registryModel as entry } from '../../test/registry-model.js';
import { latencyTier, rankModels } from './rank.js';
import { defaultRegistryPath, loadRegistry } from './registry-file.js';
import { MODEL_STATUSES, type ModelStatus, type RegistryModel } from './registry-schema.js';

function measured(id: string, successRate: number, p50Ms: number, family?: string): RegistryModel {
  return entry(id, { measured: { success_rate: successRate, p50_ms: p50Ms }, ...(family ? { family } : {}) });
}

const ids = (models: readonly { id: string }[]) => models.map((model) => model.id);

describe('latencyTier', () => {
  it('puts each boundary in the upper tier', () => {
    expect(latencyTier(1_999)).toBe('ultra-fast');
    expect(latencyTier(2_000)).toBe('fast');
    expect(latencyTier(4_999)).toBe('fast');
    expect(latencyTier(5_000)).toBe('balanced');
    expect(latencyTier(14_999)).toBe('balanced');
    expect(latencyTier(15_000)).toBe('slow');
    expect(latencyTier(null)).toBe('unknown');
  });
});

describe('rankModels', () => {
  it('puts success rate before latency', () => {
    const { ranked } = rankModels([measured('a/fast:free', 0.7, 500), measured('b/slow:free', 1, 9_000)]);
    expect(ids(ranked)).toEqual(['b/slow:free', 'a/fast:free']);
  });

  it('treats 0.99 and 1.00 as a near-tie, so latency decides', () => {
    const { ranked } = rankModels([measured('a/sure:free', 1, 3_000), measured('b/quick:free', 0.99, 1_000)]);
    expect(ids(ranked)).toEqual(['b/quick:free', 'a/sure:free']);
    expect(ranked[0]?.successBucket).toBe(ranked[1]?.successBucket);
  });

  it('prefers measured p50 over expected latency', () => {
    const a = entry('a/x:free', { expected_latency_ms: 500, measured: { p50_ms: 8_000, success_rate: 1 } });
    const b = entry('b/y:free', { expected_latency_ms: 3_000, measured: { success_rate: 1 } });
    const { ranked } = rankModels([a, b]);
    expect(ids(ranked)).toEqual(['b/y:free', 'a/x:free']);
    expect(ranked[1]).toMatchObject({ latencyMs: 8_000, latencySource: 'measured', tier: 'balanced' });
    expect(ranked[0]).toMatchObject({ latencyMs: 3_000, latencySource: 'expected', tier: 'fast' });
  });

  it('among near-ties moves a family not used recently ahead', () => {
    const { ranked } = rankModels([
      measured('meta/a:free', 1, 1_000),
      measured('meta/b:free', 1, 1_050),
      measured('other/c:free', 1, 1_100),
    ]);
    expect(ids(ranked)).toEqual(['meta/a:free', 'other/c:free', 'meta/b:free']);
  });

  it('does not trade more than the near-tie margin for diversity', () => {
    const { ranked } = rankModels([
      measured('meta/a:free', 1, 1_000),
      measured('meta/b:free', 1, 1_050),
      measured('other/c:free', 1, 1_300),
    ]);
    expect(ids(ranked)).toEqual(['meta/a:free', 'meta/b:free', 'other/c:free']);
  });

  it('assumes success from status when none is measured, and puts unknown latency last in its bucket', () => {
    const { ranked } = rankModels([
      entry('a/untested:free', { status: 'untested' }),
      entry('b/verified:free', { expected_latency_ms: 20_000 }),
      entry('c/verified:free'),
      measured('d/measured:free', 0.8, 1_000),
    ]);
    expect(ids(ranked)).toEqual(['b/verified:free', 'c/verified:free', 'd/measured:free', 'a/untested:free']);
    expect(ranked[0]).toMatchObject({ successRate: 1, successSource: 'assumed', tier: 'slow', score: 0.05 });
    expect(ranked[1]).toMatchObject({ tier: 'unknown', latencyMs: null, score: null });
  });

  it('leaves out incompatible, retired and paid models, saying why', () => {
    const { ranked, excluded } = rankModels([
      entry('a/bad:free', { status: 'incompatible', incompatible_reason: 'no system prompt' }),
      entry('a/gone:free', { status: 'retired', retired_reason: 'gone' }),
      entry('a/paid'),
      entry('a/zero', { pricing: { prompt: '0', completion: '0' } }),
    ]);
    expect(ids(ranked)).toEqual(['a/zero']);
    expect(excluded).toEqual([
      { id: 'a/bad:free', reason: 'incompatible: no system prompt' },
      { id: 'a/gone:free', reason: 'retired: gone' },
      { id: 'a/paid', reason: 'not free (no `:free` id, no zero pricing)' },
    ]);
    expect(ids(rankModels([entry('a/paid')], { includePaid: true }).ranked)).toEqual(['a/paid']);
  });

  it("orders the shipped registry like the seed, fixing the seed's minimax/llama-70b slip", async () => {
    const { registry } = await loadRegistry(defaultRegistryPath());
    const { ranked, excluded } = rankModels(registry.models);
    expect(ids(ranked).slice(0, 13)).toEqual([
      'meta-llama/llama-3.3-8b-instruct:free',
      'cognitivecomputations/dolphin-mistral-24b-venice-edition:free',
      'cognitivecomputations/dolphin3.0-mistral-24b:free',
      'meta-llama/llama-4-maverick:free',
      // 3.08 s within 15 % of llama-3.3-70b's 3.01 s, and meta-llama was just used: diversity wins.
      'meituan/longcat-flash-chat:free',
      'meta-llama/llama-3.3-70b-instruct:free',
      'minimax/minimax-m2:free',
      'deepseek/deepseek-r1-0528-qwen3-8b:free',
      'arliai/qwq-32b-arliai-rpr-v1:free',
      'microsoft/mai-ds-r1:free',
      'google/gemma-2-9b-it:free',
      'deepseek/deepseek-chat-v3.1:free',
      // Measured 80 %: after every verified model.
      'mistralai/mistral-small-3.2-24b-instruct:free',
    ]);
    expect(ranked.slice(0, 3).every((model) => model.tier === 'ultra-fast')).toBe(true);
    expect(ranked.slice(13).every((model) => model.status === 'untested')).toBe(true);
    expect(ids(excluded)).toEqual(['z-ai/glm-4.6:exacto', 'google/gemma-3n-e4b-it:free']);
  });
});

const FAMILIES = ['meta', 'google', 'deepseek', 'nvidia'];

const entryArbitrary = fc
  .record({
    slug: fc.string({ minLength: 1, maxLength: 6, unit: fc.constantFrom('a', 'b', 'c', 'd', '1', '-') }),
    family: fc.constantFrom(...FAMILIES),
    status: fc.constantFrom<ModelStatus>(...MODEL_STATUSES),
    free: fc.boolean(),
    successRate: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
    p50Ms: fc.option(fc.integer({ min: 0, max: 40_000 }), { nil: undefined }),
    expectedMs: fc.option(fc.integer({ min: 0, max: 40_000 }), { nil: undefined }),
  })
  .map((r) =>
    entry(`${r.family}/${r.slug}${r.free ? ':free' : ''}`, {
      status: r.status,
      expected_latency_ms: r.expectedMs,
      measured: { success_rate: r.successRate, p50_ms: r.p50Ms },
    }),
  );

const entriesArbitrary = fc.uniqueArray(entryArbitrary, { selector: (model) => model.id, maxLength: 25 });

describe('rankModels properties', () => {
  it('ranks a permutation of the eligible models and excludes the rest', () => {
    fc.assert(
      fc.property(entriesArbitrary, (entries) => {
        const { ranked, excluded } = rankModels(entries);
        const eligible = entries.filter(
          (model) => !['incompatible', 'retired'].includes(model.status) && model.id.endsWith(':free'),
        );
        expect([...ids(ranked)].sort()).toEqual(ids(eligible).sort());
        expect(ranked.length + excluded.length).toBe(entries.length);
        expect(ranked.map((model) => model.position)).toEqual(ranked.map((_, index) => index + 1));
      }),
    );
  });

  it('never ranks a model with a strictly better success bucket below a worse one', () => {
    fc.assert(
      fc.property(entriesArbitrary, (entries) => {
        const buckets = rankModels(entries).ranked.map((model) => model.successBucket);
        for (let i = 1; i < buckets.length; i++) expect(buckets[i]!).toBeGreaterThanOrEqual(buckets[i - 1]!);
      }),
    );
  });

  it('within a bucket, trades at most the near-tie margin of latency, and known latency goes first', () => {
    fc.assert(
      fc.property(entriesArbitrary, (entries) => {
        const { ranked } = rankModels(entries);
        for (let i = 0; i < ranked.length; i++) {
          for (let j = i + 1; j < ranked.length; j++) {
            const [early, late] = [ranked[i]!, ranked[j]!];
            if (early.successBucket !== late.successBucket) continue;
            if (late.latencyMs === null) continue;
            expect(early.latencyMs).not.toBeNull();
            expect(early.latencyMs!).toBeLessThanOrEqual(late.latencyMs * 1.15 + 1e-9);
          }
        }
      }),
    );
  });

  it('is deterministic: the input order does not change the ranking', () => {
    fc.assert(
      fc.property(
        entriesArbitrary.chain((entries) =>
          fc.tuple(fc.constant(entries), fc.shuffledSubarray(entries, { minLength: entries.length })),
        ),
        ([entries, shuffled]) => {
          expect(rankModels(shuffled).ranked).toEqual(rankModels(entries).ranked);
        },
      ),
    );
  });
});
