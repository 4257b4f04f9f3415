/**
 * Each provider's limits over the socket, in virtual time: the request that spends a window gets
 * the provider's own refusal, rotor's classifier reads from it the window and the instant it
 * reopens, and the simulator refuses 1 ms before that instant and admits at it — for fixed
 * boundaries in a time zone, rolling windows and continuous buckets alike.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { classifyResponse } from '../../../test/fixtures-sim/provider-helpers.js';
import {
  ask,
  chat,
  getJson,
  type Json,
  type JsonReply,
  openChat,
} from '../../../test/fixtures-sim/sim-helpers.js';
import { ManualClock } from '../../engine/clock.js';
import type { ProviderFailure } from '../../providers/classify-provider-error.js';
import type { ScenarioInput } from '../scenario-schema.js';
import { type Simulator, startSimulator } from '../simulator.js';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const DAY = 24 * H;

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(atMs: number, scenario: ScenarioInput = {}) {
  const clock = new ManualClock(atMs);
  sim = await startSimulator({ latencyScale: 0, completionTokens: 8, clock, scenario, providers: 'all' });
  return { sim, clock };
}

/** How rotor reads this refusal at `nowMs`. */
function classified(providerId: string, reply: JsonReply, nowMs: number): ProviderFailure {
  const headers = Object.fromEntries(reply.headers.entries());
  return classifyResponse(providerId, { status: reply.status, headers, body: reply.json }, nowMs);
}

async function statuses(base: string, model: string, count: number, extra: Record<string, unknown> = {}) {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await chat(base, ask(model, 'Say hello.', extra))).status);
  return out;
}

/** Refused 1 ms before `reopensAtMs`, admitted at it. */
async function expectReopensAt(
  clock: ManualClock,
  base: string,
  model: string,
  reopensAtMs: number,
  extra: Record<string, unknown> = {},
) {
  await clock.advanceTo(reopensAtMs - 1);
  expect((await chat(base, ask(model, 'Say hello.', extra))).status).toBe(429);
  await clock.advanceTo(reopensAtMs);
  expect((await chat(base, ask(model, 'Say hello.', extra))).status).toBe(200);
}

describe('Groq: continuous buckets', () => {
  it('refills a 4-a-day bucket one request every 6 h, as "try again in" says', async () => {
    const T = Date.UTC(2026, 10, 30, 12);
    const { sim, clock } = await start(T, { providers: { groq: { limits: { requests_day: 4 } } } });
    const base = sim.providerBaseUrl('groq');
    expect(await statuses(base, 'llama-3.1-8b-instant', 4)).toEqual([200, 200, 200, 200]);
    const refused = await chat(base, ask('llama-3.1-8b-instant'));
    expect(refused.status).toBe(429);
    expect(refused.json.error.message).toContain(
      'on requests per day (RPD): Limit 4, Used 4, Requested 1. Please try again in 6h0m0s.',
    );
    expect(refused.headers.get('retry-after')).toBe('21600');
    expect(classified('groq', refused, T)).toMatchObject({
      kind: 'rate_limit',
      window: 'requests_day',
      per: 'model',
      resetAtMs: T + 6 * H,
    });
    // Per model: another model has its own bucket.
    expect((await chat(base, ask('llama-3.3-70b-versatile'))).status).toBe(200);
    await expectReopensAt(clock, base, 'llama-3.1-8b-instant', T + 6 * H);
  });

  it('answers 413 to a request larger than the whole TPM budget, and counts nothing', async () => {
    const T = Date.UTC(2026, 10, 30, 12);
    const { sim } = await start(T);
    const base = sim.providerBaseUrl('groq');
    const tooLarge = await chat(base, ask('llama-3.1-8b-instant', 'Say hello.', { max_tokens: 6000 }));
    expect(tooLarge.status).toBe(413);
    expect(classified('groq', tooLarge, T)).toMatchObject({
      kind: 'context_length',
      providerKind: 'request_too_large',
      window: 'tokens_minute',
    });
    const ok = await chat(base, ask('llama-3.1-8b-instant'));
    expect(ok.headers.get('x-ratelimit-remaining-requests')).toBe('14399');
  });
});

