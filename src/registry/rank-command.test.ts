import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { register, runRank } from './rank-command.js';
import { defaultRegistryPath, loadRegistry } from './registry-file.js';

let dir: string;
let registryPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotor-rank-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  registryPath = join(dir, `free-models-${Math.random().toString(36).slice(2)}.yaml`);
  await copyFile(defaultRegistryPath(), registryPath);
});

describe('rotor rank', () => {
  it('prints the order as a table with tiers and does not write without --write', async () => {
    const before = await readFile(registryPath);
    const io = captureIo();
    expect(await runRank({ registry: registryPath }, io)).toBe(0);
    const text = io.out.join('\n');
    expect(text).toMatch(/^ # {2}MODEL +FAMILY +TIER +LATENCY +SUCCESS +SCORE +STATUS$/m);
    expect(text).toMatch(
      /^ 1 {2}meta-llama\/llama-3\.3-8b-instruct:free +meta-llama +ultra-fast +\(0\.88 s\) +100 % +1\.14 +verified$/m,
    );
    expect(text).toMatch(
      /^13 {2}mistralai\/mistral-small-3\.2-24b-instruct:free .* fast +\(2\.34 s\) +80 % /m,
    );
    expect(text).toContain('  google/gemma-3n-e4b-it:free: incompatible: no system prompt support');
    expect(text).toContain('run with --write to store it');
    expect((await readFile(registryPath)).equals(before)).toBe(true);
  });

  it('--write stores the order in the rotation, keeping comments elsewhere', async () => {
    const io = captureIo();
    expect(await runRank({ registry: registryPath, write: true }, io)).toBe(0);
    const text = await readFile(registryPath, 'utf8');
    const { registry } = await loadRegistry(registryPath);
    expect(registry.rotation).toHaveLength(18);
    expect(registry.rotation.slice(4, 7)).toEqual([
      'meituan/longcat-flash-chat:free',
      'meta-llama/llama-3.3-70b-instruct:free',
      'minimax/minimax-m2:free',
    ]);
    expect(registry).toMatchObject({ version: '1.1.1', last_updated: '2026-08-20' });
    expect(text).toContain(
      'rotation:\n  - meta-llama/llama-3.3-8b-instruct:free # 0.88 s ultra-fast (primary)\n',
    );
    expect(text).toContain('  - alibaba/tongyi-deepresearch-30b-a3b:free # latency unknown\n');
    expect(text).toContain("# Default rotation order, primary first. This is the seed's");
    expect(text).toContain('  # --- Further Phase 2 expansion models. ---');
    expect(io.out.join('\n')).toContain('Wrote the rotation (18 models)');
  });

  it('a second --write changes nothing', async () => {
    await runRank({ registry: registryPath, write: true }, captureIo());
    const once = await readFile(registryPath, 'utf8');
    const io = captureIo();
    await runRank({ registry: registryPath, write: true }, io);
    expect(await readFile(registryPath, 'utf8')).toBe(once);
    expect(io.out.join('\n')).toContain('The rotation is already in this order.');
  });

  it('--json prints the ranking for scripts', async () => {
    const io = captureIo();
    await runRank({ registry: registryPath, json: true }, io);
    const report = JSON.parse(io.out.join('\n')) as {
      ranked: { id: string; tier: string }[];
      written: boolean;
    };
    expect(report.ranked[0]).toMatchObject({
      id: 'meta-llama/llama-3.3-8b-instruct:free',
      tier: 'ultra-fast',
    });
    expect(report.written).toBe(false);
  });

  it('colours tiers only when asked to', async () => {
    const io = captureIo({ colour: true });
    await runRank({ registry: registryPath }, io);
    expect(io.out.join('\n')).toContain('\u001b[32multra-fast\u001b[39m');
  });

  it('fails with exit code 1 and the line of the problem on a broken registry', async () => {
    const text = await readFile(registryPath, 'utf8');
    await writeFile(registryPath, text.replace('expected_latency_ms: 880', 'expected_latency_ms: fast'));
    const io = captureIo();
    expect(await runRank({ registry: registryPath }, io)).toBe(1);
    expect(io.err[0]).toMatch(
      /\.yaml:\d+: models\[0\]\.expected_latency_ms: expected number, got string "fast"$/,
    );
  });

  it('is registered as a commander subcommand', async () => {
    const io = captureIo();
    const program = new Command().exitOverride();
    register(program, io);
    await program.parseAsync(['rank', '--registry', registryPath, '--json'], { from: 'user' });
    expect(JSON.parse(io.out.join('\n'))).toHaveProperty('ranked');
    process.exitCode = undefined;
  });
});
