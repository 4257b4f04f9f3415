import { describe, expect, it } from 'vitest';
import { parseChatRequest } from '../../chat/chat-request-schema.js';
import { InvalidRequestError } from '../../errors.js';
import { parseMessagesRequest } from './messages-request-schema.js';
import { messagesToChat } from './messages-to-chat.js';

const translate = (body: Record<string, unknown>) =>
  messagesToChat(parseMessagesRequest({ model: 'claude-x', max_tokens: 64000, ...body }), 'auto');

describe('messagesToChat', () => {
  it('system blocks, text and the sampling fields; max_tokens passes through unclamped', () => {
    const { chat, thinking } = translate({
      system: [
        { type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'Answer in English.' },
      ],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }] },
      ],
      stop_sequences: ['END'],
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      metadata: { user_id: 'u1' },
      context_management: { edits: [] },
      output_config: { effort: 'high' },
      stream: true,
    });
    expect(chat).toEqual({
      model: 'auto',
      messages: [
        { role: 'system', content: 'You are terse.\n\nAnswer in English.' },
        { role: 'user', content: 'hi' },
      ],
      max_tokens: 64000,
      stream: true,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      stop: ['END'],
    });
    expect(thinking).toBe(false);
    expect(() => parseChatRequest(chat)).not.toThrow();
  });

  it('a system-role message in messages (Claude Code sends them) becomes a system message', () => {
    const { chat } = translate({
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'system', content: [{ type: 'text', text: 'reminder' }] },
      ],
    });
    expect(chat.messages).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'system', content: 'reminder' },
    ]);
  });

  it('images (base64 and URL) become image_url parts', () => {
    const { chat } = translate({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
          ],
        },
      ],
    });
    expect(chat.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          { type: 'image_url', image_url: { url: 'https://example.com/a.jpg' } },
        ],
      },
    ]);
  });

  it('a tool_use / tool_result round trip becomes tool_calls and tool messages', () => {
    const { chat } = translate({
      tools: [
        { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: {} } },
        { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
      ],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'x' },
            { type: 'text', text: 'Let me check.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'sunny' }] },
            { type: 'text', text: 'Thanks' },
          ],
        },
      ],
    });
    expect(chat.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [
          {
            id: 'toolu_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'sunny' },
      { role: 'user', content: 'Thanks' },
    ]);
    expect(chat.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather',
          parameters: { type: 'object', properties: {} },
        },
      },
    ]);
    expect(chat.tool_choice).toBe('required');
    expect(chat.parallel_tool_calls).toBe(false);
  });

  it('tool_choice tool, auto and none; an error tool_result says so', () => {
    const tools = [{ name: 'f', input_schema: { type: 'object' } }];
    const messages = [{ role: 'user', content: 'x' }];
    expect(translate({ tools, messages, tool_choice: { type: 'tool', name: 'f' } }).chat.tool_choice).toEqual(
      {
        type: 'function',
        function: { name: 'f' },
      },
    );
    expect(translate({ tools, messages, tool_choice: { type: 'auto' } }).chat.tool_choice).toBeUndefined();
    const none = translate({ tools, messages, tool_choice: { type: 'none' } }).chat;
    expect(none.tools).toBeUndefined();
    const failed = translate({
      messages: [
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 't', content: 'boom', is_error: true }],
        },
      ],
    }).chat;
    expect(failed.messages).toEqual([{ role: 'tool', tool_call_id: 't', content: 'Error: boom' }]);
  });

  it('thinking asked for (enabled or adaptive) but not when disabled', () => {
    const messages = [{ role: 'user', content: 'x' }];
    expect(translate({ messages, thinking: { type: 'adaptive' } }).thinking).toBe(true);
    expect(translate({ messages, thinking: { type: 'enabled', budget_tokens: 1024 } }).thinking).toBe(true);
    expect(translate({ messages, thinking: { type: 'disabled' } }).thinking).toBe(false);
  });

  it('bad input is a 400 naming the field', () => {
    expect(() => parseMessagesRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).toThrow(
      /max_tokens: required field is missing/,
    );
    try {
      parseMessagesRequest({ model: 'm', max_tokens: 5, messages: [{ role: 'robot', content: 'x' }] });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidRequestError);
      expect((err as InvalidRequestError).param).toBe('messages[0].role');
    }
  });
});
