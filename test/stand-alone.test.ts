/**
 * The repository stands alone: nothing it ships, documents or tests reaches outside its root.
 * `.ci/run` also proves it by running the suite from a copy with nothing beside it; this test
 * catches the regression early, on any machine.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelsSnapshotPath, openRouterFixturesDir, repoRoot } from './repo-fixtures.js';

const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', 'coverage', 'data', '.rotor']);
const TEXT = /\.(ts|mts|mjs|js|json|md|yaml|yml|html|sh|toml)$|^(Dockerfile|run)$/;

function textFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) textFiles(join(dir, entry.name), out);
    } else if (TEXT.test(entry.name) && entry.name !== 'package-lock.json') {
      out.push(join(dir, entry.name));
    }
  }
  return out;
}

// Built from pieces so this file does not match itself.
const SIBLING = ['..', 'shared', ''].join('/');
const OUTSIDE = [SIBLING, ['shared', 'guide', ''].join('/'), ['shared', 'fixtures', ''].join('/')];

describe('the repository stands alone', () => {
  it('no file points at a folder beside the repository', () => {
    const offenders: string[] = [];
    for (const file of textFiles(repoRoot)) {
      const text = readFileSync(file, 'utf8');
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        if (OUTSIDE.some((needle) => line.includes(needle)))
          offenders.push(`${relative(repoRoot, file)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('finds the real OpenRouter fixtures inside the repository', () => {
    const dir = openRouterFixturesDir();
    expect(relative(repoRoot, dir)).toBe(join('test', 'fixtures', 'openrouter'));
    expect(resolve(modelsSnapshotPath()).startsWith(`${repoRoot}`)).toBe(true);
    expect(statSync(modelsSnapshotPath()).size).toBeGreaterThan(1_000_000);
    // Every error body the classification tests load, with its source named beside it.
    const errors = readdirSync(join(dir, 'errors')).sort();
    expect(errors).toEqual([
      '200-inband-upstream-429.json',
      '402-insufficient-credits.json',
      '429-free-models-per-day.json',
      '429-generic-documented.json',
      '429-model-cap-qwen3-coder.json',
      '429-upstream-chutes.json',
      '429-upstream-venice-retry-after.json',
      'stream-midstream-error.sse',
    ]);
    for (const name of errors.filter((n) => n.endsWith('.json'))) {
      const body = JSON.parse(readFileSync(join(dir, 'errors', name), 'utf8')) as { source?: string };
      expect(body.source, name).toMatch(/\S/);
    }
    expect(existsSync(join(dir, 'README.md'))).toBe(true);
  });

  it('the design contract the README refers to is in the repository', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    expect(readme).toContain('docs/design.md');
    expect(readFileSync(join(repoRoot, 'docs', 'design.md'), 'utf8')).toMatch(/## The rotation contract/);
  });
});
