import { describe, expect, it } from 'vitest';
import { parseChatRequest } from '../../chat/chat-request-schema.js';
import { InvalidRequestError } from '../../errors.js';
import { ResponseStore } from './response-store.js';
import { parseResponsesRequest } from './responses-request-schema.js';
import { responsesToChat } from './responses-to-chat.js';

const translate = (body: Record<string, unknown>, store?: ResponseStore) =>
  responsesToChat(parseResponsesRequest({ model: 'auto', ...body }), 'auto', store);

describe('responsesToChat', () => {
  it('a string input with instructions and the sampling fields', () => {
    const chat = translate({
      input: 'hi',
      instructions: 'Be brief.',
      max_output_tokens: 100,
      temperature: 0.2,
      top_p: 0.5,
      stream: true,
      store: false,
      reasoning: { summary: 'auto' },
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: 'k',
      client_metadata: { a: 1 },
    });
    expect(chat).toEqual({
      model: 'auto',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
      ],
      stream: true,
      max_tokens: 100,
      temperature: 0.2,
      top_p: 0.5,
    });
    expect(() => parseChatRequest(chat)).not.toThrow();
  });

  it("Codex's items: developer → system, input_text parts, non-function tools dropped", () => {
    const chat = translate({
      input: [
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'sandbox rules' }] },
        {
          type: 'message',
          role: 'user',
          id: 'u1',
          content: [
            { type: 'input_text', text: 'a' },
            { type: 'input_text', text: 'b' },
          ],
        },
        {
          role: 'user',
          content: [{ type: 'input_image', image_url: 'data:image/png;base64,AA', detail: 'auto' }],
        },
        { type: 'reasoning', id: 'rs_1', summary: [] },
      ],
      tools: [
        {
          type: 'function',
          name: 'exec_command',
          description: 'Run',
          parameters: { type: 'object' },
          strict: false,
        },
        { type: 'web_search' },
        { type: 'namespace', name: 'mcp', tools: [] },
      ],
      tool_choice: 'auto',
      parallel_tool_calls: false,
    });
    expect(chat.messages).toEqual([
      { role: 'system', content: 'sandbox rules' },
      { role: 'user', content: 'a\n\nb' },
      {
        role: 'user',
        content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA', detail: 'auto' } }],
      },
    ]);
    expect(chat.tools).toEqual([
      {
        type: 'function',
        function: { name: 'exec_command', description: 'Run', parameters: { type: 'object' }, strict: false },
      },
    ]);
    expect(chat.tool_choice).toBeUndefined();
    expect(chat.parallel_tool_calls).toBe(false);
  });

  it('a function-call round trip: calls join the assistant message, outputs become tool messages', () => {
    const chat = translate({
      input: [
        { role: 'user', content: 'weather?' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
        {
          type: 'function_call',
          call_id: 'call_1',
          name: 'get_weather',
          arguments: '{"city":"Paris"}',
          id: 'fc_1',
        },
        { type: 'function_call', call_id: 'call_2', name: 'get_weather', arguments: '{"city":"Rome"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
        { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'rain' }] },
      ],
      tool_choice: { type: 'function', name: 'get_weather' },
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }],
    });
    expect(chat.messages).toEqual([
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
          { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      { role: 'tool', tool_call_id: 'call_2', content: 'rain' },
    ]);
    expect(chat.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
  });

  it('text.format json_schema and json_object become response_format', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    expect(
      translate({ input: 'x', text: { format: { type: 'json_schema', name: 'out', schema, strict: true } } })
        .response_format,
    ).toEqual({
      type: 'json_schema',
      json_schema: { name: 'out', schema, strict: true },
    });
    expect(translate({ input: 'x', text: { format: { type: 'json_object' } } }).response_format).toEqual({
      type: 'json_object',
    });
    expect(translate({ input: 'x', text: { format: { type: 'text' } } }).response_format).toBeUndefined();
  });

  it('item_reference and previous_response_id resolve through the store, or are a clear 400', () => {
    const store = new ResponseStore(1);
    store.save(
      'resp_1',
      [{ role: 'user', content: 'hi' }],
      [
        {
          type: 'message',
          id: 'msg_1',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'hello', annotations: [], logprobs: [] }],
        },
      ],
    );
    expect(
      translate(
        {
          input: [
            { type: 'item_reference', id: 'msg_1' },
            { role: 'user', content: 'again' },
          ],
        },
        store,
      ).messages,
    ).toEqual([
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'again' },
    ]);
    expect(translate({ previous_response_id: 'resp_1', input: 'again' }, store).messages).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'again' },
    ]);
    // Bounded: a second response evicts the first, and its items with it.
    store.save('resp_2', [], []);
    expect(() => translate({ previous_response_id: 'resp_1', input: 'x' }, store)).toThrow(
      InvalidRequestError,
    );
    try {
      translate({ input: [{ type: 'item_reference', id: 'msg_1' }] }, store);
      expect.unreachable();
    } catch (err) {
      expect((err as InvalidRequestError).param).toBe('input[0]');
      expect((err as Error).message).toMatch(/Item with id 'msg_1' not found/);
    }
  });

  it('bad input names the field', () => {
    expect(() => translate({ input: [{ type: 'function_call', name: 'f', arguments: '{}' }] })).toThrow(
      /input\[0\]\.call_id/,
    );
    expect(() => parseResponsesRequest({ model: 'auto' })).toThrow(/input: required field is missing/);
    expect(() => translate({ input: [{ role: 'robot', content: 'x' }] })).toThrow(/input\[0\]\.role/);
  });
});
