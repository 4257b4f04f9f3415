/**
 * The request loop with pooled providers, against a scripted in-process transport that answers
 * with real provider bodies (test/fixtures/providers) and calls the hooks the real transport
 * calls (classification, response headers, usage). What goes upstream and what the client gets.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../test/repo-fixtures.js';
import type { ChatCompletionChunk } from '../chat/chat-types.js';
import { ManualClock } from '../engine/clock.js';
import { seededRandom } from '../engine/random.js';
import { RateLimitError } from '../errors.js';
import { loadProviderCatalogSync } from '../providers/provider-catalog-file.js';
import type { ProviderCatalog } from '../providers/provider-catalog-schema.js';
import type { ChatTransport, TransportRequest } from '../upstream/chat-transport.js';
import { UpstreamFailure } from '../upstream/chat-transport.js';
import { classifyHttpError, type HeaderMap } from '../upstream/classify.js';
import { createRotor } from './create-rotor.js';
import type { RotorOptionsInput } from './rotor-options.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

type Scripted =
  | { status: number; body: unknown; headers?: HeaderMap }
  | {
      ok: string;
      headers?: HeaderMap;
      usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    };

function fixture(path: string): { status: number; body: unknown; headers: HeaderMap } {
  const f = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'providers', path), 'utf8'));
  return { status: f.status, body: f.body, headers: f.headers };
}

/** Answers per `<upstream id> <model>`, in order; the last one repeats. Records every request. */
class ScriptedTransport implements ChatTransport {
  readonly sent: TransportRequest[] = [];
  constructor(
    private readonly script: Record<string, Scripted[]>,
    private readonly now: () => number,
  ) {}

  async openStream(req: TransportRequest): Promise<AsyncIterable<ChatCompletionChunk>> {
    this.sent.push(req);
    const key = `${req.upstream.id} ${req.model}`;
    const queue = this.script[key] ?? [{ ok: `hello from ${key}` }];
    const answer = queue.length > 1 ? queue.shift()! : queue[0]!;
    req.onResponse?.('ok' in answer ? 200 : answer.status, answer.headers ?? {});
    if (!('ok' in answer)) {
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      const classify = req.classifyError ?? classifyHttpError;
      throw new UpstreamFailure(classify(answer.status, answer.headers ?? {}, text, this.now()));
    }
    const base = { id: 'c1', object: 'chat.completion.chunk' as const, created: 1, model: req.model };
    const chunks: ChatCompletionChunk[] = [
      {
        ...base,
        choices: [{ index: 0, delta: { role: 'assistant', content: answer.ok }, finish_reason: null }],
      },
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    ];
    return (async function* () {
      yield* chunks;
      if (answer.usage) req.onUsage?.(answer.usage);
    })();
  }
}

const UPSTREAMS = [
  { id: 'cerebras', baseUrl: 'https://cerebras.test/v1', apiKey: 'k', provider: 'cerebras' },
  { id: 'groq', baseUrl: 'https://groq.test/v1', apiKey: 'k', provider: 'groq' },
  { id: 'mistral', baseUrl: 'https://mistral.test/v1', apiKey: 'k', provider: 'mistral' },
  { id: 'sambanova', baseUrl: 'https://sambanova.test/v1', apiKey: 'k', provider: 'sambanova' },
];

function setup(
  script: Record<string, Scripted[]>,
  rotation: string[],
  opts: { catalog?: ProviderCatalog; options?: Partial<RotorOptionsInput> } = {},
) {
  const clock = new ManualClock(NOW);
  const transport = new ScriptedTransport(script, () => clock.now());
  const rotor = createRotor(
    {
      upstreams: UPSTREAMS,
      models: rotation.map((id) => ({ id, upstream: id.split(':')[0]! })),
      rotation,
      sameModelRetryDelayMs: 0,
      engine: { retry: { jitter: false } },
      ...opts.options,
    },
    { clock, random: seededRandom(1), transport, ...(opts.catalog ? { providerCatalog: opts.catalog } : {}) },
  );
  return { clock, rotor, transport };
}

const hello = { model: 'auto', messages: [{ role: 'user', content: 'hello' }] };

