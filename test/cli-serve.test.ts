/**
 * `rotor serve` as users run it: the built binary, no API key (simulated, said loudly), real
 * SIGTERM with requests in flight — requests in = responses out, clean exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

function startServe(
  env: Record<string, string>,
): Promise<{ url: string; stderr: () => string; exited: Promise<number | null> }> {
  const { OPENROUTER_API_KEY: _omit, ...base } = process.env;
  const proc = spawn(process.execPath, ['dist/cli/main.js', 'serve'], {
    cwd: ROOT,
    env: { ...base, ROTOR_PORT: '0', ROTOR_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stderr}`)), 15_000);
    proc.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /OpenAI base URL:\s+(http:\/\/[^\s]+)\/v1/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, stderr: () => stderr, exited });
      }
    });
    proc.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stderr}`)));
  });
}

describe('rotor serve', () => {
  it('without a key prints the simulated banner; SIGTERM drains in-flight requests and exits 0', async () => {
    const serve = await startServe({});
    expect(serve.stderr()).toContain('NO OPENROUTER_API_KEY SET — ANSWERS ARE SIMULATED');
    // The simulator answers with the seed's latencies (~1 s for the primary): requests are in flight.
    const body = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] });
    const requests = Array.from({ length: 5 }, () =>
      fetch(`${serve.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }),
    );
    await new Promise((r) => setTimeout(r, 200));
    child!.kill('SIGTERM');
    const responses = await Promise.all(requests);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await serve.exited).toBe(0);
    expect(serve.stderr()).toContain('5 finished, 0 answered with an error');
  });

  it('a broken config file is a clear error and exit code 2, not a stack trace', async () => {
    const proc = spawn(process.execPath, ['dist/cli/main.js', 'serve', '--config', 'package.json'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/rotor: Invalid config file package.json/);
    expect(stderr).not.toMatch(/at .*\.js:\d+/);
  });
});
