/**
 * The install paths as files: images cannot be built on our machines, so the Dockerfile is held to
 * being a thin wrapper around scripts/install-from-tarball.sh (which CI runs through
 * scripts/check-install.mjs), and compose.yaml to the shared-state setup the README describes.
 * What `npx rotor` needs from the checkout is checked here; `.ci/run` runs it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from './repo-fixtures.js';

const read = (name: string) => readFileSync(join(repoRoot, name), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  version: string;
  bin: Record<string, string>;
  files: string[];
  scripts: Record<string, string>;
};

describe('install paths', () => {
  // `.ci/run` also runs `npx rotor --version` itself; here, without npm (whose cache lock can stall
  // for minutes while another npm runs), what npx relies on: the bin entry is a runnable script.
  it('npx rotor finds the checkout’s own binary, which runs', () => {
    const bin = join(repoRoot, pkg.bin.rotor!);
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const out = execFileSync(process.execPath, [bin, '--version'], { cwd: repoRoot, encoding: 'utf8' });
    expect(out.trim()).toBe(pkg.version);
  });

  it('the package builds on a git install (prepare) and ships what rotor reads at run time', () => {
    expect(pkg.scripts.prepare).toBe('npm run build');
    expect(pkg.bin.rotor).toBe('dist/cli/main.js');
    for (const needed of ['dist', 'registry', 'assets']) expect(pkg.files).toContain(needed);
  });

  it('the Dockerfile: Node 20 slim, the install script, non-root, a health check on /health, a state volume', () => {
    const lines = read('Dockerfile')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
    const from = lines.filter((l) => l.startsWith('FROM '));
    expect(from.length).toBeGreaterThan(0);
    for (const f of from) expect(f).toMatch(/^FROM node:20-slim\b/);
    expect(
      lines.filter((l) => l.startsWith('RUN ') && l.includes('scripts/install-from-tarball.sh')),
    ).toHaveLength(1);
    // No npm step of its own: what the image contains is what the script (tested in CI) produces.
    expect(lines.filter((l) => /\bnpm (ci|install|pack)\b/.test(l))).toEqual([]);
    const user = lines.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/\broot\b|\b0\b/);
    const health = lines.join('\n').match(/HEALTHCHECK[\s\S]*?CMD[^\n]*/)?.[0] ?? '';
    expect(health).toContain('/health');
    expect(lines.some((l) => l.startsWith('VOLUME ') && l.includes('/var/lib/rotor/data'))).toBe(true);
    expect(lines).toContain('WORKDIR /var/lib/rotor'); // ./data, the default SQLite dir, is the volume
  });

  it('compose.yaml: two rotor replicas sharing one Redis', () => {
    const compose = parse(read('compose.yaml'), { merge: true }) as {
      services: Record<string, { image?: string; build?: string; environment?: Record<string, string> }>;
    };
    const rotors = Object.entries(compose.services).filter(([, s]) => s.build === '.');
    expect(rotors).toHaveLength(2);
    for (const [, s] of rotors) expect(s.environment?.ROTOR_STORE).toBe('redis://redis:6379');
    expect(new Set(rotors.map(([, s]) => s.environment?.ROTOR_REPLICA_ID)).size).toBe(2);
    expect(compose.services.redis?.image).toMatch(/^redis:/);
  });
});