describe('Gemini: per-day quota ends at midnight Pacific, whatever retryDelay says', () => {
  it('refuses the 3rd of 2 a day at 23:59 PST with a 22-ish-second retryDelay, and admits at 08:00 UTC', async () => {
    const T = Date.UTC(2026, 10, 30, 7, 59); // 23:59 on the 29th in Los Angeles
    const MIDNIGHT_PACIFIC = Date.UTC(2026, 10, 30, 8);
    const { sim, clock } = await start(T, { providers: { gemini: { limits: { requests_day: 2 } } } });
    const base = sim.providerBaseUrl('gemini');
    expect(await statuses(base, 'gemini-2.5-flash', 2)).toEqual([200, 200]);
    const refused = await chat(base, ask('gemini-2.5-flash'));
    expect(refused.status).toBe(429);
    const error = refused.json[0].error;
    expect(error.details[0].violations[0]).toMatchObject({
      quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
      quotaValue: '2',
    });
    const retryDelayS = Number.parseInt(error.details[2].retryDelay, 10);
    expect(retryDelayS).toBeGreaterThanOrEqual(20);
    expect(retryDelayS).toBeLessThanOrEqual(60);
    expect(classified('gemini', refused, T)).toMatchObject({
      kind: 'rate_limit',
      window: 'requests_day',
      resetAtMs: MIDNIGHT_PACIFIC,
    });
    await expectReopensAt(clock, base, 'gemini-2.5-flash', MIDNIGHT_PACIFIC);
  });

  it('counts requests per minute in a rolling window: retry when the oldest leaves', async () => {
    const T = Date.UTC(2026, 10, 30, 12);
    const { sim, clock } = await start(T);
    const base = sim.providerBaseUrl('gemini');
    for (let i = 0; i < 5; i++) {
      await clock.advanceTo(T + i * 10 * S);
      expect((await chat(base, ask('gemini-2.5-flash'))).status).toBe(200);
    }
    await clock.advanceTo(T + 50 * S);
    const refused = await chat(base, ask('gemini-2.5-flash'));
    expect(refused.json[0].error.message).toContain(
      'limit: 5, model: gemini-2.5-flash\nPlease retry in 10s.',
    );
    expect(classified('gemini', refused, T + 50 * S)).toMatchObject({
      window: 'requests_minute',
      resetAtMs: T + 60 * S,
    });
    await expectReopensAt(clock, base, 'gemini-2.5-flash', T + 60 * S);
  });
});

describe('Cerebras: continuous buckets, tokens reserved up front', () => {
  it('admits one request a minute without max_completion_tokens (16,384 reserved of 30,000)', async () => {
    const T = Date.UTC(2026, 10, 30, 12);
    const { sim, clock } = await start(T);
    const base = sim.providerBaseUrl('cerebras');
    expect((await chat(base, ask('gpt-oss-120b'))).status).toBe(200);
    const refused = await chat(base, ask('gpt-oss-120b'));
    expect(refused.json).toEqual({
      message: 'Tokens per minute limit exceeded - too many tokens processed.',
      type: 'too_many_tokens_error',
      param: 'quota',
      code: 'token_quota_exceeded',
    });
    // 2 × (7 + 16,384) − 30,000 = 2,782 tokens over, back at 2 ms a token: 5,564 ms.
    expect(refused.headers.get('retry-after')).toBe('6');
    expect(classified('cerebras', refused, T)).toMatchObject({
      window: 'tokens_minute',
      resetAtMs: T + 6 * S,
    });
    await expectReopensAt(clock, base, 'gpt-oss-120b', T + 5564);
  });

  it('refills 5 requests a minute one every 12 s', async () => {
    const T = Date.UTC(2026, 10, 30, 12);
    const { sim, clock } = await start(T);
    const base = sim.providerBaseUrl('cerebras');
    const small = { max_completion_tokens: 100 };
    expect(await statuses(base, 'gemma-4-31b', 5, small)).toEqual([200, 200, 200, 200, 200]);
    const refused = await chat(base, ask('gemma-4-31b', 'Say hello.', small));
    expect(refused.json.message).toBe('Requests per minute limit exceeded - too many requests sent.');
    expect(refused.headers.get('retry-after')).toBe('12');
    expect(refused.headers.get('x-ratelimit-remaining-requests-minute')).toBeNull(); // 429s carry none
    expect(classified('cerebras', refused, T)).toMatchObject({
      window: 'requests_minute',
      resetAtMs: T + 12 * S,
    });
    await expectReopensAt(clock, base, 'gemma-4-31b', T + 12 * S, small);
  });
});

