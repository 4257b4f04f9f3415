/**
 * `rotor serve` as users run it — the built binary (vitest's global setup builds `dist/`) as a child
 * process, without the caller's upstream key or store unless a test passes them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { baseUrlEnvName } from '../src/providers/discover-providers.js';
import { loadProviderCatalogSync } from '../src/providers/provider-catalog-file.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Every variable a pooled provider is discovered from. */
const PROVIDER_VARIABLES = loadProviderCatalogSync().providers.flatMap((p) => [
  ...p.key_env,
  ...Object.values(p.base_url_vars),
  baseUrlEnvName(p.id),
]);

/** The built CLI's `serve` on a free port, logging warnings only, stderr piped. */
function spawnServe(
  env: Record<string, string>,
  args: string[],
): ChildProcess & { stderr: NodeJS.ReadableStream } {
  const { OPENROUTER_API_KEY: _omit, ROTOR_STORE: _store, ...base } = process.env;
  // No provider joins from the machine's environment (CI runners set GITHUB_TOKEN): only what a test passes.
  for (const name of PROVIDER_VARIABLES) delete base[name];
  return spawn(process.execPath, ['dist/cli/main.js', 'serve', ...args], {
    cwd: ROOT,
    env: { ...base, ROTOR_PORT: '0', ROTOR_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** `rotor serve` (the built CLI) as a child process; resolves once it listens. */
export function startServe(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{
  url: string;
  proc: ChildProcess;
  stderr: () => string;
  stdout: () => string;
  exited: Promise<number | null>;
}> {
  const proc = spawnServe(env, args);
  let stderr = '';
  let stdout = '';
  proc.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stderr}`)), 15_000);
    proc.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /(?:gateway on|OpenAI base URL:)\s+(http:\/\/[^\s]+)\/v1/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, proc, stderr: () => stderr, stdout: () => stdout, exited });
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${stderr}`));
    });
  });
}

/** Run `rotor serve` expecting it to fail at start: its exit code and everything it wrote to stderr. */
export function serveFailure(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const proc = spawnServe(env, args);
  let stderr = '';
  let stdout = '';
  proc.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  return new Promise((resolve) =>
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    }),
  );
}
