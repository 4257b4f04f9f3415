import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { registryModel as reg } from '../../test/registry-model.js';
import { modelsSnapshotPath } from '../../test/repo-fixtures.js';
import { SEED_ROTATION_ORDER } from '../engine/seed-defaults.js';
import { type ApiModel, parseModelList } from '../registry/openrouter-model.js';
import { defaultRegistryPath, loadRegistry } from '../registry/registry-file.js';
import { type ReconcileInput, type RetiredBy, reconcileRotation } from './reconcile-rotation.js';

const BASE = 'https://openrouter.ai/api/v1';
const AT = Date.UTC(2026, 7, 20, 9, 30);
const ISO = '2026-08-20T09:30:00.000Z';

function free(id: string, extra: Partial<ApiModel> = {}): ApiModel {
  return {
    id,
    context_length: 32_768,
    pricing: { prompt: '0', completion: '0' },
    architecture: { input_modalities: ['text'], output_modalities: ['text'] },
    supported_parameters: ['tools', 'max_tokens'],
    ...extra,
  };
}

function run(over: Partial<ReconcileInput>) {
  return reconcileRotation({
    current: [],
    pinned: false,
    listed: [],
    registry: [],
    baseUrl: BASE,
    atMs: AT,
    ...over,
  });
}

describe('reconcileRotation, unpinned', () => {
  it('keeps live entries in their order, then live registry models by their stats, then new ones as untested', () => {
    const result = run({
      current: ['a/gone:free', 'b/kept-2:free', 'c/kept-1:free'],
      registry: [
        reg('a/gone:free'),
        reg('b/kept-2:free'),
        reg('c/kept-1:free'),
        reg('d/slow:free', { expected_latency_ms: 9000 }),
        reg('e/fast:free', { expected_latency_ms: 800 }),
      ],
      listed: [
        free('c/kept-1:free'),
        free('b/kept-2:free'),
        free('d/slow:free'),
        free('e/fast:free'),
        free('x/small:free', { context_length: 8192 }),
        free('y/big:free', { context_length: 1_000_000 }),
        free('w/small:free', { context_length: 8192 }),
      ],
    });
    expect(result.order).toEqual([
      'b/kept-2:free',
      'c/kept-1:free',
      'e/fast:free',
      'd/slow:free',
      'y/big:free',
      'w/small:free',
      'x/small:free',
    ]);
    expect(result.retired).toEqual([
      { id: 'a/gone:free', reason: `no longer listed as a free model on ${BASE}, checked ${ISO}` },
    ]);
    expect(result.added).toEqual([
      { id: 'e/fast:free', status: 'verified' },
      { id: 'd/slow:free', status: 'verified' },
      { id: 'y/big:free', status: 'untested' },
      { id: 'w/small:free', status: 'untested' },
      { id: 'x/small:free', status: 'untested' },
    ]);
    expect(result.removed).toEqual(['a/gone:free']);
    expect(result.liveFree).toBe(7);
    expect(result.changes.map((c) => `${c.type}:${'model' in c ? c.model : ''}`)).toEqual([
      'retired:a/gone:free',
      'added:e/fast:free',
      'added:d/slow:free',
      'added:y/big:free',
      'added:w/small:free',
      'added:x/small:free',
      'order:',
    ]);
    expect(result.changes.at(-1)?.reason).toBe(
      `rotation rebuilt from 7 free models listed on ${BASE}: 2 kept, 5 added (3 untested), 1 removed`,
    );
  });

  it('leaves out what cannot serve chat: routers, classifiers, audio output, paid models', () => {
    const result = run({
      listed: [
        free('openrouter/free'),
        free('nvidia/nemotron-3.5-content-safety:free'),
        free('google/lyria-3-pro-preview', {
          architecture: { input_modalities: ['text'], output_modalities: ['text', 'audio'] },
        }),
        free('openai/gpt-5', { pricing: { prompt: '0.000001', completion: '0.00001' } }),
        free('z/chat:free'),
      ],
    });
    expect(result.order).toEqual(['z/chat:free']);
    expect(result.liveFree).toBe(1);
  });

  it('says why an entry that is still listed is no longer usable', () => {
    const result = run({
      current: ['p/now-paid', 'n/classifier-guard:free'],
      listed: [
        free('p/now-paid', { pricing: { prompt: '0.000001', completion: '0.000002' } }),
        free('n/classifier-guard:free'),
        free('z/chat:free'),
      ],
    });
    expect(result.retired).toEqual([
      { id: 'p/now-paid', reason: `no longer free on ${BASE}, checked ${ISO}` },
      {
        id: 'n/classifier-guard:free',
        reason: `not a chat model: a content-safety classifier, not a chat model (${BASE}, checked ${ISO})`,
      },
    ]);
  });

  it('an incompatible registry model stays out; a registry "retired" model that is listed again comes in as untested', () => {
    const result = run({
      registry: [
        reg('g/no-system:free', { status: 'incompatible', incompatible_reason: 'no system prompt' }),
        reg('o/old:free', { status: 'retired', retired_reason: 'gone in 2025' }),
      ],
      listed: [free('g/no-system:free'), free('o/old:free')],
    });
    expect(result.order).toEqual(['o/old:free']);
    expect(result.added).toEqual([{ id: 'o/old:free', status: 'untested' }]);
  });

  it('derives engine profiles from the list: context length, tools, vision', () => {
    const result = run({
      listed: [
        free('v/vision:free', {
          context_length: 131_072,
          architecture: { input_modalities: ['text', 'image'], output_modalities: ['text'] },
          supported_parameters: ['max_tokens'],
        }),
      ],
    });
    expect(result.profiles).toEqual([
      { id: 'v/vision:free', contextLength: 131_072, tools: false, vision: true },
    ]);
  });

  it('a second run over the same list changes nothing', () => {
    const input = {
      current: ['a/gone:free', 'b/x:free'],
      listed: [free('b/x:free'), free('c/y:free')],
      registry: [reg('a/gone:free')],
    };
    const first = run(input);
    const retired = new Map<string, RetiredBy>(first.retiredByList.map((id) => [id, 'list']));
    const second = run({ ...input, current: first.order, retired });
    expect(second.changes).toEqual([]);
    expect(second.orderChanged).toBe(false);
  });
});

