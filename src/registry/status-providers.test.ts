/**
 * `rotor status` for a gateway that pools providers: models grouped by provider, one quota line
 * per provider with its limits and reset rule in words, a QUOTA column per pair. The formatter is
 * pure (a literal status in, literal lines out); one test reads a live gateway pooling the provider
 * simulator's Groq and Gemini over sockets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { type Gateway, startGateway } from '../server/gateway.js';
import { loadGatewayConfig } from '../server/gateway-config.js';
import { type Simulator, simulatedProviderEnv, startSimulator } from '../sim/index.js';
import { runStatus } from './status-command.js';
import { formatStatus, type GatewayStatus } from './status-command-format.js';

const NOW = Date.UTC(2026, 7, 20, 12, 0, 0);
const clockTime = (ms: number) => new Date(ms).toISOString().slice(11, 19);

const model = (id: string, extra: Partial<GatewayStatus['models'][number]> = {}) => ({
  model: id,
  totalRequests: 0,
  recentSuccessRate: null,
  latencyP50Ms: null,
  latencyP95Ms: null,
  breakerState: 'closed' as const,
  breakerOpenUntilMs: null,
  cooldownUntilMs: null,
  cooldownReason: null,
  cooldownDetail: null,
  inFlight: 0,
  hedgeDelayMs: null,
  retired: null,
  available: true,
  unavailableReason: null,
  ...extra,
});

const quota = (q: {
  window: string;
  model: string | null;
  limit: number | null;
  used: number;
  resetAtMs?: number | null;
  blockedUntilMs?: number | null;
}) => ({ per: q.model === null ? 'account' : 'model', resetAtMs: null, blockedUntilMs: null, ...q });

const account = (id: string, extra: object = {}) => ({
  account: id,
  minuteUsed: 0,
  minuteLimit: null,
  minuteResetAtMs: NOW + 60_000,
  dayUsed: 0,
  dayLimit: null,
  dayResetAtMs: Date.UTC(2026, 7, 21),
  blockedUntilMs: null,
  blockedScope: null,
  blockedDetail: null,
  ...extra,
});

/** Groq (one pair's day spent), Cloudflare (its account-wide neurons, a failed list check), then OpenRouter. */
const pooled: GatewayStatus = {
  rotor: {
    version: '0.1.0',
    simulated: false,
    upstream: 'https://openrouter.ai/api/v1',
    startedAtMs: NOW - 65_000,
  },
  atMs: NOW,
  currentModel: 'groq:llama-3.3-70b-versatile',
  rotation: [
    'groq:openai/gpt-oss-120b',
    'groq:llama-3.3-70b-versatile',
    'cloudflare:@cf/openai/gpt-oss-120b',
    'meta-llama/llama-3.3-70b-instruct:free',
  ],
  system: {
    totalRotations: 1,
    resetsToPrimary: 0,
    requests: { total: 12, successRate: 1, firstTrySuccessRate: 11 / 12, meanAttempts: 1.08 },
    accounts: [
      account('groq'),
      account('cloudflare'),
      account('openrouter', { minuteUsed: 2, minuteLimit: 20, dayUsed: 7, dayLimit: 50 }),
    ],
  },
  models: [
    model('groq:openai/gpt-oss-120b', {
      totalRequests: 2,
      recentSuccessRate: 0.5,
      latencyP50Ms: 120,
      latencyP95Ms: 180,
      available: false,
      unavailableReason: { reason: 'model_quota', untilMs: NOW + 3_600_000 },
    }),
    model('groq:llama-3.3-70b-versatile', {
      totalRequests: 10,
      recentSuccessRate: 1,
      latencyP50Ms: 300,
      latencyP95Ms: 450,
    }),
    model('cloudflare:@cf/openai/gpt-oss-120b'),
    model('meta-llama/llama-3.3-70b-instruct:free'),
  ],
  providers: {
    joined: [
      {
        id: 'groq',
        name: 'Groq',
        models: ['groq:openai/gpt-oss-120b', 'groq:llama-3.3-70b-versatile'],
        rule: '30 requests/min, 1,000 requests/day per model, refills continuously',
        quotas: [
          quota({ window: 'requests_minute', model: 'groq:openai/gpt-oss-120b', limit: 30, used: 2 }),
          quota({
            window: 'requests_day',
            model: 'groq:openai/gpt-oss-120b',
            limit: 1000,
            used: 1000,
            blockedUntilMs: NOW + 3_600_000,
          }),
          quota({ window: 'requests_minute', model: 'groq:llama-3.3-70b-versatile', limit: 30, used: 3 }),
          quota({ window: 'requests_day', model: 'groq:llama-3.3-70b-versatile', limit: 1000, used: 750 }),
        ],
        reconcile: { atMs: NOW - 30_000, ok: true, listed: 4, changes: [] },
      },
      {
        id: 'cloudflare',
        name: 'Cloudflare Workers AI',
        models: ['cloudflare:@cf/openai/gpt-oss-120b'],
        rule: '10,000 neurons/day per account, resets at midnight UTC; 300 requests/min per model, rolling window',
        quotas: [
          quota({
            window: 'neurons_day',
            model: null,
            limit: 10000,
            used: 1234,
            resetAtMs: Date.UTC(2026, 7, 21),
          }),
          quota({
            window: 'requests_minute',
            model: 'cloudflare:@cf/openai/gpt-oss-120b',
            limit: 300,
            used: 0,
          }),
        ],
        reconcile: {
          atMs: NOW - 5_000,
          ok: false,
          error: 'HTTP 403 (Authentication error)',
          listed: 0,
          changes: [],
        },
      },
    ],
    skipped: [{ id: 'gemini', reason: 'no key: set GEMINI_API_KEY or GOOGLE_API_KEY' }],
  },
  reconcile: { atMs: NOW - 60_000, ok: true, baseUrl: 'https://openrouter.ai/api/v1', changes: [] },
};

