/**
 * `rotor discover` end to end: a real local socket serves the Aug 2026 snapshot as
 * `GET /api/v1/models`, and the command runs against a temp copy of the shipped registry.
 */

import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { modelsSnapshotPath } from '../../test/repo-fixtures.js';
import { register, runDiscover } from './discover-command.js';
import { defaultRegistryPath, loadRegistry } from './registry-file.js';

const SNAPSHOT = modelsSnapshotPath();

let server: Server;
let baseUrl: string;
let requests: { url?: string; authorization?: string }[] = [];
let dir: string;
let registryPath: string;

beforeAll(async () => {
  const snapshot = await readFile(SNAPSHOT);
  server = createServer((req, res) => {
    requests.push({ url: req.url, authorization: req.headers.authorization });
    if (req.method === 'GET' && req.url === '/api/v1/models') {
      res.setHeader('content-type', 'application/json');
      res.end(snapshot);
    } else {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { code: 404, message: 'Not Found' } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  dir = await mkdtemp(join(tmpdir(), 'rotor-discover-'));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  requests = [];
  registryPath = join(dir, `free-models-${Math.random().toString(36).slice(2)}.yaml`);
  await copyFile(defaultRegistryPath(), registryPath);
});

interface JsonReport {
  listed: number;
  free: number;
  selected: number;
  excluded: { id: string }[];
  added: { id: string }[];
  retired: { id: string; reason: string }[];
  changed: { id: string; field: string }[];
  unchanged: string[];
  written: boolean;
}

describe('rotor discover against the snapshot', () => {
  it('counts the free chat models and diffs them against the registry (--json)', async () => {
    const io = captureIo();
    expect(await runDiscover({ registry: registryPath, baseUrl, json: true }, io)).toBe(0);
    const report = JSON.parse(io.out.join('\n')) as JsonReport;
    expect(report).toMatchObject({ listed: 414, free: 20, selected: 16, written: false });
    expect(report.excluded).toHaveLength(4);
    // Only nemotron-nano-9b-v2:free survived from the seed's era; the other 15 are new.
    expect(report.added).toHaveLength(15);
    expect(report.added.map((model) => model.id)).not.toContain('nvidia/nemotron-nano-9b-v2:free');
    expect(new Set(report.changed.map((change) => change.id))).toEqual(
      new Set(['nvidia/nemotron-nano-9b-v2:free']),
    );
    expect(report.changed.map((change) => change.field)).toContain('context_length');
  });

  it('retires every registry model that is not in the snapshot (the incompatible one too)', async () => {
    const io = captureIo();
    await runDiscover({ registry: registryPath, baseUrl, json: true }, io);
    const report = JSON.parse(io.out.join('\n')) as JsonReport;
    const retired = report.retired.map((model) => model.id);
    expect(retired).toHaveLength(19);
    expect(retired).toContain('meta-llama/llama-3.3-8b-instruct:free');
    expect(retired).toContain('google/gemma-3n-e4b-it:free');
    expect(retired).not.toContain('nvidia/nemotron-nano-9b-v2:free');
  });

  it('without --write leaves the file byte for byte as it was', async () => {
    const before = await readFile(registryPath);
    const io = captureIo();
    expect(await runDiscover({ registry: registryPath, baseUrl }, io)).toBe(0);
    expect((await readFile(registryPath)).equals(before)).toBe(true);
    expect(io.out.join('\n')).toContain('Dry run: nothing written');
  });

  it('prints the diff as an aligned table', async () => {
    const io = captureIo();
    await runDiscover({ registry: registryPath, baseUrl }, io);
    const text = io.out.join('\n');
    expect(text).toContain(`${baseUrl}/models: 414 models, 20 free, 16 free chat models`);
    expect(text).toMatch(/^CHANGE {3}MODEL {2,}DETAIL$/m);
    expect(text).toMatch(/^added {4}z-ai\/glm-5\.2:free {2,}256k ctx; tools, json, reasoning$/m);
    expect(text).toMatch(
      /^retired {2}meta-llama\/llama-3\.3-8b-instruct:free {2,}no longer listed as a free model/m,
    );
    expect(text).toMatch(/^changed {2}nvidia\/nemotron-nano-9b-v2:free {2,}context_length: — → 128000$/m);
    expect(text).toContain('15 added, 19 retired, 1 changed, 0 unchanged.');
    expect(text).not.toContain('\u001b[');
  });

  it('--write updates the file, keeping its comments and the order of existing models', async () => {
    const before = await loadRegistry(registryPath);
    const beforeText = await readFile(registryPath, 'utf8');
    const io = captureIo();
    expect(await runDiscover({ registry: registryPath, baseUrl, write: true }, io)).toBe(0);
    const text = await readFile(registryPath, 'utf8');
    const after = await loadRegistry(registryPath);

    // Comments survive: the header, a section comment, the Gemma note.
    for (const comment of [
      "# rotor's registry of free OpenRouter models.",
      '  # --- Further Phase 2 expansion models. ---',
      '  # `:exacto` is not a free variant',
    ]) {
      expect(beforeText).toContain(comment);
      expect(text).toContain(comment);
    }
    // Existing models keep their order; new ones follow.
    const beforeIds = before.registry.models.map((model) => model.id);
    const afterIds = after.registry.models.map((model) => model.id);
    expect(afterIds.slice(0, beforeIds.length)).toEqual(beforeIds);
    expect(afterIds).toHaveLength(beforeIds.length + 15);

    const nemotron = after.registry.models.find((model) => model.id === 'nvidia/nemotron-nano-9b-v2:free');
    expect(nemotron).toMatchObject({
      status: 'untested',
      context_length: 128000,
      capabilities: { tools: true, json_mode: true, reasoning: true, vision: false },
    });
    const llama = after.registry.models.find((model) => model.id === 'meta-llama/llama-3.3-8b-instruct:free');
    expect(llama).toMatchObject({ status: 'retired', expected_latency_ms: 880 });
    // New models are written with keys in the schema's order.
    expect(text).toContain(
      '  - id: z-ai/glm-5.2:free\n    name: "Z.ai: GLM 5.2 (free)"\n    family: z-ai\n    status: untested\n' +
        '    context_length: 256000\n    capabilities:\n      tools: true\n      vision: false\n' +
        '      json_mode: true\n      reasoning: true\n    pricing:\n      prompt: "0"\n      completion: "0"\n',
    );
    expect(after.registry.rotation).toEqual([]);
    expect(after.registry).toMatchObject({ version: '1.1.1', last_updated: '2026-08-20' });
    expect(io.out.join('\n')).toContain('run `rotor rank --write` to rebuild it');
  });

  it('a second --write finds nothing to change', async () => {
    await runDiscover({ registry: registryPath, baseUrl, write: true }, captureIo());
    const once = await readFile(registryPath, 'utf8');
    const io = captureIo();
    await runDiscover({ registry: registryPath, baseUrl, write: true }, io);
    expect(await readFile(registryPath, 'utf8')).toBe(once);
    expect(io.out.join('\n')).toContain('0 added, 0 retired, 0 changed, 16 unchanged.');
  });

  it('takes the base URL and key from the environment and never prints the key', async () => {
    const io = captureIo({ env: { OPENROUTER_BASE_URL: baseUrl, OPENROUTER_API_KEY: 'sk-or-v1-secret' } });
    expect(await runDiscover({ registry: registryPath }, io)).toBe(0);
    expect(requests).toEqual([{ url: '/api/v1/models', authorization: 'Bearer sk-or-v1-secret' }]);
    expect([...io.out, ...io.err].join('\n')).not.toContain('secret');
  });

  it('fails with a clear error and exit code 1 when the fetch fails, writing nothing', async () => {
    const before = await readFile(registryPath);
    const io = captureIo({ env: { OPENROUTER_API_KEY: 'sk-or-v1-secret' } });
    const code = await runDiscover({ registry: registryPath, baseUrl: `${baseUrl}/wrong`, write: true }, io);
    expect(code).toBe(1);
    expect(io.err).toEqual([`rotor discover: GET ${baseUrl}/wrong/models failed: HTTP 404 (Not Found)`]);
    expect((await readFile(registryPath)).equals(before)).toBe(true);
  });

  it('fails with exit code 1 on a broken registry, naming the line', async () => {
    const io = captureIo();
    expect(await runDiscover({ registry: join(dir, 'none.yaml'), baseUrl }, io)).toBe(1);
    expect(io.err[0]).toMatch(/none\.yaml: cannot read/);
    expect(requests).toEqual([]);
  });

  it('is registered as a commander subcommand', async () => {
    const io = captureIo();
    const program = new Command().exitOverride();
    register(program, io);
    await program.parseAsync(['discover', '--registry', registryPath, '--base-url', baseUrl, '--json'], {
      from: 'user',
    });
    expect(JSON.parse(io.out.join('\n'))).toMatchObject({ selected: 16 });
    process.exitCode = undefined;
  });
});
