import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../package-root.js';
import { classifyProviderError, type ProviderFailure } from './classify-provider-error.js';
import { loadProviderCatalog } from './provider-catalog-file.js';
import type { Provider, ProviderCatalog } from './provider-catalog-schema.js';

const FIXTURES = join(packageRoot(), 'test', 'fixtures', 'providers');

interface Fixture {
  status: number | null;
  headers: Record<string, string>;
  body: unknown;
}

/** 2026-11-30 07:15:42.250 UTC, a Monday; in Los Angeles (UTC−8) still Sunday 23:15. */
const NOW = Date.UTC(2026, 10, 30, 7, 15, 42, 250);
const NEXT_SECOND = Date.UTC(2026, 10, 30, 7, 15, 43);
const MIDNIGHT_UTC = Date.UTC(2026, 11, 1);
const MIDNIGHT_PACIFIC = Date.UTC(2026, 10, 30, 8);
const NEXT_MONDAY_UTC = Date.UTC(2026, 11, 7);
/** 5-hour sessions aligned to the epoch: …, 07:00, 12:00 UTC on this day. */
const NEXT_SESSION = Date.UTC(2026, 10, 30, 12);
const MINUTE = 60_000;
const DAY = 86_400_000;

type Expected = Partial<ProviderFailure> & Pick<ProviderFailure, 'kind' | 'providerKind'>;

/**
 * Every shipped fixture, the provider that sent it, and what it means — read from the body and the
 * fixture's `meaning`, by hand. Rate limits carry the window, who it is counted for, and when it
 * should be clear again.
 */