describe('rotor status grouped by provider', () => {
  it('one group per provider under its quota line in words; OpenRouter keeps its account line', () => {
    const lines = formatStatus(pooled, { colour: false, url: 'http://gw', clockTime })
      .split('\n')
      .map((l) => l.trimEnd());
    expect(lines).toEqual([
      'rotor 0.1.0 at http://gw · upstream https://openrouter.ai/api/v1 · up 1m05s',
      'current groq:llama-3.3-70b-versatile (#2 of 4) · 1 rotation · 0 resets to primary',
      'requests 12 · success 100 % · first try 91.7 % · 1.08 attempts/request',
      'providers: groq, cloudflare, openrouter · 1 not configured (--json says why)',
      'openrouter model list: reconciled with https://openrouter.ai/api/v1 at 11:59:00 (1m00s ago): no changes',
      '',
      '#   MODEL                                   STATE                                     SUCCESS     P50     P95  HEDGE AT  REQUESTS  IN-FLIGHT  QUOTA',
      'groq — Groq: 30 requests/min, 1,000 requests/day per model, refills continuously',
      '  model list: 4 listed, checked 11:59:30 (30s ago): no changes',
      '1   groq:openai/gpt-oss-120b                unavailable until 13:00:00 (model_quota)     50 %  120 ms  180 ms         —         2          0  requests/day spent until 13:00:00',
      '2*  groq:llama-3.3-70b-versatile            available                                   100 %  300 ms  450 ms         —        10          0  750/1,000 requests/day',
      'cloudflare — Cloudflare Workers AI: 10,000 neurons/day per account, resets at midnight UTC; 300 requests/min per model, rolling window',
      '  account 1,234/10,000 neurons/day (reset 00:00:00) · model list: check failed at 11:59:55 (5s ago): HTTP 403 (Authentication error)',
      '3   cloudflare:@cf/openai/gpt-oss-120b      available                                       —       —       —         —         0          0  0/300 requests/min',
      'openrouter — OpenRouter: 2/20 this minute (reset 12:01:00), 7/50 today (reset 00:00:00)',
      '4   meta-llama/llama-3.3-70b-instruct:free  available                                       —       —       —         —         0          0  —',
      '* = current model. SUCCESS over recent requests; P50/P95 total latency; HEDGE AT: no content by then, the request is hedged. QUOTA: the fullest window of the pair.',
    ]);
  });

  it("a provider's account block is on its quota line; a pooled gateway without OpenRouter has no OpenRouter lines", () => {
    const noOpenRouter: GatewayStatus = {
      ...pooled,
      rotation: pooled.rotation.slice(0, 3),
      models: pooled.models.slice(0, 3),
      system: {
        ...pooled.system,
        accounts: [
          account('groq', {
            blockedUntilMs: NOW + 600_000,
            blockedScope: 'account_day',
            blockedDetail: 'tokens/day spent',
          }),
          account('cloudflare'),
        ],
      },
      reconcile: null,
      reconcileEnabled: false,
    };
    const text = formatStatus(noOpenRouter, { colour: false, url: 'http://gw', clockTime });
    expect(text).toContain(
      'groq — Groq: 30 requests/min, 1,000 requests/day per model, refills continuously\n' +
        '  BLOCKED until 12:10:00 (account_day: tokens/day spent) · model list: 4 listed, checked 11:59:30 (30s ago): no changes\n',
    );
    expect(text).toContain('providers: groq, cloudflare · 1 not configured');
    expect(text).not.toMatch(/^openrouter|model list: not reconciled|openrouter model list/m);
  });

  it('an OpenRouter-only gateway keeps its layout: quota lines in the header, one table, no QUOTA column', () => {
    const { providers: _p, ...plain } = pooled;
    const lines = formatStatus(
      { ...plain, rotation: ['meta-llama/llama-3.3-70b-instruct:free'], models: [pooled.models[3]!] },
      { colour: false, url: 'http://gw', clockTime },
    ).split('\n');
    expect(lines[3]).toBe('quota groq: 0 this minute (reset 12:01:00), 0 today (reset 00:00:00)');
    expect(lines[5]).toBe('quota openrouter: 2/20 this minute (reset 12:01:00), 7/50 today (reset 00:00:00)');
    expect(lines[6]).toMatch(/^model list: reconciled/);
    expect(lines[8]).toMatch(/^#\s+MODEL\s+STATE\s+SUCCESS\s+P50\s+P95\s+HEDGE AT\s+REQUESTS\s+IN-FLIGHT$/);
    expect(lines[9]).toMatch(/^1\s+meta-llama\/llama-3\.3-70b-instruct:free\s+available/);
  });
});

describe('rotor status against a gateway pooling the provider simulator', () => {
  let sim: Simulator | undefined;
  let gateway: Gateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    await sim?.close();
  });

  it("groups Groq's and Gemini's pairs under their quota lines, with each pair's fullest window", async () => {
    sim = await startSimulator({ latencyScale: 0, providers: ['groq', 'gemini'] });
    gateway = await startGateway(
      loadGatewayConfig({
        env: {},
        overrides: { server: { port: 0 }, reconcile: { enabled: false }, log: { level: 'silent' } } as never,
      }),
      { env: simulatedProviderEnv(sim.providers()) },
    );
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'gemini:gemini-2.5-flash',
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
      expect(res.status).toBe(200);
    }
    const io = captureIo({ now: () => new Date() });
    expect(await runStatus({ url: gateway.url, clockTime }, io)).toBe(0);
    const lines = io.out.join('\n').split('\n');
    expect(lines).toContain('providers: groq, gemini · 12 not configured (--json says why)');
    const groups = lines.filter((l) => /^[a-z-]+ — /.test(l));
    expect(groups).toEqual([
      'groq — Groq: 30 requests/min, 1,000–14,400 requests/day, 6,000–12,000 tokens/min, 100,000–500,000 tokens/day per model, refills continuously',
      'gemini — Google AI Studio (Gemini API): 5–15 requests/min, 250,000 tokens/min per model, rolling window; 20–500 requests/day per model, resets at midnight America/Los_Angeles',
    ]);
    const flash = lines.find((l) => l.includes('gemini:gemini-2.5-flash '));
    // 3 of Gemini's 5 a minute for this model: the fullest window.
    expect(flash).toMatch(/\s3\s+0\s+3\/5 requests\/min$/);
    const pairs = lines.filter((l) => /^\d+\*?\s/.test(l)).map((l) => l.split(/\s+/)[1]);
    expect(pairs).toEqual([
      'groq:openai/gpt-oss-120b',
      'groq:llama-3.3-70b-versatile',
      'groq:openai/gpt-oss-20b',
      'groq:llama-3.1-8b-instant',
      'gemini:gemini-2.5-flash',
      'gemini:gemini-3.1-flash-lite',
      'gemini:gemini-2.5-flash-lite',
    ]);
  });
});
