import { beforeAll, describe, expect, it } from 'vitest';
import { loadProviderCatalog } from './provider-catalog-file.js';
import type { Provider, ProviderCatalog } from './provider-catalog-schema.js';
import { ModelListShapeError, parseProviderModelList } from './provider-model-list.js';

let catalog: ProviderCatalog;
beforeAll(async () => {
  catalog = await loadProviderCatalog();
});
const provider = (id: string): Provider => catalog.providers.find((p) => p.id === id)!;

describe('a provider model list in its own shape', () => {
  it('openai shape (Groq): every model free, context from context_window', () => {
    const list = parseProviderModelList(provider('groq'), {
      object: 'list',
      data: [
        { id: 'llama-3.1-8b-instant', object: 'model', context_window: 131072 },
        { id: 'openai/gpt-oss-120b', object: 'model' },
      ],
    });
    expect(list).toEqual({
      models: [
        { id: 'llama-3.1-8b-instant', free: true, contextLength: 131072 },
        { id: 'openai/gpt-oss-120b', free: true },
      ],
      invalid: [],
    });
  });

  it("Gemini's `models/` prefix is stripped: the chat endpoint takes the bare id", () => {
    const list = parseProviderModelList(provider('gemini'), {
      object: 'list',
      data: [{ id: 'models/gemini-2.5-flash' }, { id: 'models/gemini-2.5-pro' }],
    });
    expect(list.models.map((m) => m.id)).toEqual(['gemini-2.5-flash', 'gemini-2.5-pro']);
  });

  it("GitHub's catalog is a bare array; an embeddings model says what it does", () => {
    const list = parseProviderModelList(provider('github-models'), [
      {
        id: 'openai/gpt-4.1',
        supported_output_modalities: ['text'],
        limits: { max_input_tokens: 1048576, max_output_tokens: 32768 },
      },
      { id: 'openai/text-embedding-3-small', supported_output_modalities: ['embeddings'] },
    ]);
    expect(list.models).toEqual([
      { id: 'openai/gpt-4.1', free: true, contextLength: 1048576 },
      { id: 'openai/text-embedding-3-small', free: true, task: 'embeddings' },
    ]);
  });

  it("Cloudflare's search API: `result[].name`, the context window as a property, other tasks named", () => {
    const list = parseProviderModelList(provider('cloudflare'), {
      success: true,
      result: [
        {
          id: '0f002249-7d86-4698-aabf-8529ed86cefb',
          name: '@cf/openai/gpt-oss-120b',
          task: { name: 'Text Generation' },
          properties: [{ property_id: 'context_window', value: '128000' }],
        },
        { id: 'x', name: '@cf/baai/bge-m3', task: { name: 'Text Embeddings' } },
      ],
    });
    expect(list.models).toEqual([
      { id: '@cf/openai/gpt-oss-120b', free: true, contextLength: 128000 },
      { id: '@cf/baai/bge-m3', free: true, task: 'Text Embeddings' },
    ]);
  });

  it("OpenRouter's rule: only `:free` ids are free", () => {
    const list = parseProviderModelList(provider('openrouter'), {
      data: [
        { id: 'meta-llama/llama-3.3-70b-instruct:free', context_length: 65536 },
        { id: 'openai/gpt-4o' },
      ],
    });
    expect(list.models.map((m) => [m.id, m.free])).toEqual([
      ['meta-llama/llama-3.3-70b-instruct:free', true],
      ['openai/gpt-4o', false],
    ]);
  });

  it('zero_price and listed rules (a provider added in the config)', () => {
    const base = provider('groq');
    const zero = { ...base, models: { ...base.models, free: 'zero_price' as const } };
    expect(
      parseProviderModelList(zero, {
        data: [
          { id: 'a', pricing: { prompt: '0', completion: '0' } },
          { id: 'b', pricing: { prompt: '0', completion: '0.000001' } },
          { id: 'c' },
        ],
      }).models.map((m) => [m.id, m.free]),
    ).toEqual([
      ['a', true],
      ['b', false],
      ['c', false],
    ]);
    const listed = { ...base, models: { ...base.models, free: 'listed' as const, free_models: ['b'] } };
    expect(
      parseProviderModelList(listed, { data: [{ id: 'a' }, { id: 'b' }] }).models.map((m) => [m.id, m.free]),
    ).toEqual([
      ['a', false],
      ['b', true],
    ]);
  });

  it('entries without an id are reported and skipped; duplicates count once', () => {
    const list = parseProviderModelList(provider('groq'), {
      data: [{ id: 'a' }, { object: 'model' }, 'junk', { id: 'a' }],
    });
    expect(list).toEqual({
      models: [{ id: 'a', free: true }],
      invalid: [
        { index: 1, message: 'no id' },
        { index: 2, message: 'not an object' },
      ],
    });
  });

  it('a body of another shape is an error that says which shape was expected', () => {
    expect(() => parseProviderModelList(provider('github-models'), { data: [] })).toThrow(
      new ModelListShapeError('expected a JSON array of models'),
    );
    expect(() => parseProviderModelList(provider('cloudflare'), { data: [] })).toThrow(
      new ModelListShapeError('expected {"result": [...]}'),
    );
    expect(() => parseProviderModelList(provider('groq'), [])).toThrow(
      new ModelListShapeError('expected {"data": [...]}'),
    );
  });
});
