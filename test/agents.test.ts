/**
 * The coding agents themselves, headless, against rotor's gateway and its simulator: Claude Code
 * (Anthropic Messages, `/v1/messages`) and Codex CLI (OpenAI Responses, `/v1/responses`).
 *
 * The agents are not rotor's dependencies (Claude Code is proprietary): `.ci/run` installs pinned
 * versions into a temporary prefix and exports `ROTOR_AGENTS_BIN` (the directory holding `claude`
 * and `codex`). Locally, install them the same way (see README, "Use it from…"). In CI a missing
 * agent fails; elsewhere its tests are skipped, loudly.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayFixture, gatewayWithSimulator } from './gateway-helpers.js';

const AGENTS_BIN = process.env.ROTOR_AGENTS_BIN;
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
const AGENT_TIMEOUT_MS = 90_000;

function agent(name: 'claude' | 'codex'): string | undefined {
  const path = AGENTS_BIN ? join(AGENTS_BIN, name) : undefined;
  if (path && existsSync(path)) return path;
  const why = `${name} not found (ROTOR_AGENTS_BIN=${AGENTS_BIN ?? '(unset)'}); .ci/run installs it`;
  if (IN_CI) return undefined; // the test below fails with `why`
  console.warn(`\n!!! SKIPPING the ${name} agent tests: ${why}\n`);
  return undefined;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string>, cwd: string): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      // Only what the agent needs: no caller keys, no real home.
      { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeout: AGENT_TIMEOUT_MS },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    ).stdin?.end();
  });
}

/** The gateway's log lines, as JSON. */
function logCapture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines, requests: (route: string) => lines.filter((l) => l.route === route) };
}

const claude = agent('claude');
const codex = agent('codex');

describe('Claude Code (claude -p) against /v1/messages', () => {
  let f: GatewayFixture;
  let log: ReturnType<typeof logCapture>;
  let home: string;
  beforeAll(async () => {
    log = logCapture();
    f = await gatewayWithSimulator({ logger: log.logger });
    home = mkdtempSync(join(tmpdir(), 'rotor-claude-'));
  });
  afterAll(async () => {
    await f.close();
    rmSync(home, { recursive: true, force: true });
  });
  const env = () => ({
    HOME: home,
    ANTHROPIC_BASE_URL: f.gateway.url,
    ANTHROPIC_AUTH_TOKEN: 'rotor-test',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  });

  it.skipIf(!claude && !IN_CI)(
    'answers a prompt and exits 0; the gateway log shows its requests',
    async () => {
      if (!claude) throw new Error(`claude not found in ROTOR_AGENTS_BIN (${AGENTS_BIN ?? 'unset'})`);
      const r = await run(claude, ['-p', 'Say hi'], env(), home);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim().length).toBeGreaterThan(0);
      const requests = log.requests('messages');
      expect(requests.length).toBeGreaterThan(0);
      expect(requests.every((l) => l.status === 200)).toBe(true);
      // What Claude Code sends (24 tools, 64000 max_tokens, thinking, cache_control) reached a model.
      expect(f.sim.attempts().some((a) => a.outcome === 'ok')).toBe(true);
    },
    AGENT_TIMEOUT_MS + 10_000,
  );

  it.skipIf(!claude && !IN_CI)(
    'a tool round trip: the tool call, its result, the answer; exit 0',
    async () => {
      if (!claude) throw new Error(`claude not found in ROTOR_AGENTS_BIN (${AGENTS_BIN ?? 'unset'})`);
      const before = log.requests('messages').length;
      const r = await run(claude, ['-p', 'Use the Read tool on notes.txt'], env(), home);
      expect(r.code, r.stderr).toBe(0);
      // One request answered with a tool call, and one more with the tool's result.
      expect(log.requests('messages').length - before).toBeGreaterThanOrEqual(2);
    },
    AGENT_TIMEOUT_MS + 10_000,
  );
});

describe('Codex CLI (codex exec) against /v1/responses', () => {
  let f: GatewayFixture;
  let log: ReturnType<typeof logCapture>;
  let home: string;
  let work: string;
  beforeAll(async () => {
    log = logCapture();
    f = await gatewayWithSimulator({ logger: log.logger });
    home = mkdtempSync(join(tmpdir(), 'rotor-codex-'));
    work = mkdtempSync(join(tmpdir(), 'rotor-codex-work-'));
    writeFileSync(
      join(home, 'config.toml'),
      [
        'model = "auto"',
        'model_provider = "rotor"',
        '',
        '[model_providers.rotor]',
        'name = "rotor"',
        `base_url = "${f.baseURL}"`,
        'wire_api = "responses"',
        'env_key = "ROTOR_API_KEY"',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await f.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });
  const env = () => ({ HOME: home, CODEX_HOME: home, ROTOR_API_KEY: 'rotor-test' });
  const args = (prompt: string) => ['exec', '--skip-git-repo-check', '--sandbox', 'read-only', prompt];

  it.skipIf(!codex && !IN_CI)(
    'answers a prompt and exits 0; the gateway log shows its requests',
    async () => {
      if (!codex) throw new Error(`codex not found in ROTOR_AGENTS_BIN (${AGENTS_BIN ?? 'unset'})`);
      const r = await run(codex, args('Say hi'), env(), work);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim().length).toBeGreaterThan(0);
      const requests = log.requests('responses');
      expect(requests.length).toBeGreaterThan(0);
      expect(requests.every((l) => l.status === 200 && l.stream === true)).toBe(true);
    },
    AGENT_TIMEOUT_MS + 10_000,
  );

  it.skipIf(!codex && !IN_CI)(
    'a tool round trip (a command in a read-only sandbox); exit 0',
    async () => {
      if (!codex) throw new Error(`codex not found in ROTOR_AGENTS_BIN (${AGENTS_BIN ?? 'unset'})`);
      const before = log.requests('responses').length;
      const r = await run(codex, args('Use a tool to list the files'), env(), work);
      expect(r.code, r.stderr).toBe(0);
      expect(log.requests('responses').length - before).toBeGreaterThanOrEqual(2);
    },
    AGENT_TIMEOUT_MS + 10_000,
  );
});
