/**
 * `rotor probe` end to end against the simulator: progress on a terminal and in a log, `--json`,
 * `--write` on a temp copy of the shipped registry (comments kept), and Ctrl-C keeping samples.
 */
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FaultInput, NO_SYSTEM_PROMPT_MODEL_ID, type Simulator, startSimulator } from '../sim/index.js';
import { type ProbeIo, runProbe } from './probe-command.js';
import { defaultRegistryPath, loadRegistry } from './registry-file.js';

const LLAMA_8B = 'meta-llama/llama-3.3-8b-instruct:free';
const MAVERICK = 'meta-llama/llama-4-maverick:free';
const MINIMAX = 'minimax/minimax-m2:free';
const DEEPSEEK = 'deepseek/deepseek-chat-v3.1:free';

let dir: string;
let registryPath: string;
const sims: Simulator[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotor-probe-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  registryPath = join(dir, `free-models-${Math.random().toString(36).slice(2)}.yaml`);
  await copyFile(defaultRegistryPath(), registryPath);
});
afterEach(async () => {
  for (const sim of sims.splice(0)) await sim.close();
});

async function simulator(faults: FaultInput[] = []): Promise<Simulator> {
  const sim = await startSimulator({ latencyScale: 0, seed: 5, scenario: { faults } });
  sims.push(sim);
  return sim;
}

interface CapturedIo extends ProbeIo {
  out: string[];
  err: string[];
  progressText: () => string;
}

function captureIo(sim: Simulator, tty: boolean, env: NodeJS.ProcessEnv = {}): CapturedIo {
  const out: string[] = [];
  const err: string[] = [];
  const progress: string[] = [];
  return {
    out,
    err,
    progressText: () => progress.join(''),
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    colour: false,
    env: { OPENROUTER_API_KEY: 'sk-secret-probe-key', OPENROUTER_BASE_URL: sim.url, ...env },
    now: () => new Date('2026-08-20T12:00:00Z'),
    progress: { write: (text) => progress.push(text), isTTY: tty, ...(tty ? { columns: 120 } : {}) },
  };
}