describe('Mistral: fixed second, minute and calendar month; only the headers tell which', () => {
  it('spends the month and reopens on the 1st at 00:00 UTC', async () => {
    const T = Date.UTC(2026, 10, 30, 23, 59, 30);
    const { sim, clock } = await start(T);
    sim.updateProvider('mistral', {
      usage: [{ window: 'tokens_month', model: 'mistral-medium-2508', used: 1e9 }],
    });
    const base = sim.providerBaseUrl('mistral');
    const refused = await chat(base, ask('mistral-medium-2508'));
    expect(refused.json).toMatchObject({ message: 'Rate limit exceeded', code: '1300' });
    expect(refused.headers.get('x-ratelimit-remaining-tokens-month')).toBe('0');
    expect(refused.headers.get('retry-after')).toBeNull();
    expect(classified('mistral', refused, T)).toMatchObject({
      window: 'tokens_month',
      resetAtMs: Date.UTC(2026, 11, 1),
    });
    // Another model has its own month.
    expect((await chat(base, ask('ministral-3b-2512'))).status).toBe(200);
    await expectReopensAt(clock, base, 'mistral-medium-2508', Date.UTC(2026, 11, 1));
  });

  it('spends a wall-clock minute and reopens at :00', async () => {
    const T = Date.UTC(2026, 10, 30, 12, 0, 10);
    const { sim, clock } = await start(T, { providers: { mistral: { limits: { requests_minute: 2 } } } });
    const base = sim.providerBaseUrl('mistral');
    for (const at of [T, T + S]) {
      await clock.advanceTo(at);
      expect((await chat(base, ask('mistral-medium-2508'))).status).toBe(200);
    }
    await clock.advanceTo(T + 2 * S);
    const refused = await chat(base, ask('mistral-medium-2508'));
    expect(refused.headers.get('x-ratelimit-remaining-req-minute')).toBe('0');
    expect(classified('mistral', refused, T + 2 * S)).toMatchObject({
      window: 'requests_minute',
      resetAtMs: Date.UTC(2026, 10, 30, 12, 1),
    });
    await expectReopensAt(clock, base, 'mistral-medium-2508', Date.UTC(2026, 10, 30, 12, 1));
  });

  it('refuses a second request in the same second with a body rotor cannot place (requests_unknown)', async () => {
    const T = Date.UTC(2026, 10, 30, 12, 0, 10, 500);
    const { sim, clock } = await start(T);
    const base = sim.providerBaseUrl('mistral');
    expect((await chat(base, ask('ministral-3b-2512'))).status).toBe(200);
    const refused = await chat(base, ask('ministral-3b-2512'));
    expect(classified('mistral', refused, T)).toMatchObject({
      window: 'requests_unknown',
      resetAtMs: T + MIN,
    });
    await expectReopensAt(clock, base, 'ministral-3b-2512', Date.UTC(2026, 10, 30, 12, 0, 11));
  });
});

describe('GitHub Models: rolling windows per user and model, concurrency', () => {
  it('reopens a per-model day 86,400 s after the oldest request', async () => {
    const T = Date.UTC(2026, 10, 30, 12);
    const { sim, clock } = await start(T, {
      providers: { 'github-models': { limits: { requests_day: 2 } } },
    });
    const base = sim.providerBaseUrl('github-models');
    await chat(base, ask('openai/gpt-4.1-mini'));
    await clock.advanceTo(T + 10 * S);
    await chat(base, ask('openai/gpt-4.1-mini'));
    await clock.advanceTo(T + H);
    const refused = await chat(base, ask('openai/gpt-4.1-mini'));
    expect(refused.json.error.message).toBe(
      'Rate limit of 2 per 86400s exceeded for UserByModelByDay. Please wait 82800 seconds before retrying.',
    );
    expect(classified('github-models', refused, T + H)).toMatchObject({
      window: 'requests_day',
      per: 'model',
      resetAtMs: T + DAY,
    });
    await expectReopensAt(clock, base, 'openai/gpt-4.1-mini', T + DAY);
  });

  it('refuses a third request while two are in flight on a High-tier model (2 at once)', async () => {
    const T = Date.UTC(2026, 10, 30, 12);
    const { sim, clock } = await start(T, {
      faults: [
        {
          upstream: 'github-models',
          model: 'openai/gpt-4.1',
          kind: 'slow_first_token',
          delayMs: 10_000,
          maxHits: 2,
        },
      ],
    });
    const base = sim.providerBaseUrl('github-models');
    const running = [openChat(base, ask('openai/gpt-4.1')), openChat(base, ask('openai/gpt-4.1'))];
    while (sim.attempts().length < 2) await new Promise((r) => setTimeout(r, 5));
    const refused = await chat(base, ask('openai/gpt-4.1'));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-ratelimit-type')).toBe('UserConcurrentRequests');
    expect(refused.headers.get('retry-after')).toBe('0');
    expect(classified('github-models', refused, T)).toMatchObject({ window: 'concurrency', per: 'account' });
    await clock.advance(10_000);
    for (const res of await Promise.all(running))
      expect(((await res.json()) as Json).object).toBe('chat.completion');
    expect((await chat(base, ask('openai/gpt-4.1'))).status).toBe(200);
  });
});

