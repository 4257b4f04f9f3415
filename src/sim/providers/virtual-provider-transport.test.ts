import { afterEach, describe, expect, it } from 'vitest';
import { ask, chatStream } from '../../../test/fixtures-sim/sim-helpers.js';
import type { ChatCompletionChunk } from '../../chat/chat-types.js';
import { ManualClock } from '../../engine/clock.js';
import type { ProviderFailure } from '../../providers/classify-provider-error.js';
import { parseQuotaHeaders } from '../../providers/quota-headers.js';
import { type TransportRequest, UpstreamFailure } from '../../upstream/chat-transport.js';
import { type Simulator, startSimulator } from '../simulator.js';
import { VirtualTransport } from '../virtual-transport.js';
import { shippedProviderCatalog } from './provider-world.js';
import {
  VIRTUAL_PROVIDER_ORIGIN,
  type VirtualProviderResponse,
  VirtualProviderTransport,
  type VirtualProviderTransportOptions,
} from './virtual-provider-transport.js';

const T = Date.UTC(2026, 10, 30, 12);
const timeouts = { connectMs: 1000, firstTokenMs: 30_000, idleMs: 30_000, totalMs: 120_000 };

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function setup(options: Partial<VirtualProviderTransportOptions> = {}, startMs = T) {
  const clock = new ManualClock(startMs);
  const responses: VirtualProviderResponse[] = [];
  const transport = new VirtualProviderTransport({
    clock,
    providers: ['groq', 'gemini', 'cerebras', 'mistral'],
    completionTokens: 8,
    onResponse: (r) => responses.push(r),
    ...options,
  });
  return { clock, transport, responses };
}

function request(
  transport: VirtualProviderTransport,
  providerId: string,
  model: string,
  body = {},
): TransportRequest {
  return {
    upstream: { id: providerId, baseUrl: transport.baseUrl(providerId), apiKey: 'sk-sim' },
    model,
    body: { messages: [{ role: 'user', content: 'Say hello.' }], ...body },
    timeouts,
  };
}

type Outcome = { chunks: ChatCompletionChunk[] } | { failure: ProviderFailure };

/** One attempt run to its end, skipping virtual time whenever only sleeps are pending. */
async function attempt(
  clock: ManualClock,
  transport: VirtualProviderTransport,
  req: TransportRequest,
): Promise<Outcome> {
  const done = (async () => {
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of await transport.openStream(req)) chunks.push(chunk);
    return { chunks };
  })().catch((err: unknown) => {
    if (err instanceof UpstreamFailure) return { failure: err.failure as ProviderFailure };
    throw err;
  });
  let settled = false;
  void done.finally(() => {
    settled = true;
  });
  while (!settled) if (!(await clock.runNext())) await new Promise((r) => setImmediate(r));
  return done;
}

