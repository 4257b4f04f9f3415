import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { ask, chat, getJson } from '../../test/fixtures-sim/sim-helpers.js';
import { register } from './sim-command.js';

interface Run {
  output: string[];
  errors: string[];
  stop(): void;
  done: Promise<unknown>;
  /** Resolves with the printed base URL once the simulator listens. */
  url: Promise<string>;
}

function run(args: string[]): Run {
  const output: string[] = [];
  const errors: string[] = [];
  let stop = () => {};
  let announce: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => (announce = resolve));
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
  register(program, {
    out: (text) => {
      output.push(text);
      const match = /listening: (\S+)/.exec(text);
      if (match) announce(match[1]!);
    },
    err: (text) => errors.push(text),
    waitForStop: () => new Promise<void>((resolve) => (stop = resolve)),
  });
  const done = program.parseAsync(['sim', ...args], { from: 'user' });
  return { output, errors, stop: () => stop(), done, url };
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('rotor sim', () => {
  it('starts on the given port options, prints the base URL, and stops cleanly', async () => {
    const cli = run(['--port', '0', '--latency-scale', '0', '--seed', '5']);
    const url = await cli.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
    expect((await chat(url, ask('meta-llama/llama-3.3-8b-instruct:free'))).status).toBe(200);
    const state = await getJson(`${url.replace('/api/v1', '')}/__sim/state`, null);
    expect(state.json).toMatchObject({ seed: 5, latencyScale: 0 });
    cli.stop();
    await cli.done;
    expect(cli.output.at(-1)).toBe('rotor sim stopped\n');
    await expect(fetch(url)).rejects.toThrow();
  });

  it('loads a scenario file and lets command-line options win over it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rotor-sim-cli-'));
    const path = join(dir, 'scenario.yaml');
    await writeFile(
      path,
      [
        'seed: 9',
        'latencyScale: 3',
        'models:',
        '  - id: only/model:free',
        'defaultModels: false',
        'faults:',
        '  - model: only/model:free',
        '    kind: server_error',
        '    status: 503',
        '    maxHits: 1',
      ].join('\n'),
    );
    const cli = run([
      '--port',
      '0',
      '--scenario',
      path,
      '--latency-scale',
      '0',
      '--no-free-limits',
      '--has-credits',
    ]);
    const url = await cli.url;
    expect((await chat(url, ask('only/model:free'))).status).toBe(503);
    expect((await chat(url, ask('only/model:free'))).status).toBe(200);
    expect((await chat(url, ask('meta-llama/llama-3.3-8b-instruct:free'))).status).toBe(404);
    const state = await getJson(`${url.replace('/api/v1', '')}/__sim/state`, null);
    expect(state.json).toMatchObject({
      seed: 9,
      latencyScale: 0,
      account: { hasCredits: true, enforced: false },
    });
    cli.stop();
    await cli.done;
  });

  it('reports an invalid scenario with the path and the bad value, and exits non-zero', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rotor-sim-cli-'));
    const path = join(dir, 'bad.yaml');
    await writeFile(path, 'faults:\n  - kind: server_error\n    status: 504\n');
    const cli = run(['--port', '0', '--scenario', path]);
    await cli.done;
    expect(cli.errors.join('')).toMatch(/faults\[0\]\.status: .*\(got 504\)/);
    expect(process.exitCode).toBe(1);
  });

  it('refuses a bad option value', async () => {
    const cli = run(['--port', 'abc']);
    await expect(cli.done).rejects.toThrow(/expected an integer/);
  });

  it('serves the providers named with --providers and prints their base URLs', async () => {
    const cli = run(['--port', '0', '--latency-scale', '0', '--providers', 'groq,cloudflare']);
    const url = await cli.url;
    const origin = url.replace('/api/v1', '');
    expect(cli.output.join('')).toContain(`  groq: ${origin}/groq/openai/v1\n`);
    expect(cli.output.join('')).toContain(
      `  cloudflare: ${origin}/cloudflare/client/v4/accounts/0123456789abcdef0123456789abcdef/ai/v1\n`,
    );
    expect((await chat(`${origin}/groq/openai/v1`, ask('llama-3.1-8b-instant'))).status).toBe(200);
    expect((await chat(`${origin}/gemini/v1beta/openai`, ask('gemini-2.5-flash'))).status).toBe(404);
    cli.stop();
    await cli.done;
    await expect(run(['--providers', 'groq,nowhere']).done).rejects.toThrow(/unknown: nowhere/);
  });
});
