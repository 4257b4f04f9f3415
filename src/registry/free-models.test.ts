import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { modelsSnapshotPath } from '../../test/repo-fixtures.js';
import { isFreeModel, selectFreeModels } from './free-models.js';
import { type ApiModel, parseModelList } from './openrouter-model.js';

const SNAPSHOT = modelsSnapshotPath();

function snapshotModels(): ApiModel[] {
  const parsed = parseModelList(JSON.parse(readFileSync(SNAPSHOT, 'utf8')));
  expect(parsed.invalid).toEqual([]);
  return parsed.models;
}

function model(id: string, overrides: Partial<ApiModel> = {}): ApiModel {
  return {
    id,
    pricing: { prompt: '0', completion: '0' },
    architecture: { input_modalities: ['text'], output_modalities: ['text'] },
    ...overrides,
  };
}

describe('selectFreeModels on the Aug 2026 snapshot', () => {
  it('finds 20 free entries of 414, of which 16 are chat models', () => {
    const models = snapshotModels();
    expect(models).toHaveLength(414);
    const selection = selectFreeModels(models);
    expect(selection.models.length + selection.excluded.length).toBe(20);
    expect(selection.models).toHaveLength(16);
    expect(selection.models.every((entry) => entry.id.endsWith(':free'))).toBe(true);
  });

  it('excludes the music generators, the free router and the safety classifier, saying why', () => {
    const { excluded } = selectFreeModels(snapshotModels());
    expect(Object.fromEntries(excluded.map(({ id, reason }) => [id, reason]))).toEqual({
      'google/lyria-3-pro-preview': 'not a chat model (also outputs audio)',
      'google/lyria-3-clip-preview': 'not a chat model (also outputs audio)',
      'openrouter/free': 'a router over other models, not a model',
      'nvidia/nemotron-3.5-content-safety:free': 'a content-safety classifier, not a chat model',
    });
  });
});

describe('the free rule', () => {
  it('a `:free` id is free whatever its price; otherwise both prices must be zero', () => {
    expect(isFreeModel('a/b:free', { prompt: '0.1', completion: '0.1' })).toBe(true);
    expect(isFreeModel('a/b', { prompt: '0', completion: '0' })).toBe(true);
    expect(isFreeModel('a/b', { prompt: '0.000', completion: '0' })).toBe(true);
    expect(isFreeModel('a/b', { prompt: '0', completion: '0.0000002' })).toBe(false);
    expect(isFreeModel('a/b', { prompt: '-1', completion: '-1' })).toBe(false);
    expect(isFreeModel('a/b', { prompt: '', completion: '' })).toBe(false);
    expect(isFreeModel('a/b')).toBe(false);
  });

  it('keeps text chat models, vision input included, and drops non-text output', () => {
    const vision = model('a/vision:free', {
      architecture: { input_modalities: ['text', 'image'], output_modalities: ['text'] },
    });
    const image = model('a/painter:free', { architecture: { output_modalities: ['image'] } });
    const noArchitecture = model('a/old:free', { architecture: undefined });
    const { models, excluded } = selectFreeModels([
      vision,
      image,
      noArchitecture,
      model('a/paid', { pricing: { prompt: '1', completion: '1' } }),
    ]);
    expect(models.map((entry) => entry.id)).toEqual(['a/vision:free', 'a/old:free']);
    expect(excluded).toEqual([{ id: 'a/painter:free', reason: 'does not output text (outputs image)' }]);
  });

  it('drops aliases and guard models', () => {
    const { models } = selectFreeModels([
      model('~a/latest'),
      model('meta-llama/llama-guard-9:free'),
      model('a/chat:free'),
    ]);
    expect(models.map((entry) => entry.id)).toEqual(['a/chat:free']);
  });
});

describe('parseModelList', () => {
  it('skips malformed entries and says which', () => {
    const parsed = parseModelList({ data: [{ id: 'a/b' }, { id: 5 }, { name: 'no id' }] });
    expect(parsed.models.map((entry) => entry.id)).toEqual(['a/b']);
    expect(parsed.invalid.map((entry) => entry.index)).toEqual([1, 2]);
  });

  it('refuses a body without a data array', () => {
    expect(() => parseModelList({ models: [] })).toThrow(/no `data` array/);
  });
});