describe('VirtualProviderTransport', () => {
  it('streams a provider’s answer in virtual time and reports the headers it came with', async () => {
    const { clock, transport, responses } = setup();
    expect(transport.baseUrl('groq')).toBe(`${VIRTUAL_PROVIDER_ORIGIN}/groq/openai/v1`);
    const result = await attempt(clock, transport, request(transport, 'groq', 'llama-3.1-8b-instant'));
    if (!('chunks' in result)) throw new Error('expected an answer');
    expect(
      result.chunks.map((c) => (c.choices.length === 0 ? 'usage' : (c.choices[0]!.finish_reason ?? 'delta'))),
    ).toEqual([
      ...Array(9).fill('delta'), // the role-only chunk and 8 tokens
      'stop',
      'usage',
    ]);
    // 150 ms to the first token, then 7 more tokens at 750 a second.
    expect(clock.now() - T).toBe(150 + Math.round((7 * 1000) / 750));
    expect(responses).toHaveLength(1);
    const groq = shippedProviderCatalog().providers.find((p) => p.id === 'groq')!;
    expect(parseQuotaHeaders(groq, responses[0]!.headers, T)).toEqual([
      { window: 'requests_day', limit: 14_400, remaining: 14_399, resetAtMs: T + 6000 },
      { window: 'tokens_minute', limit: 6000, remaining: 5985, resetAtMs: T + 150 },
    ]);
  });

  it('fails a spent Gemini day with the provider’s failure: reset at midnight Pacific, after the refusal’s latency', async () => {
    const { clock, transport, responses } = setup({
      providers: { gemini: { limits: { requests_day: 2 } } },
    });
    for (let i = 0; i < 2; i++)
      expect(
        'chunks' in (await attempt(clock, transport, request(transport, 'gemini', 'gemini-2.5-flash'))),
      ).toBe(true);
    const before = clock.now();
    const result = await attempt(clock, transport, request(transport, 'gemini', 'gemini-2.5-flash'));
    expect('failure' in result && result.failure).toMatchObject({
      kind: 'rate_limit',
      providerKind: 'rate_limit',
      providerId: 'gemini',
      window: 'requests_day',
      per: 'model',
      resetAtMs: Date.UTC(2026, 11, 1, 8), // midnight in Los Angeles
    });
    expect(clock.now() - before).toBe(60); // a quota refusal at the edge
    expect(responses.at(-1)).toMatchObject({ providerId: 'gemini', status: 429 });
    expect(transport.attempts().map((a) => [a.provider, a.outcome, a.window])).toEqual([
      ['gemini', 'ok', undefined],
      ['gemini', 'ok', undefined],
      ['gemini', 'rate_limit', 'requests_day'],
    ]);
  });

  it('sends the body as UpstreamClient does — so Mistral refuses stream_options — unless told otherwise', async () => {
    const { clock, transport } = setup();
    const refused = await attempt(clock, transport, request(transport, 'mistral', 'mistral-small-2506'));
    expect('failure' in refused && refused.failure).toMatchObject({
      providerKind: 'bad_param',
      params: ['stream_options'],
    });
    const fixed = setup({
      prepareBody: (req) => ({ ...req.body, model: req.model, stream: true }),
    });
    const ok = await attempt(
      fixed.clock,
      fixed.transport,
      request(fixed.transport, 'mistral', 'mistral-small-2506'),
    );
    if (!('chunks' in ok)) throw new Error('expected an answer');
    expect(ok.chunks.at(-1)!.usage).toEqual({ prompt_tokens: 7, completion_tokens: 8, total_tokens: 15 });
  });

  it('calls the request’s own hooks as UpstreamClient does: headers, usage, its classifier, includeUsage', async () => {
    const { clock, transport } = setup({ providers: { groq: { limits: { requests_day: 1 } }, mistral: {} } });
    const seen: Array<[string, unknown]> = [];
    const hooked = (r: TransportRequest): TransportRequest => ({
      ...r,
      onResponse: (status, headers) =>
        seen.push(['response', [status, headers['x-ratelimit-limit-requests']]]),
      onUsage: (usage) => seen.push(['usage', usage.total_tokens]),
      classifyError: (status) => ({ kind: 'server_error', status, message: 'classified by the caller' }),
    });
    const ok = await attempt(clock, transport, hooked(request(transport, 'groq', 'openai/gpt-oss-20b')));
    expect('chunks' in ok).toBe(true);
    const refused = await attempt(clock, transport, hooked(request(transport, 'groq', 'openai/gpt-oss-20b')));
    expect('failure' in refused && refused.failure).toEqual({
      kind: 'server_error',
      status: 429,
      message: 'classified by the caller',
    });
    // "Say hello." is 7 prompt tokens; 8 completion tokens.
    expect(seen).toEqual([
      ['response', [200, '1']],
      ['usage', 15],
      ['response', [429, '1']],
    ]);
    // includeUsage: false sends no stream_options, so Mistral answers (without usage).
    const mistral = await attempt(clock, transport, {
      ...request(transport, 'mistral', 'mistral-small-2506'),
      includeUsage: false,
    });
    expect('chunks' in mistral).toBe(true);
  });

  it('plays connection and stream faults as UpstreamClient would meet them', async () => {
    const { clock, transport } = setup({
      faults: [
        { upstream: 'groq', model: 'openai/gpt-oss-20b', kind: 'connection_reset', maxHits: 1 },
        { upstream: 'groq', model: 'openai/gpt-oss-20b', kind: 'no_response', maxHits: 1 },
        { upstream: 'groq', model: 'openai/gpt-oss-20b', kind: 'stream_stall', afterChunks: 2, maxHits: 1 },
        {
          upstream: 'groq',
          model: 'openai/gpt-oss-20b',
          kind: 'midstream_error',
          afterChunks: 2,
          message: 'boom',
          maxHits: 1,
        },
      ],
    });
    const run = () => attempt(clock, transport, request(transport, 'groq', 'openai/gpt-oss-20b'));
    const failureOf = (o: Outcome) => ('failure' in o ? o.failure : undefined);
    expect(failureOf(await run())).toMatchObject({ kind: 'network' });
    let before = clock.now();
    expect(failureOf(await run())).toMatchObject({ kind: 'timeout', phase: 'first_token' });
    expect(clock.now() - before).toBe(timeouts.firstTokenMs);
    before = clock.now();
    const stalled = await run();
    expect(failureOf(stalled)).toMatchObject({ kind: 'timeout', phase: 'idle' });
    // 180 ms to the first token, 7 more at 1,000 a second, then the idle limit.
    expect(clock.now() - before).toBe(180 + 7 + timeouts.idleMs);
    expect(failureOf(await run())).toMatchObject({
      kind: 'server_error',
      providerKind: 'server_error',
      status: 200,
      message: 'boom',
    });
    expect('chunks' in (await run())).toBe(true);
    expect(transport.attempts().map((a) => a.outcome)).toEqual([
      'connection_reset',
      'no_response',
      'timeout',
      'midstream_error',
      'ok',
    ]);
  });

  it('passes other base URLs to its fallback (OpenRouter in virtual time)', async () => {
    const clock = new ManualClock(T);
    const fallback = new VirtualTransport({
      clock,
      models: [{ id: 'meta-llama/llama-3.3-8b-instruct:free', ttftMs: 100, tokensPerSecond: 100 }],
    });
    const transport = new VirtualProviderTransport({ clock, providers: ['groq'], fallback });
    const result = await attempt(clock, transport, {
      upstream: { id: 'openrouter', baseUrl: 'http://virtual.invalid/api/v1', apiKey: 'sk' },
      model: 'meta-llama/llama-3.3-8b-instruct:free',
      body: { messages: [{ role: 'user', content: 'hi' }] },
      timeouts,
    });
    expect('chunks' in result).toBe(true);
    expect(fallback.attempts()).toHaveLength(1);
    expect(transport.attempts()).toHaveLength(0);
  });

  it('peeks without counting, as a clairvoyant router would', async () => {
    const { clock, transport } = setup({ providers: { groq: { limits: { requests_day: 1 } } } });
    expect(transport.peek('groq', 'openai/gpt-oss-20b')).toMatchObject({ ok: true });
    expect(transport.peek('groq', 'openai/gpt-oss-20b')).toMatchObject({ ok: true });
    await attempt(clock, transport, request(transport, 'groq', 'openai/gpt-oss-20b'));
    expect(transport.peek('groq', 'openai/gpt-oss-20b')).toMatchObject({
      ok: false,
      outcome: 'rate_limit',
      failure: { window: 'requests_day', resetAtMs: T + 86_400_000 },
    });
    expect(transport.attempts()).toHaveLength(1);
  });

  it('decides exactly as the socket simulator does for the same requests at the same instants', async () => {
    const providers = {
      groq: { limits: { requests_day: 3 } },
      cerebras: {},
      mistral: {},
      gemini: { limits: { requests_minute: 2 } },
    };
    const plan: Array<[string, string, number]> = [
      ['groq', 'openai/gpt-oss-120b', 0],
      ['groq', 'openai/gpt-oss-120b', 1_000],
      ['cerebras', 'gpt-oss-120b', 2_000],
      ['cerebras', 'gpt-oss-120b', 3_000],
      ['groq', 'openai/gpt-oss-120b', 4_000],
      ['groq', 'openai/gpt-oss-120b', 5_000],
      ['mistral', 'mistral-medium-2508', 6_000],
      ['gemini', 'gemini-2.5-flash', 7_000],
      ['gemini', 'gemini-2.5-flash', 8_000],
      ['gemini', 'gemini-2.5-flash', 9_000],
      ['cerebras', 'gpt-oss-120b', 20_000],
      ['groq', 'openai/gpt-oss-120b', 28_801_000],
    ];
    const socketClock = new ManualClock(T);
    sim = await startSimulator({
      latencyScale: 0,
      completionTokens: 8,
      clock: socketClock,
      scenario: { providers },
    });
    const { clock, transport } = setup({ providers, latencyScale: 0 });
    for (const [id, model, atMs] of plan) {
      await socketClock.advanceTo(T + atMs);
      await chatStream(
        sim.providerBaseUrl(id),
        ask(model, 'Say hello.', { stream_options: { include_usage: true } }),
      );
      await clock.advanceTo(T + atMs);
      await attempt(clock, transport, request(transport, id, model));
    }
    const view = (a: {
      provider?: string;
      model: string;
      outcome: string;
      status: number | null;
      window?: string;
    }) => [a.provider, a.model, a.outcome, a.status, a.window];
    const expected = sim.attempts().map(view);
    expect(transport.attempts().map(view)).toEqual(expected);
    expect(expected.map((a) => a[2])).toEqual([
      'ok',
      'ok',
      'ok',
      'rate_limit', // Cerebras reserves 16,384 tokens a request: a second one within the minute does not fit
      'ok',
      'rate_limit',
      'bad_param', // stream_options
      'ok',
      'ok',
      'rate_limit',
      'ok',
      'ok', // a third of the 3-a-day bucket came back after 8 h
    ]);
  });
});