const EXPECTED: Record<string, [provider: string, expected: Expected]> = {
  // --- Groq: the message names the window; "try again in" is exact (continuous refill).
  'groq/400_context_length_exceeded.json': [
    'groq',
    { kind: 'context_length', providerKind: 'context_length' },
  ],
  'groq/400_max_completion_tokens_too_large.json': [
    'groq',
    { kind: 'unsupported', providerKind: 'bad_param', params: ['max_completion_tokens'] },
  ],
  'groq/400_model_decommissioned.json': [
    'groq',
    { kind: 'model_not_found', providerKind: 'model_not_found', upstreamCode: 'model_decommissioned' },
  ],
  'groq/401_invalid_api_key.json': ['groq', { kind: 'auth', providerKind: 'auth', status: 401 }],
  'groq/404_model_not_found.json': ['groq', { kind: 'model_not_found', providerKind: 'model_not_found' }],
  'groq/413_request_too_large_tpm.json': [
    'groq',
    { kind: 'context_length', providerKind: 'request_too_large', window: 'tokens_minute', per: 'model' },
  ],
  'groq/429_rpd_requests_per_day_message_only.json': [
    'groq',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      scope: 'model',
      window: 'requests_day',
      per: 'model',
      retryAfterMs: 345_600,
      resetAtMs: NOW + 345_600,
    },
  ],
  'groq/429_rpm_requests_per_minute.json': [
    'groq',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      scope: 'model',
      window: 'requests_minute',
      per: 'model',
      resetAtMs: NOW + 1_724,
    },
  ],
  'groq/429_tpd_gpt_oss_120b_raw.json': [
    'groq',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      window: 'tokens_day',
      per: 'model',
      resetAtMs: NOW + 592_272,
    },
  ],
  'groq/429_tpd_tokens_per_day_message_only.json': [
    'groq',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      window: 'tokens_day',
      per: 'model',
      resetAtMs: NOW + 578_016,
    },
  ],
  'groq/429_tpm_tokens_per_minute_2024.json': [
    'groq',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      window: 'tokens_minute',
      per: 'model',
      resetAtMs: NOW + 59_977,
    },
  ],

  // --- Gemini: quotaId names the window; per-day resets at midnight Pacific whatever retryDelay says.
  'gemini/native_400_context_length.json': [
    'gemini',
    { kind: 'context_length', providerKind: 'context_length' },
  ],
  'gemini/native_404_model_not_found.json': [
    'gemini',
    { kind: 'model_not_found', providerKind: 'model_not_found' },
  ],
  'gemini/native_429_bare_no_details.json': [
    'gemini',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      scope: 'account_minute',
      window: 'requests_unknown',
      per: 'account',
      resetAtMs: NOW + MINUTE,
    },
  ],
  'gemini/native_429_no_free_tier_limit0.json': [
    'gemini',
    { kind: 'model_not_found', providerKind: 'no_free_quota', per: 'model', retryAfterMs: 56_536 },
  ],
  'gemini/native_429_per_day_free_tier.json': [
    'gemini',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      scope: 'model',
      window: 'requests_day',
      per: 'model',
      retryAfterMs: 22_000,
      resetAtMs: MIDNIGHT_PACIFIC,
    },
  ],
  'gemini/native_429_per_minute_input_tokens.json': [
    'gemini',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      window: 'tokens_minute',
      per: 'model',
      retryAfterMs: 26_000,
      resetAtMs: NOW + 26_000,
    },
  ],
  'gemini/native_503_model_overloaded.json': ['gemini', { kind: 'overloaded', providerKind: 'overloaded' }],
  'gemini/openai_compat_400_array_several_unknown_fields.json': [
    'gemini',
    {
      kind: 'unsupported',
      providerKind: 'bad_param',
      params: ['extra_body', 'frequency_penalty', 'reasoning', 'top_k'],
    },
  ],
  'gemini/openai_compat_400_array_unknown_field.json': [
    'gemini',
    { kind: 'unsupported', providerKind: 'bad_param', params: ['google'] },
  ],
  'gemini/openai_compat_429_array.json': [
    'gemini',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      scope: 'model',
      window: 'requests_unknown',
      per: 'model',
      upstreamCode: '429',
      resetAtMs: NOW + MINUTE,
    },
  ],
  'gemini/stream_wrapper_400_api_key_invalid.json': ['gemini', { kind: 'auth', providerKind: 'auth' }],
  'gemini/stream_wrapper_503_high_demand.json': [
    'gemini',
    { kind: 'overloaded', providerKind: 'overloaded' },
  ],

  // --- Cerebras: flat bodies; minute vs day only in the message; queue_exceeded is overload.
  'cerebras/400_context_length_message_only.json': [
    'cerebras',
    { kind: 'context_length', providerKind: 'context_length' },
  ],
  'cerebras/404_model_not_found.json': [
    'cerebras',
    { kind: 'model_not_found', providerKind: 'model_not_found' },
  ],
  'cerebras/429_queue_exceeded_high_traffic.json': [
    'cerebras',
    { kind: 'overloaded', providerKind: 'overloaded', upstreamCode: 'queue_exceeded' },
  ],
  'cerebras/429_rpm_request_quota_exceeded.json': [
    'cerebras',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      scope: 'model',
      window: 'requests_minute',
      per: 'model',
      resetAtMs: NOW + MINUTE,
    },
  ],
  'cerebras/429_tpd_tokens_per_day.json': [
    'cerebras',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      window: 'tokens_day',
      per: 'model',
      retryAfterMs: 86_399_000,
      resetAtMs: NOW + 86_399_000,
    },
  ],

  // --- Mistral: one body for every window (headers tell; these captures have none).
  'mistral/400_message_order_3230.json': ['mistral', { kind: 'unsupported', providerKind: 'unsupported' }],
  'mistral/400_tool_call_id_format_3280.json': [
    'mistral',
    { kind: 'unsupported', providerKind: 'unsupported' },
  ],
  'mistral/401_detail_unauthorized.json': [
    'mistral',
    { kind: 'auth', providerKind: 'auth', message: 'Unauthorized' },
  ],
  'mistral/401_unauthorized_request_id.json': ['mistral', { kind: 'auth', providerKind: 'auth' }],
  'mistral/422_extra_forbidden_max_completion_tokens.json': [
    'mistral',
    { kind: 'unsupported', providerKind: 'bad_param', params: ['max_completion_tokens'] },
  ],
  'mistral/422_extra_forbidden_stream_options.json': [
    'mistral',
    { kind: 'unsupported', providerKind: 'bad_param', params: ['stream_options'] },
  ],
  'mistral/429_rate_limited_1300.json': [
    'mistral',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      window: 'requests_unknown',
      per: 'model',
      resetAtMs: NOW + MINUTE,
    },
  ],
  'mistral/429_requests_rate_limit_exceeded_legacy.json': [
    'mistral',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      window: 'requests_second',
      per: 'model',
      resetAtMs: NEXT_SECOND,
    },
  ],
  'mistral/429_service_tier_capacity_exceeded.json': [
    'mistral',
    { kind: 'overloaded', providerKind: 'overloaded' },
  ],

  // --- GitHub Models: the counter is named; the day is rolling, so "wait N seconds" is right.
  'github-models/403_no_access_to_model_message_only.json': [
    'github-models',
    { kind: 'model_not_found', providerKind: 'model_not_found' },
  ],
  'github-models/413_tokens_limit_reached.json': [
    'github-models',
    { kind: 'context_length', providerKind: 'request_too_large', upstreamCode: 'tokens_limit_reached' },
  ],
  'github-models/429_user_by_model_by_day.json': [
    'github-models',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      scope: 'model',
      window: 'requests_day',
      per: 'model',
      resetAtMs: NOW + 85_841_000,
    },
  ],
  'github-models/4xx_unknown_model.json': [
    'github-models',
    { kind: 'model_not_found', providerKind: 'model_not_found' },
  ],

  // --- NVIDIA: a bare 429 says nothing; cool the model down for the measured ~60 s.
  'nvidia/400_context_length_vllm.json': [
    'nvidia',
    { kind: 'context_length', providerKind: 'context_length' },
  ],
  'nvidia/400_max_tokens_invalid.json': [
    'nvidia',
    { kind: 'context_length', providerKind: 'context_length' },
  ],
  'nvidia/400_tool_choice_auto_unsupported.json': [
    'nvidia',
    { kind: 'unsupported', providerKind: 'unsupported', params: ['tool_choice'] },
  ],
  'nvidia/404_function_not_found_for_account.json': [
    'nvidia',
    { kind: 'model_not_found', providerKind: 'model_not_found' },
  ],
  'nvidia/429_too_many_requests_problem_details.json': [
    'nvidia',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      scope: 'model',
      window: 'requests_unknown',
      per: 'model',
      message: 'Too Many Requests',
      resetAtMs: NOW + MINUTE,
    },
  ],

  // --- SambaNova: "duration_s: 86400" is the account-wide 200K tokens/day, a rolling window.
  'sambanova/400_decimal_above_max_value_docs_example.json': [
    'sambanova',
    { kind: 'request_error', providerKind: 'request_error' },
  ],
  'sambanova/429_tpd_dev_account_served_free_caps_message_only.json': [
    'sambanova',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      scope: 'account_day',
      window: 'tokens_day',
      per: 'account',
      resetAtMs: NOW + DAY,
    },
  ],
  'sambanova/429_tpd_free_tier_message_only.json': [
    'sambanova',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      scope: 'account_day',
      window: 'tokens_day',
      per: 'account',
      resetAtMs: NOW + DAY,
    },
  ],

  // --- Cloudflare: 4006 is the account's daily neurons, reset 00:00 UTC.
  'cloudflare/400_7003_7000_no_route_missing_path.json': [
    'cloudflare',
    { kind: 'auth', providerKind: 'config', upstreamCode: '7003' },
  ],
  'cloudflare/400_bad_input_oneof_schema_mismatch.json': [
    'cloudflare',
    { kind: 'unsupported', providerKind: 'unsupported' },
  ],
  'cloudflare/404_7003_could_not_route_bad_account_id.json': [
    'cloudflare',
    { kind: 'auth', providerKind: 'config' },
  ],
  'cloudflare/429_4006_daily_neuron_allocation_message_only.json': [
    'cloudflare',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      scope: 'account_day',
      window: 'neurons_day',
      per: 'account',
      resetAtMs: MIDNIGHT_UTC,
    },
  ],
  'cloudflare/7009_upstream_service_unavailable_ai_gateway.json': [
    'cloudflare',
    { kind: 'server_error', providerKind: 'server_error', upstreamCode: '7009' },
  ],
  'cloudflare/timeout_invalid_prompt_ai_run.json': [
    'cloudflare',
    { kind: 'timeout', providerKind: 'timeout', phase: 'total' },
  ],

  // --- Ollama: local 404s; Ollama Cloud's session (5 h, epoch-aligned) and weekly (Monday UTC) caps.
  'ollama/cloud_429_session_usage_limit_message_only.json': [
    'ollama-cloud',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      scope: 'account_day',
      window: 'usage_session',
      per: 'account',
      resetAtMs: NEXT_SESSION,
    },
  ],
  'ollama/cloud_429_weekly_usage_limit_message_only.json': [
    'ollama-cloud',
    {
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      scope: 'account_day',
      window: 'usage_week',
      per: 'account',
      resetAtMs: NEXT_MONDAY_UTC,
    },
  ],
  'ollama/native_404_model_not_found.json': [
    'ollama',
    { kind: 'model_not_found', providerKind: 'model_not_found' },
  ],
  'ollama/openai_compat_404_model_not_found.json': [
    'ollama',
    { kind: 'model_not_found', providerKind: 'model_not_found' },
  ],

  // --- llama.cpp.
  'llamacpp/400_exceed_context_size_error.json': [
    'llamacpp',
    { kind: 'context_length', providerKind: 'context_length' },
  ],
  'llamacpp/503_loading_model.json': ['llamacpp', { kind: 'overloaded', providerKind: 'overloaded' }],
  'llamacpp/stream_error_nonstandard_sse_field_legacy.json': [
    'llamacpp',
    { kind: 'context_length', providerKind: 'context_length', status: 200 },
  ],
};

