import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../errors.js';
import { parseChatRequest } from './chat-request-schema.js';

const minimal = { model: 'auto', messages: [{ role: 'user', content: 'hi' }] };

function errorOf(json: unknown): InvalidRequestError {
  try {
    parseChatRequest(json);
  } catch (e) {
    if (e instanceof InvalidRequestError) return e;
    throw e;
  }
  throw new Error('expected InvalidRequestError');
}

describe('parseChatRequest', () => {
  it('accepts a minimal request', () => {
    expect(parseChatRequest(minimal)).toEqual(minimal);
  });

  it('accepts a full request and passes unknown fields through unchanged', () => {
    const body = {
      model: 'auto',
      models: ['a/b:free', 'c/d:free'],
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'developer', content: 'really' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
            { type: 'input_audio', input_audio: { data: 'x', format: 'wav' } },
          ],
          name: 'bob',
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', content: '42', tool_call_id: 'c1' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      max_tokens: 100,
      temperature: 0.2,
      top_k: 40,
      transforms: ['middle-out'],
      provider: { sort: 'latency' },
    };
    const parsed = parseChatRequest(body);
    expect(parsed).toEqual(body);
    expect(parsed['top_k']).toBe(40);
  });

  it('rejects a bad role naming the path and value', () => {
    const e = errorOf({ model: 'auto', messages: [{ role: 'robot', content: 'x' }] });
    expect(e.param).toBe('messages[0].role');
    expect(e.message).toContain('messages[0].role');
    expect(e.message).toContain('"robot"');
    expect(e.status).toBe(400);
  });

  it('reports a missing model', () => {
    const e = errorOf({ messages: minimal.messages });
    expect(e.param).toBe('model');
    expect(e.message).toContain('model: required field is missing');
  });

  it('rejects an empty messages array', () => {
    const e = errorOf({ model: 'auto', messages: [] });
    expect(e.param).toBe('messages');
    expect(e.message).toContain('at least one message');
  });

  it('points into the content part that is malformed', () => {
    const e = errorOf({ model: 'auto', messages: [{ role: 'user', content: [{ type: 'text', text: 5 }] }] });
    expect(e.param).toBe('messages[0].content[0].text');
    expect(e.message).toContain('(got 5)');
  });

  it('rejects content of the wrong type', () => {
    const e = errorOf({ model: 'auto', messages: [{ role: 'user', content: 7 }] });
    expect(e.param).toBe('messages[0].content');
  });

  it('rejects wrong option types', () => {
    expect(errorOf({ ...minimal, stream: 'yes' }).param).toBe('stream');
    expect(errorOf({ ...minimal, temperature: 5 }).param).toBe('temperature');
    expect(errorOf({ ...minimal, models: ['ok', 3] }).param).toBe('models[1]');
    expect(errorOf({ ...minimal, tools: [{ type: 'function', function: {} }] }).param).toBe(
      'tools[0].function.name',
    );
  });

  it('rejects a body that is not an object', () => {
    for (const v of [null, [], 'x', 3]) {
      const e = errorOf(v);
      expect(e.message).toMatch(/must be a JSON object/);
      expect(e.param).toBeNull();
    }
  });

  it('truncates long bad values in the message', () => {
    const e = errorOf({ model: 'auto', messages: [{ role: 'x'.repeat(500), content: '' }] });
    expect(e.message.length).toBeLessThan(300);
  });
});
