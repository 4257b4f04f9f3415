/**
 * `POST /v1/messages` judged by the official Anthropic SDK (`@anthropic-ai/sdk`) over real sockets:
 * rotor's gateway → the OpenRouter simulator.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ROTATION_ORDER } from '../src/engine/seed-defaults.js';
import { type GatewayFixture, gatewayWithSimulator, parsePrometheus, postJson } from './gateway-helpers.js';

const [A] = SEED_ROTATION_ORDER as [string];
/** What Claude Code sends (AGENTS.md); the default alias map sends every `claude-*` to `auto`. */
const CLAUDE = 'claude-opus-4-8';
/** The SDK refuses a plain call with a large max_tokens unless the timeout is set. */
const LONG = { timeout: 60_000 };
// What Claude Code sends besides the basics: accepted and dropped, never a 400.
const claudeCodeExtras = {
  metadata: { user_id: 'user_abc' },
  thinking: { type: 'adaptive' },
  context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
  output_config: { effort: 'high' },
} as Record<string, unknown>;
const weatherTool = {
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

function client(f: GatewayFixture, options: Record<string, unknown> = {}) {
  // baseURL without /v1: the SDK adds it.
  return new Anthropic({ baseURL: f.gateway.url, apiKey: 'any', maxRetries: 0, ...options });
}

describe('Anthropic SDK against /v1/messages', () => {
  let f: GatewayFixture;
  let anthropic: Anthropic;
  beforeAll(async () => {
    f = await gatewayWithSimulator();
    anthropic = client(f);
  });
  afterAll(() => f.close());

  it('messages.create: a plain answer with a Claude model name (aliased to auto) and 64000 max_tokens', async () => {
    const { data, response } = await anthropic.messages
      .create(
        {
          model: CLAUDE,
          max_tokens: 64000,
          system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
          messages: [
            {
              role: 'user',
              content: [{ type: 'text', text: 'hello', cache_control: { type: 'ephemeral' } }],
            },
          ],
          ...claudeCodeExtras,
        } as Anthropic.MessageCreateParamsNonStreaming,
        { ...LONG, headers: { 'anthropic-beta': 'claude-code-20250219,context-1m-2025-08-07' } },
      )
      .withResponse();
    expect(data.type).toBe('message');
    expect(data.role).toBe('assistant');
    expect(data.id).toMatch(/^msg_/);
    expect(data.model).toBe(A);
    expect(data.stop_reason).toBe('end_turn');
    expect(data.content).toHaveLength(1);
    expect(data.content[0]?.type === 'text' && data.content[0].text.split(' ').length).toBeGreaterThan(3);
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-rotor-model')).toBe(A);
    // The upstream got a chat request with the system prompt and the max_tokens as sent.
    const sent = f.sim.attempts().at(-1)!;
    expect(sent.model).toBe(A);
  });

  it('max_tokens cuts the answer: stop_reason max_tokens', async () => {
    const message = await anthropic.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 2,
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(message.stop_reason).toBe('max_tokens');
  });

  it('streaming with the .stream() helper: text events and the final message', async () => {
    const stream = anthropic.messages.stream({
      model: CLAUDE,
      max_tokens: 1024,
      messages: [{ role: 'user', content: 'hello' }],
    });
    let text = '';
    stream.on('text', (delta) => {
      text += delta;
    });
    const final = await stream.finalMessage();
    expect(text.split(' ').length).toBeGreaterThan(3);
    expect(final.content[0]?.type === 'text' && final.content[0].text).toBe(text);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it('streaming raw events: the real sequence', async () => {
    const stream = await anthropic.messages.create({
      model: CLAUDE,
      max_tokens: 1024,
      messages: [{ role: 'user', content: 'hello' }],
      stream: true,
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const distinct = types.filter((t, i) => t !== types[i - 1]);
    expect(distinct).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  it('a tool_use round trip: the tool call, then the answer to its result', async () => {
    const first = await anthropic.messages.create({
      model: CLAUDE,
      max_tokens: 1024,
      tools: [weatherTool, { type: 'web_search_20250305', name: 'web_search' } as never],
      messages: [{ role: 'user', content: 'Use the get_weather tool for Paris' }],
    });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((b) => b.type === 'tool_use');
    expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: expect.any(String) } });
    if (use?.type !== 'tool_use') throw new Error('no tool_use');

    const second = await anthropic.messages.create({
      model: CLAUDE,
      max_tokens: 1024,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Use the get_weather tool for Paris' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny, 21°C' }] },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content[0]?.type).toBe('text');
  });

  it('a streamed tool call arrives as input_json_delta and parses in the final message', async () => {
    const stream = anthropic.messages.stream({
      model: CLAUDE,
      max_tokens: 1024,
      tools: [weatherTool],
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [{ role: 'user', content: 'Paris please' }],
    });
    let json = '';
    stream.on('inputJson', (partial) => {
      json += partial;
    });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    const use = final.content.find((b) => b.type === 'tool_use');
    expect(use?.type === 'tool_use' && use.input).toEqual(JSON.parse(json));
  });

  it("models.list and models.retrieve: the gateway's models with Anthropic's fields", async () => {
    const page = await anthropic.models.list();
    expect(page.data[0]).toMatchObject({ id: 'auto', type: 'model', display_name: 'auto' });
    expect(page.data.map((m) => m.id)).toContain(A);
    expect(page.has_more).toBe(false);
    const one = await anthropic.models.retrieve(A);
    expect(one).toMatchObject({ id: A, type: 'model', created_at: expect.stringMatching(/^\d{4}-/) });
  });

  it('count_tokens gives an estimate', async () => {
    const counted = await anthropic.messages.countTokens({
      model: CLAUDE,
      messages: [{ role: 'user', content: 'x'.repeat(400) }],
    });
    expect(counted.input_tokens).toBeGreaterThanOrEqual(100);
    expect(counted.input_tokens).toBeLessThan(200);
  });

  it('bad input is an Anthropic-shaped 400 the SDK raises as BadRequestError, with zero upstream calls', async () => {
    const before = f.sim.attempts().length;
    const err = await anthropic.messages
      .create({ model: CLAUDE, messages: [{ role: 'user', content: 'x' }] } as never)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const e = err as InstanceType<typeof Anthropic.BadRequestError>;
    expect(e.error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringMatching(/max_tokens/) },
    });
    expect(f.sim.attempts().length).toBe(before);
  });

  it('a mid-stream failure ends with an error event the SDK raises, never a clean message_stop', async () => {
    f.sim.setFaults([{ model: '*', kind: 'stream_cut', afterChunks: 2 }]);
    try {
      const stream = await anthropic.messages.create({
        model: CLAUDE,
        max_tokens: 1024,
        messages: [{ role: 'user', content: 'hello' }],
        stream: true,
      });
      const seen: string[] = [];
      const consume = async () => {
        for await (const event of stream) seen.push(event.type);
      };
      await expect(consume()).rejects.toBeInstanceOf(Anthropic.APIError);
      expect(seen).toContain('content_block_delta');
      expect(seen).not.toContain('message_stop');
    } finally {
      f.sim.clearFaults();
    }
  });
});

