import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ask,
  chat,
  chatStream,
  getJson,
  MODELS_SNAPSHOT,
  parseSse,
  readFixtureText,
  structureOf,
  TEST_KEY,
} from '../../test/fixtures-sim/sim-helpers.js';
import { defaultModels, NO_SYSTEM_PROMPT_MODEL_ID } from './sim-models.js';
import { type Simulator, startSimulator } from './simulator.js';

const PRIMARY = 'meta-llama/llama-3.3-8b-instruct:free';
const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['city', 'unit'],
    },
  },
};

describe('simulator endpoints over a real socket', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ latencyScale: 0, seed: 7 });
  });
  afterAll(() => sim.close());

  it('listens on a free loopback port and reports a base URL ending in /api/v1', () => {
    expect(sim.port).toBeGreaterThan(0);
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}/api/v1`);
  });

  it('answers a non-streaming chat in OpenRouter shape, naming the model and counting tokens', async () => {
    const { status, json } = await chat(sim.url, ask(PRIMARY));
    expect(status).toBe(200);
    expect(json).toMatchObject({
      provider: 'Meta',
      model: PRIMARY,
      object: 'chat.completion',
      choices: [
        { index: 0, finish_reason: 'stop', native_finish_reason: 'stop', message: { role: 'assistant' } },
      ],
    });
    expect(json.id).toMatch(/^gen-\d+-\w+$/);
    expect(json.choices[0].message.content.split(' ')).toHaveLength(8);
    const { prompt_tokens, completion_tokens, total_tokens } = json.usage;
    expect(prompt_tokens).toBeGreaterThan(0);
    expect(completion_tokens).toBe(8);
    expect(total_tokens).toBe(prompt_tokens + completion_tokens);
  });

  it('is also reachable under /v1', async () => {
    const { status, json } = await chat(`${sim.origin}/v1`, ask(PRIMARY));
    expect(status).toBe(200);
    expect(json.model).toBe(PRIMARY);
  });

  it('streams a keep-alive comment, a role-only chunk, deltas, a final chunk, one usage chunk, then [DONE]', async () => {
    const { status, headers, events } = await chatStream(sim.url, ask(PRIMARY));
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('text/event-stream');
    expect(events[0]).toEqual({ type: 'comment', text: 'OPENROUTER PROCESSING' });
    const data = events.slice(1);
    expect(data.at(-1)).toEqual({ type: 'data', raw: '[DONE]' });
    const chunks = data.slice(0, -1).map((e) => (e.type === 'data' ? e.json : undefined));
    const usage = chunks.at(-1);
    expect(usage.choices).toEqual([]);
    expect(usage.usage.total_tokens).toBe(usage.usage.prompt_tokens + usage.usage.completion_tokens);
    const final = chunks.at(-2);
    expect(final.choices[0].finish_reason).toBe('stop');
    // Opens with a role-only chunk and no content, as OpenRouter's streams do.
    expect(chunks[0].choices).toEqual([
      { index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null },
    ]);
    const content = chunks.slice(1, -2);
    expect(content).toHaveLength(8);
    for (const chunk of content) expect(chunk.choices[0].finish_reason).toBeNull();
    expect(content[0].choices[0].delta.role).toBe('assistant');
    // Same chunk fields as OpenRouter's documented stream.
    const documented = parseSse(readFixtureText('errors/stream-midstream-error.sse'));
    const documentedContent = documented.find((e) => e.type === 'data')!;
    expect(Object.keys(content[0]).sort()).toEqual(
      Object.keys(documentedContent.type === 'data' ? documentedContent.json : {}).sort(),
    );
    expect(structureOf(content[0])).toEqual(
      structureOf(documentedContent.type === 'data' ? documentedContent.json : {}),
    );
  });

  it('streams and non-streams the same answer for the same prompt', async () => {
    const whole = await chat(sim.url, ask(PRIMARY, 'What is rotor?'));
    const { events } = await chatStream(sim.url, ask(PRIMARY, 'What is rotor?'));
    const text = events
      .map((e) => (e.type === 'data' ? (e.json?.choices?.[0]?.delta?.content ?? '') : ''))
      .join('');
    expect(text).toBe(whole.json.choices[0].message.content);
  });

  it('stops at max_tokens with finish_reason "length"', async () => {
    const { json } = await chat(sim.url, ask(PRIMARY, 'Tell me more.', { max_tokens: 3 }));
    expect(json.choices[0].finish_reason).toBe('length');
    expect(json.usage.completion_tokens).toBe(3);
  });

  it('calls the named tool with schema-shaped JSON arguments', async () => {
    const { json } = await chat(
      sim.url,
      ask(PRIMARY, 'Use get_weather for Paris', { tools: [WEATHER_TOOL] }),
    );
    const choice = json.choices[0];
    expect(choice.finish_reason).toBe('tool_calls');
    const call = choice.message.tool_calls[0];
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(call.id).toMatch(/^call_/);
    const args = JSON.parse(call.function.arguments);
    expect(Object.keys(args).sort()).toEqual(['city', 'unit']);
    expect(typeof args.city).toBe('string');
    expect(args.unit).toBe('celsius');
  });

  it('streams tool-call arguments in several deltas that merge into the full call', async () => {
    const request = ask(PRIMARY, 'Please use a tool.', { tools: [WEATHER_TOOL] });
    const { events } = await chatStream(sim.url, request);
    const whole = await chat(sim.url, request);
    const deltas = events.flatMap((e) =>
      e.type === 'data' ? (e.json?.choices?.[0]?.delta?.tool_calls ?? []) : [],
    );
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather' } });
    const merged = deltas.map((d: { function: { arguments: string } }) => d.function.arguments).join('');
    expect(merged).toBe(whole.json.choices[0].message.tool_calls[0].function.arguments);
    const final = events.flatMap((e) => (e.type === 'data' ? (e.json?.choices ?? []) : [])).at(-1);
    expect(final.finish_reason).toBe('tool_calls');
  });

  it('answers with text when tools are given but the prompt does not ask for one', async () => {
    const { json } = await chat(sim.url, ask(PRIMARY, 'Say hello.', { tools: [WEATHER_TOOL] }));
    expect(json.choices[0].finish_reason).toBe('stop');
    expect(json.choices[0].message.tool_calls).toBeUndefined();
  });

  it('refuses tools on a model without tool support with 404 "No endpoints found that support tool use"', async () => {
    const { status, json } = await chat(
      sim.url,
      ask('google/gemma-2-9b-it:free', 'use get_weather', { tools: [WEATHER_TOOL] }),
    );
    expect(status).toBe(404);
    expect(json.error.message).toMatch(/^No endpoints found that support tool use/);
  });

  it('accepts system messages, except on the model configured without them', async () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ];
    expect((await chat(sim.url, { model: PRIMARY, messages })).status).toBe(200);
    const { status, json } = await chat(sim.url, { model: NO_SYSTEM_PROMPT_MODEL_ID, messages });
    expect(status).toBe(400);
    expect(json.error.message).toBe('Provider returned error');
    expect(json.error.metadata.provider_name).toBe('Google AI Studio');
    expect(json.error.metadata.raw).toContain(
      'Developer instruction is not enabled for models/gemma-3n-e4b-it',
    );
    const withoutSystem = await chat(sim.url, ask(NO_SYSTEM_PROMPT_MODEL_ID));
    expect(withoutSystem.status).toBe(200);
  });

  it('answers 400 context_length_exceeded when prompt plus max_tokens exceed the context', async () => {
    const gemma2 = 'google/gemma-2-9b-it:free'; // 8192-token context
    const fits = await chat(sim.url, ask(gemma2, 'x'.repeat(4 * 4000)));
    expect(fits.status).toBe(200);
    const { status, json } = await chat(sim.url, ask(gemma2, 'x'.repeat(4 * 4000), { max_tokens: 4300 }));
    expect(status).toBe(400);
    expect(json.error.code).toBe(400);
    expect(json.error.metadata.error_type).toBe('context_length_exceeded');
    expect(json.error.message).toMatch(
      /^This endpoint's maximum context length is 8192 tokens\. However, you requested about \d+ tokens \(\d+ of text input, 4300 in the output\)/,
    );
  });

  it('answers 404 "No endpoints found" for an unknown model', async () => {
    const { status, json } = await chat(sim.url, ask('nobody/nothing:free'));
    expect(status).toBe(404);
    expect(json).toEqual({ error: { message: 'No endpoints found for nobody/nothing:free.', code: 404 } });
  });

  it('answers 401 with OpenRouter body for a missing or empty key', async () => {
    for (const key of [null, '']) {
      const { status, json } = await chat(sim.url, ask(PRIMARY), { key });
      expect(status).toBe(401);
      expect(json).toEqual({ error: { message: 'No auth credentials found', code: 401 } });
    }
  });

  it('answers 400 for a body that is not JSON or has no messages', async () => {
    const res = await fetch(`${sim.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}` },
      body: '{not json',
    });
    expect(res.status).toBe(400);
    const { status, json } = await chat(sim.url, { model: PRIMARY, messages: [] });
    expect(status).toBe(400);
    expect(json.error.code).toBe(400);
  });

  it('lists the default models in OpenRouter format', async () => {
    const { status, json } = await getJson(`${sim.url}/models`, null);
    expect(status).toBe(200);
    const ids = json.data.map((m: { id: string }) => m.id);
    expect(ids).toEqual(defaultModels().map((m) => m.id));
    expect(ids).toHaveLength(13);
    for (const model of json.data) {
      expect(model.id).toMatch(/:free$/);
      expect(model.pricing.prompt).toBe('0');
      expect(model.pricing.completion).toBe('0');
      expect(model.context_length).toBeGreaterThan(0);
      expect(model.top_provider.context_length).toBe(model.context_length);
      expect(Array.isArray(model.supported_parameters)).toBe(true);
    }
    const withTools = json.data.filter((m: { supported_parameters: string[] }) =>
      m.supported_parameters.includes('tools'),
    );
    expect(withTools.length).toBeGreaterThan(6);
  });

  it('reports key info with the free-model daily counter', async () => {
    const before = (await getJson(`${sim.url}/key`)).json.data.free_model_daily_requests;
    await chat(sim.url, ask(PRIMARY));
    const { status, json } = await getJson(`${sim.url}/key`);
    expect(status).toBe(200);
    expect(json.data.is_free_tier).toBe(true);
    expect(json.data.free_model_daily_requests).toEqual({
      limit: 50,
      used: before.used + 1,
      remaining: before.remaining - 1,
    });
    expect(json.data.label).not.toBe(TEST_KEY);
    expect((await getJson(`${sim.url}/auth/key`)).status).toBe(200);
    expect((await getJson(`${sim.url}/key`, null)).status).toBe(401);
  });
});

describe('simulator with a models snapshot', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ latencyScale: 0, modelsFile: MODELS_SNAPSHOT });
  });
  afterAll(() => sim.close());

  it('serves the snapshot as GET /models', async () => {
    const { json } = await getJson(`${sim.url}/models`, null);
    const file = JSON.parse(readFixtureText('models-2026-08.json'));
    expect(json.data).toEqual(file.data);
  });

  it('serves every model in the snapshot, with its context length, and 404s the rest', async () => {
    const free = await chat(sim.url, ask('openai/gpt-oss-20b:free'));
    expect(free.status).toBe(200);
    const paid = await chat(sim.url, ask('qwen/qwen3.8-27b'));
    expect(paid.status).toBe(200);
    const tooLong = await chat(sim.url, ask('openai/gpt-oss-20b:free', 'hi', { max_tokens: 131_072 }));
    expect(tooLong.json.error.message).toContain('maximum context length is 131072 tokens');
    const retired = await chat(sim.url, ask(PRIMARY));
    expect(retired.status).toBe(404);
    expect(retired.json).toEqual({ error: { message: `No endpoints found for ${PRIMARY}.`, code: 404 } });
  });

  it('counts only :free models against the account quota', async () => {
    sim.reset();
    await chat(sim.url, ask('qwen/qwen3.8-27b'));
    await chat(sim.url, ask('openai/gpt-oss-20b:free'));
    expect(sim.account().day.used).toBe(1);
  });
});

describe('simulator request bodies', () => {
  it('refuses a body over the size limit with 413', async () => {
    const sim = await startSimulator({ latencyScale: 0 });
    try {
      const res = await fetch(`${sim.url}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_KEY}` },
        body: 'x'.repeat(17 * 1024 * 1024),
      });
      expect(res.status).toBe(413);
      expect(sim.attempts()).toEqual([]);
    } finally {
      await sim.close();
    }
  });
});