describe('reconcileRotation, retired models', () => {
  it('a model retired for being unlisted is restored when listed again, and rejoins the order', () => {
    const result = run({
      current: ['b/x:free'],
      listed: [free('b/x:free'), free('a/back:free')],
      retired: new Map([['a/back:free', 'list']]),
    });
    expect(result.restored).toEqual([
      { id: 'a/back:free', reason: `listed again as a free model on ${BASE}, checked ${ISO}` },
    ]);
    expect(result.order).toEqual(['b/x:free', 'a/back:free']);
    expect(result.retiredByList).toEqual([]);
  });

  it('a model retired by a 404 in traffic stays retired while listed, and is not added back', () => {
    const result = run({
      current: ['a/404:free', 'b/x:free'],
      listed: [free('a/404:free'), free('b/x:free'), free('c/other-404:free')],
      retired: new Map<string, RetiredBy>([
        ['a/404:free', 'traffic'],
        ['c/other-404:free', 'traffic'],
      ]),
    });
    expect(result.restored).toEqual([]);
    expect(result.retired).toEqual([]);
    expect(result.order).toEqual(['a/404:free', 'b/x:free']);
    expect(result.retiredByList).toEqual([]);
  });

  it('once unlisted, a model retired by traffic is the list’s to bring back (not retired twice)', () => {
    const result = run({
      current: ['a/404:free', 'b/x:free'],
      listed: [free('b/x:free')],
      retired: new Map<string, RetiredBy>([['a/404:free', 'traffic']]),
    });
    expect(result.retired).toEqual([]);
    expect(result.removed).toEqual(['a/404:free']);
    expect(result.retiredByList).toEqual(['a/404:free']);
  });
});