describe('what goes upstream', () => {
  it("a pair goes to its provider under the provider's own id, with the provider's parameter rules", async () => {
    const { rotor, transport } = setup({}, ['mistral:mistral-small-latest', 'groq:llama-3.1-8b-instant']);
    await rotor.chat({ ...hello, max_completion_tokens: 100, n: 1 });
    const sent = transport.sent[0]!;
    expect(sent.upstream.id).toBe('mistral');
    expect(sent.model).toBe('mistral-small-latest');
    // Mistral: 422 on stream_options and max_completion_tokens, n: 1 dropped.
    expect(sent.includeUsage).toBe(false);
    expect(sent.body).toMatchObject({ max_tokens: 100 });
    expect(sent.body).not.toHaveProperty('max_completion_tokens');
    expect(sent.body).not.toHaveProperty('n');

    await rotor.chat({ ...hello, model: 'groq:llama-3.1-8b-instant', logprobs: true });
    const groq = transport.sent[1]!;
    expect(groq).toMatchObject({ model: 'llama-3.1-8b-instant', includeUsage: true });
    expect(groq.body).not.toHaveProperty('logprobs');
  });

  it('a parameter the provider rejects is stripped and the same provider asked once more, then never sent there again', async () => {
    const catalog = loadProviderCatalogSync();
    // Mistral without its parameter rules, and without its 1 request/s (the clock stands still here).
    const noRules: ProviderCatalog = {
      ...catalog,
      providers: catalog.providers.map((p) => (p.id === 'mistral' ? { ...p, params: [], limits: [] } : p)),
    };
    const model = 'mistral:mistral-small-latest';
    const { rotor, transport } = setup(
      {
        'mistral mistral-small-latest': [
          fixture('mistral/422_extra_forbidden_stream_options.json'),
          { ok: 'fine' },
        ],
      },
      [model, 'groq:llama-3.1-8b-instant'],
      { catalog: noRules },
    );
    const answer = await rotor.chat(hello);
    expect(answer.rotor.attempts.map((a) => [a.model, a.outcome])).toEqual([
      [model, 'unsupported'],
      [model, 'success'],
    ]);
    expect(transport.sent.map((r) => r.includeUsage)).toEqual([true, false]);
    await rotor.chat(hello);
    expect(transport.sent[2]).toMatchObject({ model: 'mistral-small-latest', includeUsage: false });
  });
});

describe('families', () => {
  it('a family is served by any pooled provider hosting it, configured in the rotation or not', async () => {
    const { rotor, transport } = setup(
      { 'groq llama-3.3-70b-versatile': [fixture('groq/404_model_not_found.json')] },
      ['groq:llama-3.1-8b-instant'],
    );
    const answer = await rotor.chat({ ...hello, model: 'llama-3.3-70b' });
    expect(transport.sent.map((r) => [r.upstream.id, r.model])).toEqual([
      ['groq', 'llama-3.3-70b-versatile'],
      ['cerebras', 'llama-3.3-70b'],
    ]);
    expect(answer.rotor.attempts.map((a) => [a.model, a.outcome])).toEqual([
      ['groq:llama-3.3-70b-versatile', 'model_not_found'],
      ['cerebras:llama-3.3-70b', 'success'],
    ]);
  });
});

