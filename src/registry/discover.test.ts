import { describe, expect, it } from 'vitest';
import { applyDiff, diffRegistry, toRegistryEntry } from './discover.js';
import type { ApiModel } from './openrouter-model.js';
import { parseRegistry, stringifyRegistry, validateDocument } from './registry-file.js';

const TODAY = { todayIsoDate: '2026-08-20' };

const TEXT = `# header
version: 1.0.0
last_updated: 2025-10-25
rotation:
  - a/kept:free # primary
  - a/gone:free
models:
  # kept comment
  - id: a/kept:free
    status: verified
    context_length: 8192
    capabilities:
      system_prompt: true
      tools: true

  - id: a/gone:free
    status: verified

  - id: b/back:free
    status: retired
    retired_reason: gone last year
`;

function apiModel(id: string, overrides: Partial<ApiModel> = {}): ApiModel {
  return {
    id,
    name: `Name of ${id}`,
    context_length: 8192,
    architecture: { input_modalities: ['text'], output_modalities: ['text'] },
    pricing: { prompt: '0', completion: '0' },
    supported_parameters: ['tools'],
    ...overrides,
  };
}

describe('toRegistryEntry', () => {
  it('reads capabilities from supported_parameters and input modalities', () => {
    const entry = toRegistryEntry(
      apiModel('z/m:free', {
        architecture: { input_modalities: ['text', 'image'], output_modalities: ['text'] },
        supported_parameters: ['tools', 'structured_outputs', 'include_reasoning'],
      }),
    );
    expect(entry).toEqual({
      id: 'z/m:free',
      name: 'Name of z/m:free',
      family: 'z',
      status: 'untested',
      context_length: 8192,
      capabilities: { tools: true, json_mode: true, reasoning: true, vision: true },
      pricing: { prompt: '0', completion: '0' },
    });
  });

  it('leaves unknown what the list does not say, and falls back to the top provider context', () => {
    const entry = toRegistryEntry({
      id: 'z/m:free',
      context_length: null,
      top_provider: { context_length: 4096 },
    });
    expect(entry.capabilities).toEqual({});
    expect(entry.context_length).toBe(4096);
    expect(entry.pricing).toBeUndefined();
  });
});

describe('diffRegistry', () => {
  const { registry } = parseRegistry(TEXT, 'test.yaml');

  it('finds added, retired, changed and unchanged models', () => {
    const diff = diffRegistry(
      registry,
      [apiModel('c/new:free'), apiModel('a/kept:free', { context_length: 16384, supported_parameters: [] })],
      TODAY,
    );
    expect(diff.added.map((model) => model.id)).toEqual(['c/new:free']);
    expect(diff.retired).toEqual([
      { id: 'a/gone:free', reason: 'no longer listed as a free model (rotor discover, 2026-08-20)' },
    ]);
    expect(diff.changed).toEqual([
      { id: 'a/kept:free', field: 'context_length', from: 8192, to: 16384 },
      { id: 'a/kept:free', field: 'capabilities.tools', from: true, to: false },
      { id: 'a/kept:free', field: 'capabilities.vision', from: undefined, to: false },
      { id: 'a/kept:free', field: 'capabilities.json_mode', from: undefined, to: false },
      { id: 'a/kept:free', field: 'capabilities.reasoning', from: undefined, to: false },
    ]);
    expect(diff.unchanged).toEqual([]);
  });

  it('counts a model with nothing new as unchanged', () => {
    const silent = { supported_parameters: undefined, architecture: undefined };
    const kept = apiModel('a/kept:free', silent);
    const gone = apiModel('a/gone:free', { ...silent, context_length: null });
    const diff = diffRegistry(registry, [kept, gone], TODAY);
    expect(diff.unchanged).toEqual(['a/kept:free', 'a/gone:free']);
    expect(diff.changed).toEqual([]);
    expect(diff.retired).toEqual([]);
  });

  it('brings a retired model that is listed again back as untested', () => {
    const diff = diffRegistry(
      registry,
      [apiModel('b/back:free', { supported_parameters: undefined })],
      TODAY,
    );
    expect(diff.changed[0]).toEqual({ id: 'b/back:free', field: 'status', from: 'retired', to: 'untested' });
  });

  it('does not retire a model twice', () => {
    const diff = diffRegistry(registry, [], TODAY);
    expect(diff.retired.map((model) => model.id)).toEqual(['a/kept:free', 'a/gone:free']);
  });
});

describe('applyDiff', () => {
  it('edits the document in place: comments and order survive, the result is valid', () => {
    const { registry, document } = parseRegistry(TEXT, 'test.yaml');
    const diff = diffRegistry(
      registry,
      [apiModel('c/new:free'), apiModel('a/kept:free', { context_length: 16384 }), apiModel('b/back:free')],
      TODAY,
    );
    expect(applyDiff(document, diff, TODAY)).toBe(true);
    const text = stringifyRegistry(document);
    const after = validateDocument(document, 'test.yaml');
    expect(after.models.map((model) => [model.id, model.status])).toEqual([
      ['a/kept:free', 'verified'],
      ['a/gone:free', 'retired'],
      ['b/back:free', 'untested'],
      ['c/new:free', 'untested'],
    ]);
    expect(after.rotation).toEqual(['a/kept:free']);
    expect(after.models[0]?.context_length).toBe(16384);
    expect(after.models[2]?.retired_reason).toBeUndefined();
    expect(after.version).toBe('1.0.1');
    expect(after.last_updated).toBe('2026-08-20');
    expect(text).toContain('# header\n');
    expect(text).toContain('  - a/kept:free # primary\n');
    expect(text).toContain('  # kept comment\n  - id: a/kept:free\n');
    expect(text).toContain('  # --- Added by rotor discover, 2026-08-20. ---\n  - id: c/new:free\n');
  });

  it('does nothing when nothing changed', () => {
    const { document } = parseRegistry(TEXT, 'test.yaml');
    expect(applyDiff(document, { added: [], retired: [], changed: [], unchanged: ['a'] }, TODAY)).toBe(false);
    expect(stringifyRegistry(document)).toBe(TEXT);
  });
});
