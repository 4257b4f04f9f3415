/**
 * Every error kind the provider simulator emits is classified by rotor exactly as the real capture
 * of that kind (test/fixtures/providers/): same engine kind, provider kind, window, holder and
 * parameters. Where the simulator reproduces a capture word for word, the bodies are compared too.
 */
import { describe, expect, it } from 'vitest';
import {
  classifyFixture,
  classifyResponse,
  loadProviderFixture,
  meaningOf,
  providerWorld,
} from '../../../test/fixtures-sim/provider-helpers.js';
import { structureOf } from '../../../test/fixtures-sim/sim-helpers.js';
import { ManualClock } from '../../engine/clock.js';
import type { FaultInput } from '../scenario-schema.js';
import type { SimResponse } from './provider-dialect.js';
import type { SimProviderInput } from './provider-scenario.js';

/** 2026-11-30 12:00:10 UTC. */
const NOW = Date.UTC(2026, 10, 30, 12, 0, 10);

interface Case {
  /** The provider that answers. */
  provider: string;
  /** Its configuration (limits shrunk so one request spends them). */
  config?: SimProviderInput;
  faults?: FaultInput[];
  /** Requests sent first, at the same instant; the last answer is the one compared. */
  requests: Array<Record<string, unknown>>;
  key?: string;
  /** The real capture of the same kind. */
  fixture: string;
  /** Compare the bodies word for word (`true`), or with this change to the capture. */
  sameBody?: true | ((fixtureBody: unknown) => unknown);
  /** The capture's envelope is not the provider's usual one (a client printed the inner object). */
  ownEnvelope?: true;
}

const hi = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'Say hello.' }],
  ...extra,
});
const twice = (body: Record<string, unknown>) => [body, body];
const big = (model: string, chars: number) =>
  hi(model, { messages: [{ role: 'user', content: 'x'.repeat(chars) }] });

