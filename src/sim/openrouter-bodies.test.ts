import { describe, expect, it } from 'vitest';
import { loadErrorFixture, parseSse, readFixtureText } from '../../test/fixtures-sim/sim-helpers.js';
import * as bodies from './openrouter-bodies.js';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

describe('OpenRouter bodies equal the captured fixtures', () => {
  it('free-models-per-day (no credits), with user_id', () => {
    const fixture = loadErrorFixture('429-free-models-per-day.json');
    const built = bodies.freeModelsLimit(
      { unit: 'day', limit: 50, resetMs: 1_779_321_600_000 },
      { hasCredits: false, userId: 'user_3Dwv' },
    );
    expect(built.status).toBe(fixture.status);
    expect(built.body).toEqual(fixture.body);
    expect(built.headers).toEqual(
      (fixture.body.error as { metadata: { headers: unknown } }).metadata.headers,
    );
  });

  it('model cap (limit_rpm), up to the uuid', () => {
    const fixture = loadErrorFixture('429-model-cap-qwen3-coder.json');
    const built = bodies.modelCap('qwen/qwen3-coder:free', 'qwen/qwen3-coder-480b-a35b-07-25', {
      unit: 'minute',
      limit: 8,
      resetMs: 1_783_519_380_000,
    });
    const normalise = (body: unknown) => JSON.parse(JSON.stringify(body).replace(UUID, '<uuid>'));
    expect(normalise(built.body)).toEqual(normalise(fixture.body));
  });

  it('upstream pool without a retry hint (Chutes), up to a doubled space in the capture', () => {
    const fixture = loadErrorFixture('429-upstream-chutes.json');
    const built = bodies.upstreamRateLimit(
      'deepseek/deepseek-chat-v3-0324:free',
      'Chutes',
      'user_33jF90V8MuPsx2czsN5fxAmwXnx',
    );
    const normalise = (body: unknown) => JSON.parse(JSON.stringify(body).replace(/ {2,}/g, ' '));
    expect(normalise(built.body)).toEqual(normalise(fixture.body));
    expect(built.headers).toEqual({});
  });

  it('upstream pool with retry_after_seconds and Retry-After (Venice)', () => {
    const fixture = loadErrorFixture('429-upstream-venice-retry-after.json');
    const built = bodies.upstreamRateLimit(
      'meta-llama/llama-3.3-70b-instruct:free',
      'Venice',
      'user_3Bl6LBShLIGou4GzxDLzm73U616',
      16.007,
    );
    expect(built.body).toEqual(fixture.body);
    const lower = Object.fromEntries(Object.entries(built.headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(lower).toEqual(fixture.headers);
  });

  it('402 insufficient credits, with user_id', () => {
    const fixture = loadErrorFixture('402-insufficient-credits.json');
    expect(bodies.insufficientCredits(64_000, 2666, 'user_35tI40u3gKTMEMGS061Ov1xsUTj').body).toEqual(
      fixture.body,
    );
  });

  it('the bare documented 429', () => {
    const fixture = loadErrorFixture('429-generic-documented.json');
    expect(bodies.genericRateLimit().body).toEqual(fixture.body);
  });

  it('an error inside a 200 body', () => {
    const fixture = loadErrorFixture('200-inband-upstream-429.json');
    const meta = {
      id: 'gen-1739000000-abc',
      provider: 'Kluster',
      model: 'deepseek/deepseek-r1:free',
      created: 1_739_000_000,
    };
    const built = bodies.errorIn200(meta, {
      message: 'Provider returned error',
      code: 429,
      metadata: { raw: 'error code: 1015', provider_name: 'Kluster' },
    });
    expect(built).toEqual(fixture.body);
  });

  it('the mid-stream error chunk', () => {
    const events = parseSse(readFixtureText('errors/stream-midstream-error.sse'));
    const documented = events.filter((e) => e.type === 'data').at(-1);
    const meta = { id: 'gen-abc123', model: 'openai/gpt-4o', provider: 'OpenAI', created: 1_234_567_890 };
    const built = bodies.midstreamErrorChunk(meta, {
      code: 429,
      message: 'Rate limit exceeded',
      metadata: { error_type: 'rate_limit_exceeded' },
    });
    expect(documented?.type === 'data' && documented.json).toEqual(built);
  });

  it('free-models-per-min and high-balance per-day follow the reported shapes', () => {
    const account = { hasCredits: true, userId: 'user_x' };
    const perMin = bodies.freeModelsLimit({ unit: 'minute', limit: 20, resetMs: 60_000 }, account).body;
    expect(perMin).toEqual({
      error: {
        message: 'Rate limit exceeded: free-models-per-min. ',
        code: 429,
        metadata: {
          headers: { 'X-RateLimit-Limit': '20', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '60000' },
          provider_name: null,
        },
      },
      user_id: 'user_x',
    });
    const perDay = bodies.freeModelsLimit({ unit: 'day', limit: 1000, resetMs: 86_400_000 }, account).body;
    expect(perDay).toMatchObject({
      error: {
        message: 'Rate limit exceeded: free-models-per-day-high-balance. ',
        metadata: { limit_source: 'openrouter_free_tier_daily', headers: { 'X-RateLimit-Limit': '1000' } },
      },
    });
  });
});
