import { afterEach, describe, expect, it } from 'vitest';
import { ask, chat, getJson, loadErrorFixture, structureOf } from '../../test/fixtures-sim/sim-helpers.js';
import { ManualClock } from '../engine/clock.js';
import { DAY_MS, MINUTE_MS } from './quota-window.js';
import type { ScenarioInput } from './scenario-schema.js';
import { type Simulator, startSimulator } from './simulator.js';

const PRIMARY = 'meta-llama/llama-3.3-8b-instruct:free';
const SECOND = 'meta-llama/llama-4-maverick:free';
const MIDNIGHT = Date.UTC(2026, 4, 20);

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(clock: ManualClock, scenario: ScenarioInput = {}): Promise<Simulator> {
  sim = await startSimulator({ latencyScale: 0, clock, scenario });
  return sim;
}

async function statuses(s: Simulator, count: number, model = PRIMARY): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await chat(s.url, ask(model))).status);
  return out;
}

describe('account free-model limits over the wire', () => {
  it('passes the 20th request in a minute, refuses the 21st, and passes again at the next minute', async () => {
    const clock = new ManualClock(MIDNIGHT + 30_000);
    const s = await start(clock);
    expect(await statuses(s, 20)).toEqual(Array(20).fill(200));
    const refused = await chat(s.url, ask(SECOND)); // another :free model: the quota is per account
    expect(refused.status).toBe(429);
    const reset = String(MIDNIGHT + MINUTE_MS);
    expect(refused.json).toEqual({
      error: {
        message: 'Rate limit exceeded: free-models-per-min. ',
        code: 429,
        metadata: {
          headers: { 'X-RateLimit-Limit': '20', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': reset },
          provider_name: null,
        },
      },
      user_id: expect.any(String),
    });
    expect(refused.headers.get('x-ratelimit-limit')).toBe('20');
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('x-ratelimit-reset')).toBe(reset);

    await clock.advanceTo(MIDNIGHT + MINUTE_MS - 1);
    expect(await statuses(s, 1)).toEqual([429]);
    await clock.advanceTo(MIDNIGHT + MINUTE_MS);
    expect(await statuses(s, 1)).toEqual([200]);
    expect(s.attempts().map((a) => a.outcome)).toEqual([
      ...Array(20).fill('ok'),
      'account_minute_limit',
      'account_minute_limit',
      'ok',
    ]);
  });

  it('passes the 50th request in a UTC day, refuses the 51st with the fixture body, passes after midnight', async () => {
    const clock = new ManualClock(MIDNIGHT + 10 * 3_600_000);
    const s = await start(clock, { account: { perMinute: 1000 } });
    expect(await statuses(s, 50)).toEqual(Array(50).fill(200));
    const refused = await chat(s.url, ask(PRIMARY));
    expect(refused.status).toBe(429);
    const fixture = loadErrorFixture('429-free-models-per-day.json');
    expect(structureOf(refused.json)).toEqual(structureOf(fixture.body));
    expect(refused.json.error.message).toBe(
      fixture.body.error && (fixture.body.error as { message: string }).message,
    );
    expect(refused.json.error.metadata.headers).toEqual({
      'X-RateLimit-Limit': '50',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': String(MIDNIGHT + DAY_MS),
    });
    expect(refused.headers.get('x-ratelimit-reset')).toBe(String(MIDNIGHT + DAY_MS));

    await clock.advanceTo(MIDNIGHT + DAY_MS - 1);
    expect(await statuses(s, 1)).toEqual([429]);
    await clock.advanceTo(MIDNIGHT + DAY_MS);
    expect(await statuses(s, 1)).toEqual([200]);
  });

  it('allows 1000 per day with credits, then answers free-models-per-day-high-balance', async () => {
    const clock = new ManualClock(MIDNIGHT);
    const s = await start(clock, { account: { hasCredits: true } });
    s.setAccount({ dayUsed: 999 });
    expect(await statuses(s, 1)).toEqual([200]);
    const refused = await chat(s.url, ask(PRIMARY));
    expect(refused.status).toBe(429);
    expect(refused.json.error.message).toBe('Rate limit exceeded: free-models-per-day-high-balance. ');
    expect(refused.json.error.metadata.headers['X-RateLimit-Limit']).toBe('1000');
    const key = await getJson(`${s.url}/key`);
    expect(key.json.data.is_free_tier).toBe(false);
    expect(key.json.data.free_model_daily_requests).toEqual({ limit: 1000, remaining: 0, used: 1000 });
  });

  it('counts failed attempts against the quota, as OpenRouter does', async () => {
    const clock = new ManualClock(MIDNIGHT);
    const s = await start(clock, { faults: [{ kind: 'server_error', status: 503 }] });
    expect(await statuses(s, 3)).toEqual([503, 503, 503]);
    const key = await getJson(`${s.url}/key`);
    expect(key.json.data.free_model_daily_requests).toEqual({ limit: 50, remaining: 47, used: 3 });
  });

  it('can be switched off, and /key then reports no daily limit (usage still counted)', async () => {
    const s = await start(new ManualClock(MIDNIGHT), { account: { freeLimits: false } });
    expect(await statuses(s, 25)).toEqual(Array(25).fill(200));
    const key = await getJson(`${s.url}/key`);
    expect(key.json.data.free_model_daily_requests).toEqual({ limit: null, remaining: null, used: 25 });
  });
});