describe('rotor probe progress', () => {
  it('redraws one line with a bar and an ETA on a terminal', async () => {
    const sim = await simulator();
    const io = captureIo(sim, true);
    const code = await runProbe({ models: [LLAMA_8B, MINIMAX], samples: 2, registry: registryPath }, io);
    expect(code).toBe(0);
    const text = io.progressText();
    expect(text).toContain('\r');
    expect(text).toContain('\u001b[K');
    expect(text).toMatch(/probe \[#{5}-{15}\] 2\/8 25% ETA \d+s/);
    expect(text).toMatch(/probe \[#{20}\] 8\/8 100% ETA 0s/);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(2); // one line, redrawn; then the newline at the end
    // Each frame fits the terminal, so `\r` can redraw it.
    for (const frame of text.split('\r'))
      expect(frame.replace('\u001b[K', '').trimEnd().length).toBeLessThan(120);
  });

  it('prints one plain line per request otherwise, without escape codes', async () => {
    const sim = await simulator([{ model: DEEPSEEK, kind: 'model_gone' }]);
    const io = captureIo(sim, false);
    expect(await runProbe({ models: [LLAMA_8B, DEEPSEEK], samples: 2, registry: registryPath }, io)).toBe(0);
    const lines = io.progressText().trimEnd().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^probe 1/8 ${LLAMA_8B} plain: ok \\d+ ms$`)),
      expect.stringMatching(new RegExp(`^probe 2/8 ${LLAMA_8B} system: ok \\d+ ms$`)),
      expect.stringMatching(/^probe 3\/8 .* plain: ok/),
      expect.stringMatching(/^probe 4\/8 .* system: ok/),
      `probe 5/8 ${DEEPSEEK} plain: model_not_found 404: No endpoints found for ${DEEPSEEK}.`,
      `probe 5/5 ${DEEPSEEK}: 3 more request(s) skipped (gone)`,
    ]);
    expect(io.progressText()).not.toContain('\r');
    expect(io.progressText()).not.toContain('\u001b');
  });
});

describe('rotor probe results', () => {
  it('prints a table of verdicts and figures, never the key, and writes nothing without --write', async () => {
    const sim = await simulator([{ model: MAVERICK, kind: 'upstream_rate_limit' }]);
    const io = captureIo(sim, false);
    const before = await readFile(registryPath, 'utf8');
    expect(await runProbe({ models: [LLAMA_8B, MAVERICK], samples: 1, registry: registryPath }, io)).toBe(0);
    const out = io.out.join('\n');
    expect(out).toMatch(/^MODEL\s+STATUS\s+P50\s+P95\s+TTFT\s+SUCCESS\s+SAMPLES\s+REASON$/m);
    expect(out).toMatch(
      new RegExp(`^${LLAMA_8B}\\s+verified\\s+\\d+ ms\\s+\\d+ ms\\s+\\d+ ms\\s+100 %\\s+2$`, 'm'),
    );
    expect(out).toMatch(
      new RegExp(`^${MAVERICK}\\s+rate_limited\\s+—\\s+—\\s+—\\s+0 %\\s+2\\s+Provider returned error`, 'm'),
    );
    expect(out).toContain('Dry run: nothing written.');
    expect([...io.out, ...io.err, io.progressText()].join('\n')).not.toContain('sk-secret-probe-key');
    expect(await readFile(registryPath, 'utf8')).toBe(before);
  });

  it('prints JSON for scripts', async () => {
    const sim = await simulator();
    const io = captureIo(sim, false);
    expect(await runProbe({ models: [LLAMA_8B], samples: 1, json: true, registry: registryPath }, io)).toBe(
      0,
    );
    const report = JSON.parse(io.out.join('\n'));
    expect(report).toMatchObject({
      source: sim.url,
      planned: 2,
      sent: 2,
      stopped: null,
      quota: { limit: 50, remaining: 50 },
      results: [{ model: LLAMA_8B, verdict: 'verified', attempts: 2 }],
    });
    expect(report.samples).toHaveLength(2);
  });

  it('probes the rotation by default and refuses to start without an API key', async () => {
    const sim = await simulator();
    const io = captureIo(sim, false, { OPENROUTER_API_KEY: '' });
    expect(await runProbe({ registry: registryPath }, io)).toBe(1);
    expect(io.err.join('\n')).toContain('OPENROUTER_API_KEY is not set');
    expect(sim.attempts()).toHaveLength(0);
  });

  it('stops on a spent daily quota with its reset time and exit code 1', async () => {
    const sim = await simulator();
    sim.setAccount({ dayUsed: 50 });
    const io = captureIo(sim, false);
    expect(await runProbe({ models: [LLAMA_8B], registry: registryPath }, io)).toBe(1);
    expect(io.progressText()).toContain('the account has 0 of 50 free-model requests left today');
    expect(io.err.join('\n')).toMatch(/free-models-per-day\); it resets at \d{4}-\d\d-\d\d 00:00:00 UTC/);
    expect(io.out.join('\n')).toMatch(/Quota resets at \d{4}-\d\d-\d\d 00:00:00 UTC\./);
  });
});

describe('rotor probe --write', () => {
  it('records statuses, measured figures and reasons in the registry, keeping every comment', async () => {
    const sim = await simulator([
      { model: MAVERICK, kind: 'upstream_rate_limit' },
      { model: DEEPSEEK, kind: 'model_gone' },
    ]);
    const io = captureIo(sim, false);
    const before = await readFile(registryPath, 'utf8');
    const code = await runProbe(
      {
        models: [LLAMA_8B, MAVERICK, NO_SYSTEM_PROMPT_MODEL_ID, DEEPSEEK],
        samples: 2,
        write: true,
        registry: registryPath,
      },
      io,
    );
    expect(code).toBe(0);
    expect(io.out.join('\n')).toContain(`Wrote 4 model(s) to ${registryPath}`);

    const after = await readFile(registryPath, 'utf8');
    const comments = (text: string) => text.split('\n').filter((line) => line.trimStart().startsWith('#'));
    expect(comments(after)).toEqual(comments(before));
    expect(after).toContain('  - meta-llama/llama-3.3-8b-instruct:free # 0.88 s ultra-fast (primary)');

    const { registry } = await loadRegistry(registryPath);
    expect(registry.version).toBe('1.1.1');
    expect(registry.last_updated).toBe('2026-08-20');
    const model = (id: string) => registry.models.find((m) => m.id === id)!;
    expect(model(LLAMA_8B)).toMatchObject({
      status: 'verified',
      measured: { success_rate: 1, samples: 4, last_tested: '2026-08-20T12:00:00Z' },
    });
    expect(model(LLAMA_8B).measured!.p50_ms).toEqual(expect.any(Number));
    expect(model(LLAMA_8B).measured!.ttft_ms).toEqual(expect.any(Number));
    expect(model(MAVERICK)).toMatchObject({
      status: 'rate_limited',
      measured: { success_rate: 0, samples: 2 },
    });
    expect(model(NO_SYSTEM_PROMPT_MODEL_ID)).toMatchObject({
      status: 'incompatible',
      incompatible_reason:
        'Provider returned error: Developer instruction is not enabled for models/gemma-3n-e4b-it',
      capabilities: { system_prompt: false },
    });
    expect(model(DEEPSEEK).status).toBe('retired');
    expect(model(DEEPSEEK).retired_reason).toContain(`No endpoints found for ${DEEPSEEK}.`);
    expect(registry.rotation).not.toContain(DEEPSEEK);
    expect(registry.rotation).toContain(MAVERICK);
    // Only the probed models' entries changed: the line count grows by the new measured lines alone.
    expect(after.split('\n').length - before.split('\n').length).toBeLessThan(30);
  });

  it('keeps and writes the samples taken before an interruption', async () => {
    const sim = await simulator([{ model: MINIMAX, kind: 'no_response' }]);
    const controller = new AbortController();
    const io = captureIo(sim, false);
    const progress = io.progress!;
    io.progress = {
      ...progress,
      write: (text) => {
        progress.write(text);
        if (text.includes(`${LLAMA_8B} system: ok`)) setTimeout(() => controller.abort(), 50);
      },
    };
    const code = await runProbe(
      {
        models: [LLAMA_8B, MINIMAX],
        samples: 1,
        write: true,
        registry: registryPath,
        signal: controller.signal,
      },
      io,
    );
    expect(code).toBe(130);
    expect(io.progressText()).toContain('Stopping: the request in flight is cancelled');
    expect(io.err.join('\n')).toContain('Stopped on request; the samples taken so far are kept.');
    expect(io.out.join('\n')).toMatch(new RegExp(`^${MINIMAX}\\s+untested\\s.*no samples$`, 'm'));
    const { registry } = await loadRegistry(registryPath);
    expect(registry.models.find((m) => m.id === LLAMA_8B)!.measured).toMatchObject({ samples: 2 });
    expect(registry.models.find((m) => m.id === MINIMAX)!.measured).toBeUndefined();
  });
});