let catalog: ProviderCatalog;
let providers: Map<string, Provider>;

beforeAll(async () => {
  catalog = await loadProviderCatalog();
  providers = new Map(catalog.providers.map((p) => [p.id, p]));
});

function readFixture(file: string): Fixture {
  return JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Fixture;
}

/** The fixture as the transport would meet it: a message-only or SSE body is the raw text. */
function classifyFixture(file: string, providerId: string, nowMs = NOW): ProviderFailure {
  const fx = readFixture(file);
  const provider = providers.get(providerId);
  if (!provider) throw new Error(`no provider ${providerId}`);
  const bodyText = typeof fx.body === 'string' ? fx.body : JSON.stringify(fx.body);
  return classifyProviderError(catalog, provider, fx.status ?? undefined, fx.headers, bodyText, nowMs);
}

/** Classify a hand-written answer from provider `id`. */
function classifyAnswer(
  id: string,
  status: number | undefined,
  headers: Record<string, string>,
  body: string,
  nowMs = NOW,
): ProviderFailure {
  return classifyProviderError(catalog, providers.get(id)!, status, headers, body, nowMs);
}

const GITHUB_429 = '{"error":{"code":"RateLimitReached","message":"Rate limit exceeded"}}';

function allFixtureFiles(): string[] {
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(FIXTURES, d.name)).map((f) => `${d.name}/${f}`))
    .filter((f) => f.endsWith('.json'))
    .sort();
}

