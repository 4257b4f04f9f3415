import { describe, expect, it } from 'vitest';
import {
  appendModel,
  bumpPatch,
  findModelNode,
  markUpdated,
  removeFromRotation,
  retireModel,
  setModelStatus,
  setRotation,
  updateModelFields,
} from './registry-edit.js';
import { parseRegistry, stringifyRegistry, validateDocument } from './registry-file.js';

const TEXT = `# header comment
version: 1.0.0
last_updated: 2025-10-25
# the order
rotation:
  - a/one:free # primary
  - b/two:free
models:
  # section comment
  - id: a/one:free
    status: verified # checked by hand
    context_length: 8192
    notes: keep me

  - id: b/two:free
    status: verified
`;

function load() {
  return parseRegistry(TEXT, 'test.yaml').document;
}

describe('registry edits keep comments and order', () => {
  it('updateModelFields sets scalars in place and creates nested maps', () => {
    const doc = load();
    updateModelFields(doc, 'a/one:free', { context_length: 16384, 'capabilities.tools': true });
    const text = stringifyRegistry(doc);
    expect(text).toContain('context_length: 16384\n');
    expect(text).toContain('status: verified # checked by hand');
    expect(text).toContain('# section comment');
    // A new top-level key goes to its canonical place: capabilities after context_length, before notes.
    expect(text).toMatch(/context_length: 16384\n {4}capabilities:\n {6}tools: true\n {4}notes: keep me/);
  });

  it('updateModelFields deletes a field given undefined', () => {
    const doc = load();
    updateModelFields(doc, 'a/one:free', { notes: undefined });
    expect(stringifyRegistry(doc)).not.toContain('keep me');
  });

  it('retireModel sets status and reason and takes the model out of the rotation', () => {
    const doc = load();
    retireModel(doc, 'a/one:free', 'gone upstream');
    const text = stringifyRegistry(doc);
    expect(text).toContain(
      '  - id: a/one:free\n    status: retired # checked by hand\n    retired_reason: gone upstream\n',
    );
    expect(text).toContain('rotation:\n  - b/two:free\n');
    expect(validateDocument(doc, 'test.yaml').rotation).toEqual(['b/two:free']);
  });

  it('setModelStatus away from retired drops the retired reason', () => {
    const doc = load();
    retireModel(doc, 'b/two:free', 'gone');
    setModelStatus(doc, 'b/two:free', 'untested');
    expect(stringifyRegistry(doc)).not.toContain('retired_reason');
  });

  it('appendModel adds a model at the end in canonical key order under a comment', () => {
    const doc = load();
    appendModel(
      doc,
      { pricing: { prompt: '0', completion: '0' }, status: 'untested', id: 'c/three:free', known_issues: [] },
      { comment: 'added by a test' },
    );
    const text = stringifyRegistry(doc);
    expect(
      text.endsWith(
        '\n  # added by a test\n  - id: c/three:free\n    status: untested\n    pricing:\n      prompt: "0"\n      completion: "0"\n',
      ),
    ).toBe(true);
    expect(validateDocument(doc, 'test.yaml').models.map((model) => model.id)).toEqual([
      'a/one:free',
      'b/two:free',
      'c/three:free',
    ]);
  });

  it('setRotation replaces the items but keeps the comment above the list', () => {
    const doc = load();
    setRotation(doc, [{ id: 'b/two:free', comment: '1.00 s ultra-fast (primary)' }, { id: 'a/one:free' }]);
    expect(stringifyRegistry(doc)).toContain(
      '# the order\nrotation:\n  - b/two:free # 1.00 s ultra-fast (primary)\n  - a/one:free\nmodels:',
    );
  });

  it('an emptied rotation is written as an empty list', () => {
    const doc = load();
    removeFromRotation(doc, ['a/one:free', 'b/two:free']);
    expect(stringifyRegistry(doc)).toContain('rotation: []\n');
    expect(validateDocument(doc, 'test.yaml').rotation).toEqual([]);
  });

  it('markUpdated bumps the patch version and sets the date', () => {
    const doc = load();
    markUpdated(doc, '2026-08-20');
    expect(stringifyRegistry(doc)).toContain('# header comment\nversion: 1.0.1\nlast_updated: 2026-08-20\n');
  });

  it('finds models by id and refuses to edit unknown ones', () => {
    const doc = load();
    expect(findModelNode(doc, 'b/two:free')).toBeDefined();
    expect(findModelNode(doc, 'x/none')).toBeUndefined();
    expect(() => updateModelFields(doc, 'x/none', { notes: 'x' })).toThrow(/no model x\/none/);
  });
});

describe('bumpPatch', () => {
  it('increments the last number and leaves other strings alone', () => {
    expect(bumpPatch('1.1.0')).toBe('1.1.1');
    expect(bumpPatch('1.1.9')).toBe('1.1.10');
    expect(bumpPatch('next')).toBe('next');
  });
});
