#!/usr/bin/env node
/**
 * Prove that rotor works from its installed npm package alone (CI runs this; about 2–4 minutes,
 * mostly compiling better-sqlite3):
 *
 *   1. `scripts/install-from-tarball.sh` packs this checkout and installs the tarball globally
 *      under a fresh temporary prefix (the same steps the Dockerfile runs);
 *   2. `rotor --version` prints package.json's version;
 *   3. `rotor serve` (no key: simulated), started from an empty directory, answers /health, a chat
 *      completion, the dashboard and the status API — registry YAML, dashboard assets and
 *      simulator data all come from the package;
 *   4. the README's library example (the block marked `example: library`) runs against the
 *      installed package, imported by its name.
 *
 *   node scripts/check-install.mjs [PREFIX]    (default: a temp dir, removed afterwards)
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const scratch = mkdtempSync(join(tmpdir(), 'rotor-install-'));
const prefix = process.argv[2] ?? join(scratch, 'prefix');
const bin = join(prefix, 'bin', 'rotor');
const installed = join(prefix, 'lib', 'node_modules', pkg.name);
// No key: everything below runs against the built-in simulator; no config from the caller leaks in.
const env = { PATH: `${join(prefix, 'bin')}:${process.env.PATH}`, HOME: process.env.HOME ?? scratch };

const say = (line) => process.stdout.write(`check-install: ${line}\n`);
function fail(message) {
  process.stderr.write(`check-install: FAILED: ${message}\n`);
  process.exit(1);
}
function check(ok, message) {
  if (!ok) fail(message);
  say(`ok  ${message}`);
}
/** An empty directory to run from, so nothing is found by accident in the working directory. */
function emptyDir(name) {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

// 1. Install.
const install = spawnSync(join(root, 'scripts', 'install-from-tarball.sh'), [prefix], { stdio: 'inherit' });
check(install.status === 0, `npm pack → npm install --global into ${prefix}`);
for (const file of [
  'registry/free-models.yaml',
  'assets/dashboard.html',
  'dist/cli/main.js',
  'dist/index.js',
])
  check(existsSync(join(installed, file)), `the package holds ${file}`);
check(!existsSync(join(installed, 'test')), 'the package holds no tests');

// 2. Version.
const version = spawnSync(bin, ['--version'], { cwd: emptyDir('version'), env, encoding: 'utf8' });
check(
  version.stdout.trim() === pkg.version,
  `rotor --version prints ${pkg.version} (got "${version.stdout.trim()}")`,
);

// 3. Serve (simulated).
await checkServe();

// 4. The README's library example, importing the installed package by name.
const app = emptyDir('app');
mkdirSync(join(app, 'node_modules'));
symlinkSync(installed, join(app, 'node_modules', pkg.name), 'dir');
const example = readmeExample('library');
writeFileSync(join(app, 'example.mjs'), example);
const run = spawnSync(process.execPath, ['example.mjs'], {
  cwd: app,
  env,
  encoding: 'utf8',
  timeout: 60_000,
});
process.stdout.write(run.stdout);
process.stderr.write(run.stderr);
check(run.status === 0, "the README's library example runs against the installed package");
check(/:free/.test(run.stdout), 'the example printed the model that answered');

if (process.argv[2] === undefined) rmSync(scratch, { recursive: true, force: true });
say('all install checks passed');

async function checkServe() {
  const child = spawn(bin, ['serve', '--port', '0'], {
    cwd: emptyDir('serve'),
    env: { ...env, ROTOR_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const base = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 30_000);
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const m = /OpenAI base URL:\s+(http:\/\/\S+)\/v1/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', () => resolve(undefined));
  });
  if (!base) fail(`rotor serve did not start:\n${stderr}`);
  try {
    check(/ANSWERS ARE SIMULATED/.test(stderr), 'rotor serve without a key says it is simulated');
    const health = await (await fetch(`${base}/health`)).json();
    check(health.status === 'ok' && health.simulated === true, 'GET /health: ok, simulated');
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'auto',
        messages: [{ role: 'user', content: 'Hello from the installed rotor' }],
      }),
    });
    const body = await res.json();
    check(
      res.status === 200 && typeof body.choices?.[0]?.message?.content === 'string',
      `POST /v1/chat/completions answered by ${body.model ?? res.status}`,
    );
    const page = await (await fetch(`${base}/`)).text();
    check(/<html/i.test(page) && /rotor/i.test(page), 'GET / serves the dashboard');
    const status = await (await fetch(`${base}/v1/rotor/status`)).json();
    check(
      status.rotation?.length > 0,
      `the shipped registry gives a rotation of ${status.rotation?.length} models`,
    );
    check(
      status.rotor?.simulatedAccount?.day?.limit === 1000,
      'the simulated account has credits (1,000 free requests a day)',
    );
  } finally {
    child.kill('SIGTERM');
  }
  check((await exited) === 0, 'rotor serve drains and exits 0 on SIGTERM');
}

/** The ```js block after `<!-- example: NAME -->` in the README. */
function readmeExample(name) {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const marker = readme.indexOf(`<!-- example: ${name}`);
  if (marker < 0) fail(`README.md has no "<!-- example: ${name}" block`);
  const m = /```js\n([\s\S]*?)```/.exec(readme.slice(marker));
  if (!m) fail(`no js block after the "${name}" marker`);
  return m[1];
}