const CASES: Record<string, Case> = {
  // --- Groq
  'groq requests per minute': {
    provider: 'groq',
    config: { limits: { requests_minute: 1 } },
    requests: twice(hi('llama-3.3-70b-versatile')),
    fixture: 'groq/429_rpm_requests_per_minute.json',
  },
  'groq requests per day': {
    provider: 'groq',
    config: { limits: { requests_day: 1 } },
    requests: twice(hi('llama-3.3-70b-versatile')),
    fixture: 'groq/429_rpd_requests_per_day_message_only.json',
  },
  'groq tokens per minute': {
    provider: 'groq',
    config: { limits: { tokens_minute: 20 } },
    requests: twice(hi('llama-3.1-8b-instant')),
    fixture: 'groq/429_tpm_tokens_per_minute_2024.json',
  },
  'groq tokens per day': {
    provider: 'groq',
    config: { limits: { tokens_day: 20 } },
    requests: twice(hi('openai/gpt-oss-120b')),
    fixture: 'groq/429_tpd_gpt_oss_120b_raw.json',
  },
  'groq request larger than the TPM budget': {
    provider: 'groq',
    requests: [hi('llama-3.1-8b-instant', { max_tokens: 6000 })],
    fixture: 'groq/413_request_too_large_tpm.json',
  },
  'groq max_completion_tokens above the cap': {
    provider: 'groq',
    requests: [hi('llama-3.3-70b-versatile', { max_completion_tokens: 40_000 })],
    fixture: 'groq/400_max_completion_tokens_too_large.json',
    // The capture is the bare inner object; Groq's API wraps every error in {"error": …}.
    ownEnvelope: true,
  },
  'groq context': {
    provider: 'groq',
    config: { models: [{ id: 'llama-3.1-8b-instant', contextLength: 50 }] },
    requests: [big('llama-3.1-8b-instant', 400)],
    fixture: 'groq/400_context_length_exceeded.json',
  },
  'groq unknown model': {
    provider: 'groq',
    requests: [hi('llama-3.1-405b-reasoning')],
    fixture: 'groq/404_model_not_found.json',
  },
  'groq bad key': {
    provider: 'groq',
    key: 'gsk_wrong',
    requests: [hi('llama-3.1-8b-instant')],
    fixture: 'groq/401_invalid_api_key.json',
    sameBody: true,
  },

  // --- Gemini
  'gemini requests per day': {
    provider: 'gemini',
    config: { limits: { requests_day: 1 } },
    requests: twice(hi('gemini-2.5-flash')),
    fixture: 'gemini/native_429_per_day_free_tier.json',
  },
  'gemini input tokens per minute': {
    provider: 'gemini',
    config: { limits: { tokens_minute: 10 } },
    requests: twice(hi('gemini-2.5-flash')),
    fixture: 'gemini/native_429_per_minute_input_tokens.json',
  },
  'gemini no free tier': {
    provider: 'gemini',
    requests: [hi('gemini-2.5-pro')],
    fixture: 'gemini/native_429_no_free_tier_limit0.json',
  },
  'gemini bare 429 on the compat endpoint': {
    provider: 'gemini',
    faults: [{ upstream: 'gemini', kind: 'rate_limited' }],
    requests: [hi('gemini-2.5-flash')],
    fixture: 'gemini/openai_compat_429_array.json',
    sameBody: true,
  },
  'gemini unknown field': {
    provider: 'gemini',
    requests: [hi('gemini-2.5-flash', { google: { thinking_config: {} } })],
    fixture: 'gemini/openai_compat_400_array_unknown_field.json',
    sameBody: true,
  },
  'gemini high demand': {
    provider: 'gemini',
    faults: [{ upstream: 'gemini', kind: 'overloaded' }],
    requests: [hi('gemini-2.5-flash')],
    fixture: 'gemini/stream_wrapper_503_high_demand.json',
  },
  'gemini retired model': {
    provider: 'gemini',
    requests: [hi('gemini-1.5-flash')],
    fixture: 'gemini/native_404_model_not_found.json',
  },
  'gemini context': {
    provider: 'gemini',
    config: { models: [{ id: 'gemini-2.5-flash', contextLength: 50 }] },
    requests: [big('gemini-2.5-flash', 400)],
    fixture: 'gemini/native_400_context_length.json',
  },
  'gemini bad key': {
    provider: 'gemini',
    key: 'AIza-wrong',
    requests: [hi('gemini-2.5-flash')],
    fixture: 'gemini/stream_wrapper_400_api_key_invalid.json',
  },

  // --- Cerebras
  'cerebras requests per minute': {
    provider: 'cerebras',
    config: { limits: { requests_minute: 1 } },
    requests: twice(hi('gpt-oss-120b', { max_completion_tokens: 100 })),
    fixture: 'cerebras/429_rpm_request_quota_exceeded.json',
    sameBody: true,
  },
  'cerebras tokens per day': {
    provider: 'cerebras',
    config: { limits: { tokens_day: 200 } },
    requests: twice(hi('gpt-oss-120b', { max_completion_tokens: 100 })),
    fixture: 'cerebras/429_tpd_tokens_per_day.json',
    sameBody: true,
  },
  'cerebras queue': {
    provider: 'cerebras',
    faults: [{ upstream: 'cerebras', kind: 'overloaded' }],
    requests: [hi('gpt-oss-120b')],
    fixture: 'cerebras/429_queue_exceeded_high_traffic.json',
    sameBody: true,
  },
  'cerebras retired model': {
    provider: 'cerebras',
    requests: [hi('llama-3.3-70b')],
    fixture: 'cerebras/404_model_not_found.json',
    sameBody: true,
  },
  'cerebras context': {
    provider: 'cerebras',
    requests: [big('gpt-oss-120b', 4 * 70_000)],
    fixture: 'cerebras/400_context_length_message_only.json',
  },

  // --- Mistral
  'mistral 1300 (the second request of a second)': {
    provider: 'mistral',
    requests: twice(hi('ministral-3b-2512')),
    fixture: 'mistral/429_rate_limited_1300.json',
    sameBody: (body) => ({ ...(body as object), raw_status_code: 429 }),
  },
  'mistral capacity': {
    provider: 'mistral',
    faults: [{ upstream: 'mistral', kind: 'overloaded' }],
    requests: [hi('mistral-medium-2508')],
    fixture: 'mistral/429_service_tier_capacity_exceeded.json',
    sameBody: true,
  },
  'mistral stream_options': {
    provider: 'mistral',
    requests: [hi('mistral-medium-2508', { stream: true, stream_options: { include_usage: true } })],
    fixture: 'mistral/422_extra_forbidden_stream_options.json',
    sameBody: true,
  },
  'mistral max_completion_tokens': {
    provider: 'mistral',
    requests: [hi('mistral-medium-2508', { max_completion_tokens: 32_000 })],
    fixture: 'mistral/422_extra_forbidden_max_completion_tokens.json',
    sameBody: true,
  },
  'mistral tool-call id': {
    provider: 'mistral',
    requests: [
      {
        model: 'mistral-medium-2508',
        messages: [
          { role: 'user', content: 'Weather?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'turn1_0', type: 'function', function: { name: 'w', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'turn1_0', content: 'sunny' },
        ],
      },
    ],
    fixture: 'mistral/400_tool_call_id_format_3280.json',
    sameBody: true,
  },
  'mistral message order': {
    provider: 'mistral',
    requests: [
      {
        model: 'mistral-medium-2508',
        messages: [
          { role: 'user', content: 'Weather?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'abcDEF123', type: 'function', function: { name: 'w', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'abcDEF123', content: 'sunny' },
          { role: 'user', content: 'Thanks' },
        ],
      },
    ],
    fixture: 'mistral/400_message_order_3230.json',
    sameBody: true,
  },
  'mistral bad key': {
    provider: 'mistral',
    key: 'wrong',
    requests: [hi('mistral-medium-2508')],
    fixture: 'mistral/401_unauthorized_request_id.json',
  },

  // --- GitHub Models
  'github per-model day': {
    provider: 'github-models',
    config: { limits: { requests_day: 1 } },
    requests: twice(hi('openai/gpt-4.1-mini')),
    fixture: 'github-models/429_user_by_model_by_day.json',
  },
  'github input over the tier cap': {
    provider: 'github-models',
    requests: [big('openai/gpt-4.1-mini', 4 * 8100)],
    fixture: 'github-models/413_tokens_limit_reached.json',
  },
  'github unknown model': {
    provider: 'github-models',
    requests: [hi('deepseek/deepseek-v3')],
    fixture: 'github-models/4xx_unknown_model.json',
    sameBody: true,
  },

  // --- NVIDIA
  'nvidia 429': {
    provider: 'nvidia',
    config: { limits: { requests_minute: 1 } },
    requests: twice(hi('meta/llama-3.3-70b-instruct')),
    fixture: 'nvidia/429_too_many_requests_problem_details.json',
    sameBody: true,
  },
  'nvidia auto tool choice': {
    provider: 'nvidia',
    requests: [
      hi('mistralai/mixtral-8x22b-instruct-v0.1', {
        tools: [{ type: 'function', function: { name: 'w', parameters: { type: 'object' } } }],
        tool_choice: 'auto',
      }),
    ],
    fixture: 'nvidia/400_tool_choice_auto_unsupported.json',
    sameBody: true,
  },
  'nvidia listed but not for this account': {
    provider: 'nvidia',
    requests: [hi('deepseek-ai/deepseek-v4-pro')],
    fixture: 'nvidia/404_function_not_found_for_account.json',
  },
  'nvidia context': {
    provider: 'nvidia',
    config: { models: [{ id: 'openai/gpt-oss-120b', contextLength: 50 }] },
    requests: [big('openai/gpt-oss-120b', 400)],
    fixture: 'nvidia/400_context_length_vllm.json',
  },

  // --- SambaNova
  'sambanova tokens per day': {
    provider: 'sambanova',
    config: { limits: { tokens_day: 20 } },
    requests: twice(hi('Meta-Llama-3.3-70B-Instruct')),
    fixture: 'sambanova/429_tpd_free_tier_message_only.json',
  },

  // --- Cloudflare
  'cloudflare daily neurons': {
    provider: 'cloudflare',
    config: { limits: { neurons_day: 1 } },
    requests: twice(hi('@cf/meta/llama-3.1-8b-instruct')),
    fixture: 'cloudflare/429_4006_daily_neuron_allocation_message_only.json',
  },
  'cloudflare content parts': {
    provider: 'cloudflare',
    requests: [
      {
        model: '@cf/meta/llama-3.1-8b-instruct',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      },
    ],
    fixture: 'cloudflare/400_bad_input_oneof_schema_mismatch.json',
  },
  'cloudflare upstream unavailable': {
    provider: 'cloudflare',
    faults: [{ upstream: 'cloudflare', kind: 'server_error', status: 502 }],
    requests: [hi('@cf/meta/llama-3.1-8b-instruct')],
    fixture: 'cloudflare/7009_upstream_service_unavailable_ai_gateway.json',
    sameBody: true,
  },

  // --- Ollama Cloud and local servers
  'ollama cloud session': {
    provider: 'ollama-cloud',
    config: { limits: { usage_session: 20 } },
    requests: twice(hi('gpt-oss:120b')),
    fixture: 'ollama/cloud_429_session_usage_limit_message_only.json',
  },
  'ollama cloud week': {
    provider: 'ollama-cloud',
    config: { limits: { usage_week: 20 } },
    requests: twice(hi('gpt-oss:120b')),
    fixture: 'ollama/cloud_429_weekly_usage_limit_message_only.json',
  },
  'ollama model not pulled': {
    provider: 'ollama',
    requests: [hi('ollama')],
    fixture: 'ollama/openai_compat_404_model_not_found.json',
    sameBody: true,
  },
  'llama.cpp context': {
    provider: 'llamacpp',
    requests: [big('gpt-oss-20b', 4 * 9000)],
    fixture: 'llamacpp/400_exceed_context_size_error.json',
  },
  'llama.cpp loading': {
    provider: 'llamacpp',
    faults: [{ upstream: 'llamacpp', kind: 'overloaded' }],
    requests: [hi('gpt-oss-20b')],
    fixture: 'llamacpp/503_loading_model.json',
    sameBody: true,
  },
};

function lastAnswer(c: Case): SimResponse {
  const clock = new ManualClock(NOW);
  const world = providerWorld(
    clock,
    { [c.provider]: { ...(c.config ?? {}), enabled: true } },
    c.faults ?? [],
  );
  let last: SimResponse | undefined;
  for (const body of c.requests) {
    const answer = world.decideChat(
      { providerId: c.provider, key: c.key ?? 'sim-key', bodyText: JSON.stringify(body) },
      clock.now(),
    );
    if (answer.kind === 'ok') answer.release();
    last = answer.kind === 'error' ? answer.response : undefined;
  }
  if (!last) throw new Error('the last request was not refused');
  return last;
}

describe('the simulator’s error bodies mean what the real captures mean', () => {
  it.each(Object.entries(CASES))('%s', (_name, c) => {
    const answer = lastAnswer(c);
    const fixture = loadProviderFixture(c.fixture);
    if (fixture.status !== null) expect(answer.status).toBe(fixture.status);
    expect(meaningOf(classifyResponse(c.provider, answer, NOW))).toEqual(
      meaningOf(classifyFixture(c.provider, c.fixture, NOW)),
    );
    if (c.sameBody === true) expect(answer.body).toEqual(fixture.body);
    else if (c.sameBody) expect(answer.body).toEqual(c.sameBody(fixture.body));
    else if (!c.ownEnvelope && typeof fixture.body === 'object' && fixture.body !== null) {
      // Same envelope even where the words carry the simulator's own numbers. Gemini's OpenAI
      // endpoint wraps the native body (most captures are of the native one) in an array.
      const body = Array.isArray(answer.body) && !Array.isArray(fixture.body) ? answer.body[0] : answer.body;
      expect(Object.keys(body as object)).toEqual(expect.arrayContaining(Object.keys(fixture.body)));
    }
  });

  it('writes the words of the message-only captures around its own numbers', () => {
    const text = (c: Case) => JSON.stringify(lastAnswer(c).body);
    expect(text(CASES['groq requests per day']!)).toContain(
      'Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_01simulatedorg000000000000` service tier `on_demand` on requests per day (RPD): Limit 1, Used 1, Requested 1. Please try again in 24h0m0s. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing',
    );
    expect(text(CASES['cloudflare daily neurons']!)).toContain(
      "4006: you have used up your daily free allocation of 1 neurons, please upgrade to Cloudflare's Workers Paid plan if you would like to continue usage.",
    );
    expect(text(CASES['ollama cloud session']!)).toContain(
      'you (simuser) have reached your session usage limit, upgrade for higher limits: https://ollama.com/upgrade',
    );
    // 'Say hello.' is 3 tokens + 4 of framing, and the answer 8: 15 used of 20, 15 more requested.
    expect(text(CASES['sambanova tokens per day']!)).toContain(
      'Request would exceed rate limit\\nViolated duration_s: 86400, current usage: 15, limit: 20',
    );
    expect(structureOf(lastAnswer(CASES['groq request larger than the TPM budget']!).body)).toEqual(
      structureOf(loadProviderFixture('groq/413_request_too_large_tpm.json').body),
    );
  });
});
