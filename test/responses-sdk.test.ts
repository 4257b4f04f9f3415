/**
 * `POST /v1/responses` judged by real clients over real sockets: the official `openai` SDK
 * (`responses.create`) and the Vercel AI SDK's default OpenAI provider (`openai('auto')`, which
 * speaks the Responses API) → rotor's gateway → the OpenRouter simulator.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ROTATION_ORDER } from '../src/engine/seed-defaults.js';
import { type GatewayFixture, gatewayWithSimulator, postJson } from './gateway-helpers.js';

const [A, B] = SEED_ROTATION_ORDER as [string, string];
const weather = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
  strict: true,
};

describe('openai SDK: responses.create', () => {
  let f: GatewayFixture;
  let client: OpenAI;
  beforeAll(async () => {
    f = await gatewayWithSimulator();
    client = new OpenAI({ baseURL: f.baseURL, apiKey: 'any', maxRetries: 0 });
  });
  afterAll(() => f.close());

  it('a plain answer: one message item with output_text, usage, status completed', async () => {
    const { data, response } = await client.responses
      .create({ model: 'auto', input: 'hello', instructions: 'Be brief.', store: false })
      .withResponse();
    expect(data.object).toBe('response');
    expect(data.id).toMatch(/^resp_/);
    expect(data.status).toBe('completed');
    expect(data.model).toBe(A);
    expect(data.output).toHaveLength(1);
    expect(data.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed' });
    expect(data.output_text.split(' ').length).toBeGreaterThan(3);
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-rotor-model')).toBe(A);
  });

  it('streaming: the events clients rely on, text deltas adding up to the completed response', async () => {
    const stream = await client.responses.create({ model: 'auto', input: 'hello', stream: true });
    const types: string[] = [];
    let text = '';
    let completedText = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completedText = event.response.output_text ?? '';
    }
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(text.split(' ').length).toBeGreaterThan(3);
    // The SDK does not add output_text to streamed responses; read it from the items.
    expect(completedText === '' || completedText === text).toBe(true);
  });

  it('a function-call round trip', async () => {
    const input: OpenAI.Responses.ResponseInput = [
      { role: 'user', content: 'Use the get_weather tool for Paris' },
    ];
    const first = await client.responses.create({ model: 'auto', input, tools: [weather], store: false });
    const call = first.output.find((i) => i.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', call_id: expect.any(String) });
    if (call?.type !== 'function_call') throw new Error('no function call');
    expect(JSON.parse(call.arguments)).toMatchObject({ city: expect.any(String) });

    const second = await client.responses.create({
      model: 'auto',
      input: [
        ...input,
        ...first.output,
        { type: 'function_call_output', call_id: call.call_id, output: 'sunny' },
      ] as OpenAI.Responses.ResponseInput,
      tools: [weather],
      store: false,
    });
    expect(second.status).toBe('completed');
    expect(second.output_text.length).toBeGreaterThan(0);
  });

  it('a streamed function call: arguments deltas and .done', async () => {
    const stream = await client.responses.create({
      model: 'auto',
      input: 'Paris',
      tools: [weather],
      tool_choice: { type: 'function', name: 'get_weather' },
      stream: true,
    });
    let args = '';
    let done = '';
    for await (const event of stream) {
      if (event.type === 'response.function_call_arguments.delta') args += event.delta;
      if (event.type === 'response.function_call_arguments.done') done = event.arguments;
    }
    expect(done).toBe(args);
    expect(JSON.parse(done)).toMatchObject({ city: expect.any(String) });
  });

  it('previous_response_id continues a stored response; an unknown one is a clear 400', async () => {
    const first = await client.responses.create({ model: 'auto', input: 'hello' });
    const next = await client.responses.create({
      model: 'auto',
      input: 'and again',
      previous_response_id: first.id,
    });
    expect(next.status).toBe('completed');
    expect(next.previous_response_id).toBe(first.id);
    const err = await client.responses
      .create({ model: 'auto', input: 'x', previous_response_id: 'resp_nope' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/resp_nope/);
  });

  it('bad input is an OpenAI-shaped 400 naming the field, with zero upstream calls', async () => {
    const before = f.sim.attempts().length;
    const res = await postJson(`${f.baseURL}/responses`, { model: 'auto' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'input' } });
    expect(f.sim.attempts().length).toBe(before);
  });

  it('a mid-stream failure ends with response.failed, never response.completed', async () => {
    f.sim.setFaults([{ model: '*', kind: 'stream_cut', afterChunks: 2 }]);
    try {
      const stream = await client.responses.create({ model: 'auto', input: 'hello', stream: true });
      const types: string[] = [];
      let failed: OpenAI.Responses.ResponseFailedEvent | undefined;
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === 'response.failed') failed = event;
      }
      expect(types).toContain('response.output_text.delta');
      expect(types.at(-1)).toBe('response.failed');
      expect(types).not.toContain('response.completed');
      expect(failed?.response.status).toBe('failed');
      expect(failed?.response.error?.message).toMatch(/incomplete|failed/);
    } finally {
      f.sim.clearFaults();
    }
  });
});

describe('openai SDK: failover through /v1/responses', () => {
  it('a 429 on the primary is invisible', async () => {
    const f = await gatewayWithSimulator({ scenario: { faults: [{ model: A, kind: 'rate_limited' }] } });
    try {
      const client = new OpenAI({ baseURL: f.baseURL, apiKey: 'any', maxRetries: 0 });
      const stream = await client.responses.create({
        model: 'auto',
        input: 'hello',
        stream: true,
        store: false,
      });
      let completed: OpenAI.Responses.Response | undefined;
      for await (const event of stream) if (event.type === 'response.completed') completed = event.response;
      expect(completed?.model).toBe(B);
      expect(f.sim.attempts().map((a) => a.model)).toEqual([A, B]);
    } finally {
      await f.close();
    }
  });
});

describe("the AI SDK's default OpenAI provider (Responses API)", () => {
  let f: GatewayFixture;
  let provider: ReturnType<typeof createOpenAI>;
  beforeAll(async () => {
    f = await gatewayWithSimulator();
    provider = createOpenAI({ baseURL: f.baseURL, apiKey: 'any' });
  });
  afterAll(() => f.close());

  it('generateText', async () => {
    const result = await generateText({ model: provider('auto'), prompt: 'hello', maxRetries: 0 });
    expect(result.text.split(' ').length).toBeGreaterThan(3);
    expect(result.finishReason).toBe('stop');
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.response.modelId).toBe(A);
  });

  it('streamText', async () => {
    const result = streamText({ model: provider('auto'), prompt: 'hello', maxRetries: 0 });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text.split(' ').length).toBeGreaterThan(3);
    expect(await result.finishReason).toBe('stop');
  });

  it('a tool: called, executed, and answered in a second step', async () => {
    let calledWith: unknown;
    const result = await generateText({
      model: provider('auto'),
      prompt: 'Use the get_weather tool for Paris',
      maxRetries: 0,
      tools: {
        get_weather: tool({
          description: 'Weather for a city',
          inputSchema: jsonSchema<{ city: string }>({
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
            additionalProperties: false,
          }),
          execute: async (input) => {
            calledWith = input;
            return { forecast: 'sunny' };
          },
        }),
      },
      stopWhen: stepCountIs(3),
    });
    expect(calledWith).toMatchObject({ city: expect.any(String) });
    expect(result.steps.length).toBe(2);
    expect(result.steps[0]?.finishReason).toBe('tool-calls');
    expect(result.finishReason).toBe('stop');
    expect(result.text.length).toBeGreaterThan(0);
  });

  it('a conversation with an earlier assistant answer (sent as item_reference by default) continues', async () => {
    const first = await generateText({ model: provider('auto'), prompt: 'hello', maxRetries: 0 });
    const second = await generateText({
      model: provider('auto'),
      messages: [
        { role: 'user', content: 'hello' },
        ...first.response.messages,
        { role: 'user', content: 'more' },
      ],
      maxRetries: 0,
    });
    expect(second.text.length).toBeGreaterThan(0);
  });

  it('a cut stream is an error in streamText, not a clean finish', async () => {
    f.sim.setFaults([{ model: '*', kind: 'stream_cut', afterChunks: 2 }]);
    try {
      const errors: unknown[] = [];
      const result = streamText({
        model: provider('auto'),
        prompt: 'hello',
        maxRetries: 0,
        onError: ({ error }) => {
          errors.push(error);
        },
      });
      for await (const _ of result.textStream) {
        // read to the end
      }
      expect(errors.length).toBeGreaterThan(0);
      expect(await result.finishReason).not.toBe('stop');
    } finally {
      f.sim.clearFaults();
    }
  });
});