describe('every shipped provider fixture is classified', () => {
  it('the table covers all 62 fixtures, and nothing else', () => {
    const files = allFixtureFiles();
    expect(files).toHaveLength(62);
    expect(Object.keys(EXPECTED).sort()).toEqual(files);
  });

  it.each(Object.entries(EXPECTED))('%s', (file, [providerId, expected]) => {
    const failure = classifyFixture(file, providerId);
    expect(failure).toMatchObject({ ...expected, providerId });
    if (expected.resetAtMs === undefined) expect(failure).not.toHaveProperty('resetAtMs');
    if (expected.kind !== 'rate_limit' && expected.window === undefined)
      expect(failure.window).toBeUndefined();
  });
});

describe('reset times on both sides of a boundary', () => {
  it('Gemini per-day: just before midnight Pacific resets at that midnight, just after at the next', () => {
    const file = 'gemini/native_429_per_day_free_tier.json';
    expect(classifyFixture(file, 'gemini', Date.UTC(2026, 11, 1, 7, 59, 59, 999)).resetAtMs).toBe(
      Date.UTC(2026, 11, 1, 8),
    );
    expect(classifyFixture(file, 'gemini', Date.UTC(2026, 11, 1, 8)).resetAtMs).toBe(
      Date.UTC(2026, 11, 2, 8),
    );
  });

  it('Gemini per-day in summer: midnight Pacific is 07:00 UTC (daylight time)', () => {
    const file = 'gemini/native_429_per_day_free_tier.json';
    expect(classifyFixture(file, 'gemini', Date.UTC(2026, 6, 15, 6, 59, 59)).resetAtMs).toBe(
      Date.UTC(2026, 6, 15, 7),
    );
    expect(classifyFixture(file, 'gemini', Date.UTC(2026, 6, 15, 7, 0, 1)).resetAtMs).toBe(
      Date.UTC(2026, 6, 16, 7),
    );
  });

  it('Cloudflare daily neurons: 23:59:59.999 UTC resets a millisecond later, 00:00 the next day', () => {
    const file = 'cloudflare/429_4006_daily_neuron_allocation_message_only.json';
    expect(classifyFixture(file, 'cloudflare', Date.UTC(2026, 10, 30, 23, 59, 59, 999)).resetAtMs).toBe(
      MIDNIGHT_UTC,
    );
    expect(classifyFixture(file, 'cloudflare', MIDNIGHT_UTC).resetAtMs).toBe(Date.UTC(2026, 11, 2));
  });

  it('Ollama Cloud weekly: Sunday night resets on Monday, Monday 00:00 a week later', () => {
    const file = 'ollama/cloud_429_weekly_usage_limit_message_only.json';
    expect(classifyFixture(file, 'ollama-cloud', Date.UTC(2026, 11, 6, 23, 59)).resetAtMs).toBe(
      NEXT_MONDAY_UTC,
    );
    expect(classifyFixture(file, 'ollama-cloud', NEXT_MONDAY_UTC).resetAtMs).toBe(Date.UTC(2026, 11, 14));
  });
});