describe('an agent’s day in virtual time', () => {
  it('serves 3,000 requests over 8 simulated hours across four providers in seconds', async () => {
    const clock = new ManualClock(T);
    const transport = new VirtualProviderTransport({
      clock,
      providers: ['groq', 'gemini', 'cerebras', 'sambanova'],
      completionTokens: 60,
    });
    const order: Array<[string, string]> = [
      ['gemini', 'gemini-2.5-flash'],
      ['cerebras', 'gpt-oss-120b'],
      ['sambanova', 'Meta-Llama-3.3-70B-Instruct'],
      ['groq', 'llama-3.1-8b-instant'],
    ];
    const started = Date.now();
    let answered = 0;
    for (let i = 0; i < 3000; i++) {
      await clock.advanceTo(Math.max(clock.now(), T + i * 9600));
      for (const [id, model] of order) {
        const result = await attempt(clock, transport, {
          ...request(transport, id, model),
          body: {
            messages: [{ role: 'user', content: `Step ${i}: run the tests and tell me what failed.` }],
            max_tokens: 200,
          },
        });
        if ('chunks' in result) {
          answered++;
          break;
        }
      }
    }
    const wallMs = Date.now() - started;
    expect(answered).toBe(3000);
    expect(clock.now() - T).toBeGreaterThanOrEqual(8 * 3_600_000 - 9600);
    const byOutcome = new Map<string, number>();
    for (const a of transport.attempts()) {
      const key = `${a.provider}:${a.outcome}${a.window ? `:${a.window}` : ''}`;
      byOutcome.set(key, (byOutcome.get(key) ?? 0) + 1);
    }
    // Gemini Flash gives 5 a minute and 20 a day; the rest fall through to the next provider.
    expect(byOutcome.get('gemini:ok')).toBe(20);
    expect(byOutcome.get('gemini:rate_limit:requests_minute')).toBeGreaterThan(0);
    expect(
      byOutcome.get('gemini:rate_limit:requests_minute')! + byOutcome.get('gemini:rate_limit:requests_day')!,
    ).toBe(2980);
    expect(byOutcome.get('cerebras:ok')).toBeGreaterThan(0);
    // SambaNova's 70B allows 1,600 a rolling day: all of them within 8 hours, then none.
    expect(byOutcome.get('sambanova:ok')).toBe(1600);
    expect(wallMs).toBeLessThan(15_000);
  });
});