describe('NVIDIA: one rolling minute for the account, a bare 429', () => {
  it('refuses every model once the account minute is spent; rotor cools the pair for 60 s', async () => {
    const T = Date.UTC(2026, 10, 30, 12);
    const { sim, clock } = await start(T, { providers: { nvidia: { limits: { requests_minute: 2 } } } });
    const base = sim.providerBaseUrl('nvidia');
    await chat(base, ask('openai/gpt-oss-120b'));
    await clock.advanceTo(T + 5 * S);
    await chat(base, ask('meta/llama-3.3-70b-instruct'));
    await clock.advanceTo(T + 10 * S);
    const refused = await chat(base, ask('nvidia/nemotron-3-super-120b-a12b'));
    expect(refused.json).toEqual({ status: 429, title: 'Too Many Requests' });
    expect(
      [...refused.headers.keys()].filter((h) => h.startsWith('x-ratelimit') || h === 'retry-after'),
    ).toEqual([]);
    expect(classified('nvidia', refused, T + 10 * S)).toMatchObject({
      window: 'requests_unknown',
      per: 'model',
      resetAtMs: T + 70 * S,
    });
    await expectReopensAt(clock, base, 'nvidia/nemotron-3-super-120b-a12b', T + MIN);
  });
});

describe('SambaNova: 200,000 tokens a rolling day for the account', () => {
  it('refuses every model when the day is spent, until the spent usage is 86,400 s old', async () => {
    const T = Date.UTC(2026, 10, 30, 12);
    const { sim, clock } = await start(T);
    sim.updateProvider('sambanova', { usage: [{ window: 'tokens_day', used: 199_990 }] });
    await clock.advanceTo(T + H);
    const base = sim.providerBaseUrl('sambanova');
    const refused = await chat(base, ask('Meta-Llama-3.1-8B-Instruct'));
    expect(refused.json.error.message).toBe(
      'Request would exceed rate limit\nViolated duration_s: 86400, current usage: 199990, limit: 200000',
    );
    expect((await chat(base, ask('Qwen3-32B'))).status).toBe(429);
    expect(classified('sambanova', refused, T + H)).toMatchObject({
      window: 'tokens_day',
      per: 'account',
      scope: 'account_day',
      resetAtMs: T + H + DAY,
    });
    await expectReopensAt(clock, base, 'Qwen3-32B', T + DAY);
  });
});

describe('Cloudflare: 10,000 neurons a day for the account, 00:00 UTC', () => {
  it('answers 4006 on every model and reopens at midnight UTC', async () => {
    const T = Date.UTC(2026, 10, 30, 23, 59);
    const { sim, clock } = await start(T);
    sim.updateProvider('cloudflare', { usage: [{ window: 'neurons_day', used: 10_000 }] });
    const base = sim.providerBaseUrl('cloudflare');
    const refused = await chat(base, ask('@cf/openai/gpt-oss-120b'));
    expect(refused.json.errors[0]).toEqual({
      code: 4006,
      message:
        "4006: you have used up your daily free allocation of 10,000 neurons, please upgrade to Cloudflare's Workers Paid plan if you would like to continue usage.",
    });
    expect(classified('cloudflare', refused, T)).toMatchObject({
      window: 'neurons_day',
      per: 'account',
      resetAtMs: Date.UTC(2026, 11, 1),
    });
    await expectReopensAt(clock, base, '@cf/meta/llama-3.1-8b-instruct', Date.UTC(2026, 11, 1));
  });

  it('answers a wrong account id with 7003, as Cloudflare routes it', async () => {
    const { sim } = await start(Date.UTC(2026, 10, 30, 12));
    const wrong = await chat(
      `${sim.origin}/cloudflare/client/v4/accounts/cfut_pasted_token/ai/v1`,
      ask('@cf/openai/gpt-oss-120b'),
    );
    expect(wrong.status).toBe(404);
    expect(wrong.json.errors[0].code).toBe(7003);
    expect(classified('cloudflare', wrong, 0)).toMatchObject({ kind: 'auth', providerKind: 'config' });
  });
});