describe('reconcileRotation, pinned order', () => {
  it('keeps the order, retires what is no longer listed, adds nothing; a listed paid model stays', () => {
    const result = run({
      pinned: true,
      current: ['a/gone:free', 'p/paid-model', 'b/x:free'],
      listed: [
        free('p/paid-model', { pricing: { prompt: '0.1', completion: '0.1' } }),
        free('b/x:free'),
        free('c/new:free'),
      ],
    });
    expect(result.order).toEqual(['a/gone:free', 'p/paid-model', 'b/x:free']);
    expect(result.orderChanged).toBe(false);
    expect(result.retired.map((r) => r.id)).toEqual(['a/gone:free']);
    expect(result.added).toEqual([]);
    expect(result.changes.map((c) => c.type)).toEqual(['retired']);
    expect(result.profiles.map((p) => p.id)).toEqual(['b/x:free', 'c/new:free']);
  });

  it('restores a pinned entry that is listed again', () => {
    const result = run({
      pinned: true,
      current: ['a/back:free'],
      listed: [free('a/back:free')],
      retired: new Map([['a/back:free', 'list']]),
    });
    expect(result.restored.map((r) => r.id)).toEqual(['a/back:free']);
    expect(result.order).toEqual(['a/back:free']);
  });
});

describe('reconcileRotation with the real Aug 2026 list and the shipped registry', () => {
  it('retires all 12 seed models and leads with the one registry model still free', async () => {
    const { registry } = await loadRegistry(defaultRegistryPath());
    const listed = parseModelList(JSON.parse(readFileSync(modelsSnapshotPath(), 'utf8'))).models;
    const result = run({ current: registry.rotation, listed, registry: registry.models });
    expect(result.retired.map((r) => r.id)).toEqual([...SEED_ROTATION_ORDER]);
    expect(result.order[0]).toBe('nvidia/nemotron-nano-9b-v2:free');
    expect(result.order).toHaveLength(result.liveFree);
    expect(result.order).not.toContain('openrouter/free');
    expect(result.order).not.toContain('nvidia/nemotron-3.5-content-safety:free');
    expect(result.order.some((id) => id.includes('lyria'))).toBe(false);
    expect(result.order.every((id) => id.endsWith(':free'))).toBe(true);
    expect(result.added.slice(1).every((a) => a.status === 'untested')).toBe(true);
  });
});

describe('reconcileRotation, properties', () => {
  const ids = ['a/1:free', 'b/2:free', 'c/3:free', 'd/4:free', 'e/5:free', 'f/6:free'];
  const arbitraryInput = fc.record({
    current: fc.uniqueArray(fc.constantFrom(...ids)),
    listed: fc.uniqueArray(fc.constantFrom(...ids)),
    known: fc.uniqueArray(fc.constantFrom(...ids)),
    retired: fc.dictionary(fc.constantFrom(...ids), fc.constantFrom<RetiredBy>('list', 'traffic')),
    pinned: fc.boolean(),
  });

  it('the order has no duplicates; unpinned it holds only listed free models; pinned it is unchanged', () => {
    fc.assert(
      fc.property(arbitraryInput, (x) => {
        const result = run({
          current: x.current,
          pinned: x.pinned,
          listed: x.listed.map((id) => free(id)),
          registry: x.known.map((id) => reg(id)),
          retired: new Map(Object.entries(x.retired)),
        });
        expect(new Set(result.order).size).toBe(result.order.length);
        if (x.pinned) expect(result.order).toEqual(x.current);
        else for (const id of result.order) expect(x.listed).toContain(id);
        for (const { id } of result.retired) expect(x.listed).not.toContain(id);
        for (const { id } of result.restored) expect(x.listed).toContain(id);
      }),
    );
  });

  it('applying a result and reconciling again with the same list changes nothing', () => {
    fc.assert(
      fc.property(arbitraryInput, (x) => {
        const input = {
          current: x.current,
          pinned: x.pinned,
          listed: x.listed.map((id) => free(id)),
          registry: x.known.map((id) => reg(id)),
        };
        const first = run({ ...input, retired: new Map(Object.entries(x.retired)) });
        const retired = new Map<string, RetiredBy>();
        for (const [id, by] of Object.entries(x.retired)) retired.set(id, by);
        for (const { id } of first.restored) retired.delete(id);
        for (const { id } of first.retired) retired.set(id, 'list');
        for (const id of first.retiredByList) retired.set(id, 'list');
        const second = run({ ...input, current: first.order, retired });
        expect(second.changes).toEqual([]);
      }),
    );
  });
});