describe('Mistral: the headers tell the window the body does not', () => {
  const body = JSON.stringify(readFixture('mistral/429_rate_limited_1300.json').body);
  const classify = (headers: Record<string, string>, nowMs = NOW) =>
    classifyAnswer('mistral', 429, headers, body, nowMs);

  it('remaining-req-minute 0 → the next wall-clock minute', () => {
    const f = classify({ 'x-ratelimit-limit-req-minute': '23', 'x-ratelimit-remaining-req-minute': '0' });
    expect(f).toMatchObject({
      window: 'requests_minute',
      per: 'model',
      resetAtMs: Date.UTC(2026, 10, 30, 7, 16),
    });
  });

  it('remaining-tokens-month 0 → the first of next month, and the key is parked for it', () => {
    const f = classify(
      { 'X-RateLimit-Remaining-Tokens-Month': '0', 'x-ratelimit-remaining-req-minute': '5' },
      Date.UTC(2026, 10, 15, 12),
    );
    expect(f).toMatchObject({
      window: 'tokens_month',
      per: 'model',
      scope: 'model',
      resetAtMs: Date.UTC(2026, 11, 1),
    });
  });

  it('remaining-req-minute 10 (not 0) does not count as spent', () => {
    expect(classify({ 'x-ratelimit-remaining-req-minute': '10' }).window).toBe('requests_unknown');
  });
});

describe('GitHub Models: x-ratelimit-type and retry-after', () => {
  it('UserConcurrentRequests with retry-after 0 is an account concurrency limit, clear at once', () => {
    const f = classifyAnswer(
      'github-models',
      429,
      { 'x-ratelimit-type': 'UserConcurrentRequests', 'retry-after': '0' },
      GITHUB_429,
    );
    expect(f).toMatchObject({
      window: 'concurrency',
      per: 'account',
      scope: 'account_minute',
      resetAtMs: NOW,
    });
  });

  it('UserByMinute uses x-ratelimit-timeremaining when there is no retry-after', () => {
    const f = classifyAnswer(
      'github-models',
      429,
      { 'x-ratelimit-type': 'UserByMinute', 'x-ratelimit-timeremaining': '55' },
      GITHUB_429,
    );
    expect(f).toMatchObject({ window: 'requests_minute', per: 'account', resetAtMs: NOW + 55_000 });
  });
});

describe('errors inside a 200 are judged by the status their body states', () => {
  it("Groq's in-stream error event with status_code 400", () => {
    const chunk = JSON.stringify({
      error: { message: 'tool call validation failed', type: 'invalid_request_error', status_code: 400 },
    });
    expect(classifyAnswer('groq', 200, {}, `event: error\ndata: ${chunk}\n\n`)).toMatchObject({
      status: 200,
      kind: 'request_error',
      providerKind: 'request_error',
    });
  });

  it('a 429 code in a 200 body is a rate limit; without one, an unknown 200 error is a server error', () => {
    const limited = JSON.stringify({ error: { code: 429, message: 'Rate limit reached' } });
    expect(classifyAnswer('groq', 200, {}, limited)).toMatchObject({
      kind: 'rate_limit',
      window: 'requests_unknown',
    });
    const odd = JSON.stringify({ error: { message: 'generation failed' } });
    expect(classifyAnswer('groq', 200, {}, odd)).toMatchObject({ kind: 'server_error', status: 200 });
  });
});

describe('OpenRouter through the catalog', () => {
  it('free-models-per-day is the account, reset at 00:00 UTC even with a stale header', () => {
    const body = JSON.stringify({
      error: {
        code: 429,
        message:
          'Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day',
        metadata: { headers: { 'X-RateLimit-Limit': '50', 'X-RateLimit-Remaining': '0' } },
      },
    });
    const f = classifyAnswer('openrouter', 429, {}, body);
    expect(f).toMatchObject({
      kind: 'rate_limit',
      scope: 'account_day',
      window: 'requests_day',
      resetAtMs: MIDNIGHT_UTC,
    });
  });

  it('an unknown provider answer with no rule and no status is a server error', () => {
    const f = classifyAnswer('openrouter', undefined, {}, 'something odd');
    expect(f).toMatchObject({ kind: 'server_error', providerKind: 'server_error', message: 'something odd' });
  });
});