describe('Ollama Cloud: epoch-aligned 5-hour sessions, weeks from Monday 00:00 UTC', () => {
  it('reopens a spent session at the next 5-hour boundary', async () => {
    const T = Date.UTC(2026, 10, 30, 12, 30); // sessions run 12:00–17:00 UTC this day
    const { sim, clock } = await start(T, {
      providers: { 'ollama-cloud': { limits: { usage_session: 20 } } },
    });
    const base = sim.providerBaseUrl('ollama-cloud');
    expect(await statuses(base, 'gpt-oss:120b', 2)).toEqual([200, 429]);
    const refused = await chat(base, ask('gpt-oss:20b'));
    expect(refused.json.error.message).toContain('have reached your session usage limit');
    expect(classified('ollama-cloud', refused, T)).toMatchObject({
      window: 'usage_session',
      per: 'account',
      resetAtMs: Date.UTC(2026, 10, 30, 17),
    });
    await expectReopensAt(clock, base, 'gpt-oss:120b', Date.UTC(2026, 10, 30, 17));
  });

  it('reopens a spent week on Monday', async () => {
    const T = Date.UTC(2026, 11, 2, 9); // a Wednesday
    const { sim, clock } = await start(T);
    sim.updateProvider('ollama-cloud', { usage: [{ window: 'usage_week', used: 2_000_000 }] });
    const base = sim.providerBaseUrl('ollama-cloud');
    const refused = await chat(base, ask('gpt-oss:120b'));
    expect(classified('ollama-cloud', refused, T)).toMatchObject({
      window: 'usage_week',
      resetAtMs: Date.UTC(2026, 11, 7),
    });
    await expectReopensAt(clock, base, 'gpt-oss:120b', Date.UTC(2026, 11, 7));
  });
});

describe('admin API for providers', () => {
  it('lists providers with their limits and quota, changes limits and spends quota at run time', async () => {
    const T = Date.UTC(2026, 10, 30, 12);
    const { sim } = await start(T);
    const post = (path: string, body: unknown) =>
      fetch(`${sim.origin}/__sim/${path}`, { method: 'POST', body: JSON.stringify(body) }).then(
        async (r) => ({
          status: r.status,
          json: (await r.json()) as Json,
        }),
      );
    const all = await getJson(`${sim.origin}/__sim/providers`, null);
    expect(all.json.providers.map((p: { id: string }) => p.id)).toContain('groq');
    const changed = await post('providers/groq', {
      limits: { requests_day: 1, tokens_day: false },
      usage: [{ window: 'requests_day', model: 'openai/gpt-oss-20b', used: 1 }],
    });
    expect(changed.status).toBe(200);
    expect(changed.json.limits.map((l: { window: string }) => l.window)).not.toContain('tokens_day');
    expect(changed.json.quota['openai/gpt-oss-20b']).toContainEqual(
      expect.objectContaining({ window: 'requests_day', limit: 1, used: 1, remaining: 0 }),
    );
    expect((await chat(sim.providerBaseUrl('groq'), ask('openai/gpt-oss-20b'))).status).toBe(429);
    expect((await post('providers/groq', { limits: { requests_day: 'lots' } })).status).toBe(400);
    expect((await post('providers/nowhere', {})).status).toBe(404);
    const fault = await post('faults', {
      upstream: 'groq',
      kind: 'overloaded',
      model: 'openai/gpt-oss-120b',
    });
    expect(fault.status).toBe(200);
    expect((await chat(sim.providerBaseUrl('groq'), ask('openai/gpt-oss-120b'))).status).toBe(503);
    expect((await post('faults', { upstream: 'nowhere', kind: 'server_error' })).json.error.issues).toEqual([
      '[0].upstream: not a simulated provider (got "nowhere")',
    ]);
    expect((await post('faults', { upstream: 'groq', kind: 'moderation' })).status).toBe(400);
    const attempts = await getJson(`${sim.origin}/__sim/attempts`, null);
    expect(
      attempts.json.attempts.map((a: { provider?: string; outcome: string; window?: string }) => [
        a.provider,
        a.outcome,
        a.window,
      ]),
    ).toEqual([
      ['groq', 'rate_limit', 'requests_day'],
      ['groq', 'overloaded', undefined],
    ]);
  });
});
