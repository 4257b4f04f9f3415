/**
 * `rotor serve` as users run it (the built binary): a loud warning when it is reachable beyond
 * this machine without client keys, reachable URLs in the banner, and SIGHUP reloading the config
 * file — validated first, the old one kept on error, what needs a restart said plainly.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServe } from './serve-process.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

async function serve(env: Record<string, string>, args: string[] = []) {
  const s = await startServe({ ...env, ROTOR_LOG_LEVEL: 'warn' }, args);
  children.push(s.proc);
  return s;
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const EXPOSED = /EXPOSED WITHOUT CLIENT KEYS/;

describe('exposure', () => {
  it('0.0.0.0 without client keys warns loudly, and the banner prints reachable URLs, not 0.0.0.0', async () => {
    const s = await serve({ ROTOR_HOST: '0.0.0.0' });
    expect(s.stderr()).toMatch(EXPOSED);
    expect(s.stderr()).toMatch(/anyone who can connect spends your upstream account/);
    expect(s.stderr() + s.stdout()).not.toContain('http://0.0.0.0');
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });

  it('client keys, or server.allowUnauthenticatedExposure, silence it; loopback never warns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rotor-exposure-'));
    const allow = join(dir, 'allow.yaml');
    writeFileSync(allow, 'server:\n  allowUnauthenticatedExposure: true\n');
    const runs = await Promise.all([
      serve({ ROTOR_HOST: '0.0.0.0', ROTOR_API_KEYS: 'client-key-exposure-1' }),
      serve({ ROTOR_HOST: '0.0.0.0' }, ['--config', allow]),
      serve({}),
    ]);
    for (const s of runs) expect(s.stderr() + s.stdout()).not.toMatch(EXPOSED);
  });
});

describe('SIGHUP reloads the config file', () => {
  it('applies client keys; reports what needs a restart; keeps the old config when the new one is invalid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rotor-reload-'));
    const config = join(dir, 'rotor.yaml');
    writeFileSync(config, 'server:\n  apiKeys: [first-client-key-1]\nsim:\n  latencyScale: 0\n');
    const s = await serve({}, ['--config', config]);
    const get = (key: string) =>
      fetch(`${s.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
    expect(await get('first-client-key-1')).toBe(200);
    expect(await get('second-client-key-2')).toBe(401);

    writeFileSync(config, 'server:\n  apiKeys: [second-client-key-2]\nsim:\n  latencyScale: 0\n  seed: 7\n');
    s.proc.kill('SIGHUP');
    await until('the reload message', () => /configuration reloaded/.test(s.stderr()));
    expect(s.stderr()).toMatch(/applied: server\.apiKeys/);
    expect(s.stderr()).toMatch(/needs a restart to change: sim\.seed/);
    expect(await get('first-client-key-1')).toBe(401);
    expect(await get('second-client-key-2')).toBe(200);

    writeFileSync(config, 'server:\n  apiKeys: [third-client-key-3\n');
    s.proc.kill('SIGHUP');
    await until('the failure message', () => /reload failed/.test(s.stderr()));
    expect(s.stderr()).toMatch(/still running with the previous configuration: .*not valid YAML/);
    expect(await get('second-client-key-2')).toBe(200);
    expect(s.stderr()).not.toContain('third-client-key-3');

    writeFileSync(config, 'server:\n  apiKeys: [second-client-key-2]\n  bodyLimitBytes: lots\n');
    s.proc.kill('SIGHUP');
    await until('the second failure', () => (s.stderr().match(/reload failed/g) ?? []).length === 2);
    expect(s.stderr()).toMatch(/server\.bodyLimitBytes/);
    expect(s.proc.exitCode).toBeNull(); // SIGHUP never ends the gateway
    expect(await get('second-client-key-2')).toBe(200);
    s.proc.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  }, 30_000);
});