describe('Anthropic SDK: failover and typed errors', () => {
  it('a 429 on the primary is invisible: the answer comes from the next model', async () => {
    const f = await gatewayWithSimulator({ scenario: { faults: [{ model: A, kind: 'rate_limited' }] } });
    try {
      const message = await client(f).messages.create(
        {
          model: CLAUDE,
          max_tokens: 64000,
          messages: [{ role: 'user', content: 'hello' }],
        },
        LONG,
      );
      // 64000 max_tokens does not fit B's 32k context (until the loop clamps it): the next model that fits answers.
      const attempts = f.sim.attempts();
      expect(attempts[0]).toMatchObject({ model: A, outcome: 'rate_limited' });
      expect(message.model).not.toBe(A);
      expect(message.model).toBe(attempts.at(-1)?.model);
      expect(message.stop_reason).toBe('end_turn');
    } finally {
      await f.close();
    }
  });

  it('a rate limit rotor cannot hide is RateLimitError with retry-after, also while the model cools down; failing models are 529 overloaded', async () => {
    const ask = (f: GatewayFixture) =>
      client(f)
        .messages.create({ model: CLAUDE, max_tokens: 100, messages: [{ role: 'user', content: 'hello' }] })
        .catch((e: unknown) => e);
    const limitedGateway = await gatewayWithSimulator({
      scenario: { faults: [{ model: A, kind: 'rate_limited' }] },
      overrides: { rotation: { order: [A] }, maxQueueWaitMs: 0 },
    });
    try {
      const limited = await ask(limitedGateway);
      expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
      const e = limited as InstanceType<typeof Anthropic.RateLimitError>;
      expect(e.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
      // While the only model cools down from its rate limit: still a 429 (rate limits are the
      // cause), at once and without an upstream attempt.
      const again = await ask(limitedGateway);
      expect(again).toBeInstanceOf(Anthropic.RateLimitError);
      const a = again as InstanceType<typeof Anthropic.RateLimitError>;
      expect(Number(a.headers?.get('retry-after'))).toBeGreaterThan(0);
      expect(limitedGateway.sim.attempts()).toHaveLength(1);
    } finally {
      await limitedGateway.close();
    }
    const failingGateway = await gatewayWithSimulator({
      scenario: { faults: [{ model: A, kind: 'server_error', status: 503 }] },
      overrides: { rotation: { order: [A] }, maxQueueWaitMs: 0 },
    });
    try {
      const overloaded = await ask(failingGateway);
      expect(overloaded).toBeInstanceOf(Anthropic.APIError);
      const o = overloaded as InstanceType<typeof Anthropic.APIError>;
      expect(o.status).toBe(529);
      expect(o.error).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
      expect(Number(o.headers?.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await failingGateway.close();
    }
  });

  it('client keys: x-api-key and Authorization are both accepted; a wrong key is an Anthropic 401', async () => {
    const f = await gatewayWithSimulator({ overrides: { server: { apiKeys: ['sk-client'] } } });
    try {
      const body: Anthropic.MessageCreateParamsNonStreaming = {
        model: 'claude-x',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
      };
      const viaApiKey = await client(f, { apiKey: 'sk-client' }).messages.create(body);
      expect(viaApiKey.type).toBe('message');
      const viaBearer = await client(f, { apiKey: null, authToken: 'sk-client' }).messages.create(body);
      expect(viaBearer.type).toBe('message');
      const denied = await client(f, { apiKey: 'wrong' })
        .messages.create(body)
        .catch((e: unknown) => e);
      expect(denied).toBeInstanceOf(Anthropic.AuthenticationError);
      expect((denied as InstanceType<typeof Anthropic.AuthenticationError>).error).toMatchObject({
        type: 'error',
        error: { type: 'authentication_error' },
      });
    } finally {
      await f.close();
    }
  });

  it("Claude Code's first calls: HEAD / and POST /v1/messages?beta=true", async () => {
    const f = await gatewayWithSimulator();
    try {
      const head = await fetch(`${f.gateway.url}/`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      const res = await postJson(
        `${f.gateway.url}/v1/messages?beta=true`,
        { model: 'claude-opus-4-8', max_tokens: 64000, messages: [{ role: 'user', content: 'hi' }] },
        { 'anthropic-version': '2023-06-01', authorization: 'Bearer x' },
      );
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ type: 'message' });
      // Request metrics carry the route.
      const samples = parsePrometheus(await (await fetch(`${f.gateway.url}/metrics`)).text());
      const requests = samples.filter((s) => s.name === 'rotor_requests_total');
      expect(requests).toContainEqual({
        name: 'rotor_requests_total',
        labels: { outcome: 'success', status: '200', route: 'messages' },
        value: 1,
      });
    } finally {
      await f.close();
    }
  });
});