describe('per-model limits over the wire', () => {
  it('caps one model with a limit_rpm body until the next minute; other models are unaffected', async () => {
    const clock = new ManualClock(MIDNIGHT + 5_000);
    const s = await start(clock, {
      models: [{ id: PRIMARY, limitRpm: 2, canonicalSlug: 'meta-llama/llama-3.3-8b-instruct-2025' }],
    });
    expect(await statuses(s, 2)).toEqual([200, 200]);
    const capped = await chat(s.url, ask(PRIMARY));
    expect(capped.status).toBe(429);
    const fixture = loadErrorFixture('429-model-cap-qwen3-coder.json');
    expect(structureOf(capped.json)).toEqual(structureOf(fixture.body));
    expect(capped.json.error.message).toMatch(
      new RegExp(
        `^Rate limit exceeded: limit_rpm/meta-llama/llama-3\\.3-8b-instruct-2025/[0-9a-f-]{36}\\. High demand for ${PRIMARY.replace(/\./g, '\\.')} on OpenRouter - limited to 2 requests per minute\\. Please retry shortly\\.$`,
      ),
    );
    expect(capped.json.error.metadata.headers['X-RateLimit-Reset']).toBe(String(MIDNIGHT + MINUTE_MS));
    expect(capped.headers.get('x-ratelimit-limit')).toBe('2');
    expect(await statuses(s, 1, SECOND)).toEqual([200]);
    await clock.advanceTo(MIDNIGHT + MINUTE_MS);
    expect(await statuses(s, 1)).toEqual([200]);
    // The capped attempt got past the account gate, so it counted there.
    expect(s.account().day.used).toBe(5);
  });

  it('caps per day with limit_rpd', async () => {
    const clock = new ManualClock(MIDNIGHT);
    const s = await start(clock, { models: [{ id: PRIMARY, limitRpd: 1 }] });
    expect(await statuses(s, 2)).toEqual([200, 429]);
    const capped = await chat(s.url, ask(PRIMARY));
    expect(capped.json.error.message).toContain('limit_rpd/');
    expect(capped.json.error.message).toContain('limited to 1 requests per day');
    expect(capped.json.error.metadata.headers['X-RateLimit-Reset']).toBe(String(MIDNIGHT + DAY_MS));
  });

  it('exhausts the upstream pool with "temporarily rate-limited upstream", hinting the wait when configured', async () => {
    const clock = new ManualClock(MIDNIGHT + 43_000);
    const s = await start(clock, {
      models: [
        { id: PRIMARY, upstreamRpm: 1, upstreamRetryHint: true },
        { id: SECOND, upstreamRpm: 1 },
      ],
    });
    expect(await statuses(s, 1)).toEqual([200]);
    const hinted = await chat(s.url, ask(PRIMARY));
    expect(hinted.status).toBe(429);
    const venice = loadErrorFixture('429-upstream-venice-retry-after.json');
    expect(structureOf(hinted.json)).toEqual(structureOf(venice.body));
    expect(hinted.json.error.metadata).toMatchObject({
      provider_name: 'Meta',
      retry_after_seconds: 17,
      retry_after_seconds_raw: 17,
      headers: { 'Retry-After': '17' },
    });
    expect(hinted.json.error.metadata.raw).toContain(`${PRIMARY} is temporarily rate-limited upstream`);
    expect(hinted.headers.get('retry-after')).toBe('17');

    expect(await statuses(s, 1, SECOND)).toEqual([200]);
    const bare = await chat(s.url, ask(SECOND));
    const chutes = loadErrorFixture('429-upstream-chutes.json');
    expect(structureOf(bare.json)).toEqual(structureOf(chutes.body));
    expect(bare.headers.get('retry-after')).toBeNull();
    expect(s.attempts().map((a) => a.outcome)).toEqual(['ok', 'upstream_pool', 'ok', 'upstream_pool']);
  });
});
