import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatPath } from '../describe-value.js';
import { RegistryError } from './registry-error.js';
import {
  defaultRegistryPath,
  loadRegistry,
  parseRegistry,
  saveRegistry,
  stringifyRegistry,
} from './registry-file.js';

const VALID = `# header comment
version: 1.0.0
last_updated: 2025-10-25
rotation:
  - a/one:free
models:
  - id: a/one:free
    status: verified

  - id: b/two:free # second
    status: untested
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotor-registry-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadError(text: string): Promise<RegistryError> {
  const file = join(dir, 'broken.yaml');
  await writeFile(file, text);
  const error = await loadRegistry(file).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(RegistryError);
  return error as RegistryError;
}

describe('loadRegistry errors', () => {
  it('name the file, the line, the field and the bad value', async () => {
    const error = await loadError(VALID.replace('status: untested', 'status: fast'));
    const file = join(dir, 'broken.yaml');
    expect(error.message).toBe(
      `${file}:11: models[1].status: expected one of verified|untested|rate_limited|incompatible|retired, got "fast"`,
    );
    expect(error.problems[0]).toMatchObject({ file, line: 11, field: 'models[1].status' });
  });

  it('point a wrong type at its line', async () => {
    const error = await loadError(
      VALID.replace('status: verified', 'status: verified\n    context_length: lots'),
    );
    expect(error.message).toMatch(
      /broken\.yaml:9: models\[0\]\.context_length: expected number, got string "lots"$/,
    );
  });

  it('point a misspelt field at its key', async () => {
    const error = await loadError(
      VALID.replace('status: verified', 'status: verified\n    contxt_length: 5'),
    );
    expect(error.message).toMatch(/broken\.yaml:9: models\[0\]\.contxt_length: unknown field$/);
  });

  it('point a missing field at the entry that lacks it', async () => {
    const error = await loadError(VALID.replace('    status: verified\n', ''));
    expect(error.message).toMatch(/broken\.yaml:7: models\[0\]\.status: missing/);
  });

  it('point a rotation entry that is not a model at its line', async () => {
    const error = await loadError(VALID.replace('  - a/one:free\n', '  - a/one:free\n  - c/three:free\n'));
    expect(error.message).toMatch(
      /broken\.yaml:6: rotation\[1\]: not a model in `models`, got "c\/three:free"$/,
    );
  });

  it('report YAML syntax errors with their line', async () => {
    const error = await loadError('version: 1.0.0\nmodels:\n  - id: a: b: c\n');
    expect(error.problems[0]?.line).toBe(3);
    expect(error.message).toMatch(/broken\.yaml:3: invalid YAML/);
  });

  it('report every problem, one per line', async () => {
    const error = await loadError(VALID.replace('status: verified', 'status: ok').replace('1.0.0', 'one'));
    expect(error.problems.map((problem) => problem.field)).toEqual(['version', 'models[0].status']);
    expect(error.message.split('\n')).toHaveLength(2);
  });

  it('say when the file cannot be read', async () => {
    await expect(loadRegistry(join(dir, 'missing.yaml'))).rejects.toThrow(/missing\.yaml: cannot read/);
  });
});

describe('registry files', () => {
  it('the default path is the shipped registry at the package root', async () => {
    expect(defaultRegistryPath()).toMatch(/registry[/\\]free-models\.yaml$/);
    await expect(loadRegistry(defaultRegistryPath())).resolves.toBeDefined();
  });

  it('the shipped file round-trips byte for byte, so writes only show real changes', async () => {
    const text = await readFile(defaultRegistryPath(), 'utf8');
    expect(stringifyRegistry(parseRegistry(text, 'shipped').document)).toBe(text);
  });

  it('saveRegistry refuses an invalid document and leaves the file as it was', async () => {
    const file = join(dir, 'registry.yaml');
    await writeFile(file, VALID);
    const { document } = parseRegistry(VALID, file);
    document.setIn(['models', 0, 'status'], 'fast');
    await expect(saveRegistry(file, document)).rejects.toThrow(/models\[0\]\.status/);
    expect(await readFile(file, 'utf8')).toBe(VALID);
  });

  it('saveRegistry writes the document with its comments', async () => {
    const file = join(dir, 'registry.yaml');
    const { document } = parseRegistry(VALID, file);
    document.setIn(['models', 1, 'status'], 'verified');
    await saveRegistry(file, document);
    expect(await readFile(file, 'utf8')).toBe(VALID.replace('status: untested', 'status: verified'));
  });
});

describe('formatPath', () => {
  it('writes indexes in brackets', () => {
    expect(formatPath(['models', 3, 'capabilities', 'tools'])).toBe('models[3].capabilities.tools');
    expect(formatPath(['rotation', 0])).toBe('rotation[0]');
  });
});