describe('failover between providers', () => {
  it("an overloaded provider (Cerebras queue_exceeded) is not the account's fault: the next provider answers at once", async () => {
    const { rotor } = setup(
      { 'cerebras gpt-oss-120b': [fixture('cerebras/429_queue_exceeded_high_traffic.json')] },
      ['cerebras:gpt-oss-120b', 'groq:openai/gpt-oss-120b'],
    );
    const answer = await rotor.chat(hello);
    expect(answer.rotor.attempts.map((a) => a.outcome)).toEqual(['overloaded', 'success']);
    expect(answer.rotor.waitedMs).toBe(0);
    const cerebras = rotor.engine.metrics().models.find((m) => m.model === 'cerebras:gpt-oss-120b')!;
    expect(cerebras).toMatchObject({ cooldownReason: 'overloaded', consecutiveFailures: 0 });
    // Cerebras' account is not blocked: its other models stay available.
    expect(rotor.engine.unavailability('cerebras:llama-3.3-70b')).toBeUndefined();
  });

  it("a provider account's spent day (SambaNova's 200K tokens/day) blocks that provider only, and is not asked again", async () => {
    const { rotor, transport } = setup(
      {
        'sambanova Meta-Llama-3.3-70B-Instruct': [
          fixture('sambanova/429_tpd_dev_account_served_free_caps_message_only.json'),
        ],
      },
      [
        'sambanova:Meta-Llama-3.3-70B-Instruct',
        'sambanova:Meta-Llama-3.1-8B-Instruct',
        'groq:llama-3.3-70b-versatile',
      ],
    );
    const first = await rotor.chat(hello);
    expect(first.rotor.attempts.map((a) => [a.model, a.outcome])).toEqual([
      ['sambanova:Meta-Llama-3.3-70B-Instruct', 'rate_limit:account_day'],
      ['groq:llama-3.3-70b-versatile', 'success'],
    ]);
    await rotor.chat(hello);
    expect(transport.sent.map((r) => r.upstream.id)).toEqual(['sambanova', 'groq', 'groq']);
    // A rolling 86,400 s window with no hint: blocked for the whole period.
    expect(rotor.engine.unavailability('sambanova:Meta-Llama-3.1-8B-Instruct')).toMatchObject({
      reason: 'account_blocked',
      untilMs: NOW + 86_400_000,
    });
  });

  it("a model's spent day (Groq RPD) parks that pair until the wait the provider names, not its siblings", async () => {
    const { rotor } = setup(
      { 'groq llama-3.3-70b-versatile': [fixture('groq/429_rpd_requests_per_day_message_only.json')] },
      ['groq:llama-3.3-70b-versatile', 'groq:llama-3.1-8b-instant'],
    );
    const answer = await rotor.chat(hello);
    expect(answer.rotor.attempts.map((a) => a.outcome)).toEqual(['rate_limit:model', 'success']);
    // "Please try again in 5m45.6s" on a continuously refilling window.
    expect(rotor.engine.unavailability('groq:llama-3.3-70b-versatile')).toMatchObject({
      untilMs: NOW + 345_600,
    });
  });

  it('a request larger than a whole budget (Groq 413 TPM) is not retried there, and the next one that large skips it', async () => {
    const { rotor, transport } = setup(
      { 'groq llama-3.3-70b-versatile': [fixture('groq/413_request_too_large_tpm.json'), { ok: 'fine' }] },
      ['groq:llama-3.3-70b-versatile', 'cerebras:llama-3.3-70b'],
    );
    // max_tokens set: Cerebras would otherwise reserve 16,384 output tokens for each (its default),
    // and two such requests would not fit its token minute.
    const big = { ...hello, max_tokens: 100, messages: [{ role: 'user', content: 'word '.repeat(8000) }] };
    const first = await rotor.chat(big);
    expect(first.rotor.attempts.map((a) => [a.model, a.outcome])).toEqual([
      ['groq:llama-3.3-70b-versatile', 'context_length'],
      ['cerebras:llama-3.3-70b', 'success'],
    ]);
    await rotor.chat(big);
    expect(transport.sent.map((r) => r.upstream.id)).toEqual(['groq', 'cerebras', 'cerebras']);
    // A small request still goes to Groq.
    await rotor.chat(hello);
    expect(transport.sent.at(-1)!.upstream.id).toBe('groq');
  });

  it('every provider spent: 429 quota_exhausted, Retry-After = the earliest reset across providers', async () => {
    const { rotor } = setup(
      {
        'sambanova Meta-Llama-3.3-70B-Instruct': [
          fixture('sambanova/429_tpd_dev_account_served_free_caps_message_only.json'),
        ],
        'cerebras gpt-oss-120b': [
          {
            status: 429,
            body: {
              message: 'Tokens per day limit exceeded - too many tokens processed.',
              type: 'too_many_tokens_error',
              param: 'quota',
              code: 'token_quota_exceeded',
            },
            headers: { 'retry-after': '3600' },
          },
        ],
      },
      ['sambanova:Meta-Llama-3.3-70B-Instruct', 'cerebras:gpt-oss-120b'],
    );
    const err = await rotor.chat(hello).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    const e = err as RateLimitError;
    expect(e.code).toBe('quota_exhausted');
    // SambaNova: a rolling day (86,400 s); Cerebras' model day: its Retry-After of an hour.
    expect(e.retryAfterMs).toBe(3_600_000);
    expect(e.attempts.map((a) => a.outcome)).toEqual(['rate_limit:account_day', 'rate_limit:model']);
  });
});

describe('what answers teach', () => {
  it("quota headers on a 200 (Groq's) and the answer's usage reach the engine", async () => {
    const { rotor } = setup(
      {
        'groq llama-3.1-8b-instant': [
          {
            ok: 'hi',
            headers: {
              'x-ratelimit-limit-requests': '14400',
              'x-ratelimit-remaining-requests': '14370',
              'x-ratelimit-reset-requests': '3m',
              'x-ratelimit-limit-tokens': '6000',
              'x-ratelimit-remaining-tokens': '5000',
              'x-ratelimit-reset-tokens': '10s',
            },
            usage: { prompt_tokens: 1000, completion_tokens: 234, total_tokens: 1234 },
          },
        ],
      },
      ['groq:llama-3.1-8b-instant'],
    );
    await rotor.chat(hello);
    const quotas = rotor.engine
      .metrics()
      .system.quotas.filter((q) => q.model === 'groq:llama-3.1-8b-instant');
    expect(quotas).toContainEqual(
      expect.objectContaining({ window: 'requests_day', limit: 14_400, used: 30, rule: 'continuous' }),
    );
    expect(quotas).toContainEqual(
      expect.objectContaining({ window: 'tokens_minute', limit: 6000, used: 1000 }),
    );
    // No header speaks of the day's tokens: the answer's usage replaces the estimate there.
    expect(quotas).toContainEqual(
      expect.objectContaining({ window: 'tokens_day', limit: 500_000, used: 1234 }),
    );
  });
});
