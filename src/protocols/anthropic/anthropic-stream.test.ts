import { describe, expect, it } from 'vitest';
import { chunk, usageChunk as makeUsageChunk } from '../../../test/chat-chunks.js';
import { NoModelAvailableError, RateLimitError, UpstreamError } from '../../errors.js';
import { toAnthropicError } from './anthropic-error.js';
import { completionToMessage } from './anthropic-message.js';
import { AnthropicStreamTranslator } from './anthropic-stream.js';

const usageChunk = makeUsageChunk({ prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });

const names = (events: { event: string }[]) => events.map((e) => e.event);

describe('AnthropicStreamTranslator', () => {
  it('text: the real event sequence, stop reason and usage', () => {
    const t = new AnthropicStreamTranslator({ id: 'msg_1', model: 'auto', thinking: false, inputTokens: 7 });
    const events = [
      ...t.push(chunk({ role: 'assistant', content: '' })),
      ...t.push(chunk({ content: 'Hel' })),
      ...t.push(chunk({ content: 'lo' }, 'stop')),
      ...t.push(usageChunk),
      ...t.end(),
    ];
    expect(names(events)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events[0]!.data).toMatchObject({
      message: { id: 'msg_1', model: 'm/free', usage: { input_tokens: 7 } },
    });
    expect(events[3]!.data).toEqual({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: 'Hel' },
    });
    expect(events[6]!.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: {
        input_tokens: 12,
        output_tokens: 3,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    });
  });

  it('tool calls: text block then a tool_use block with input_json_delta; stop_reason tool_use', () => {
    const t = new AnthropicStreamTranslator({ id: 'msg_1', model: 'auto', thinking: false, inputTokens: 0 });
    const events = [
      ...t.push(chunk({ content: 'Checking.' })),
      ...t.push(
        chunk({
          tool_calls: [
            { index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } },
          ],
        }),
      ),
      ...t.push(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] })),
      ...t.push(chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }, 'tool_calls')),
      ...t.end(),
    ];
    const starts = events.filter((e) => e.event === 'content_block_start').map((e) => e.data);
    expect(starts).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      {
        type: 'content_block_start',
        index: 1,
        content_block: { type: 'tool_use', id: 'call_1', name: 'get_weather', input: {} },
      },
    ]);
    const json = events
      .filter((e) => (e.data as { delta?: { type: string } }).delta?.type === 'input_json_delta')
      .map((e) => (e.data as { delta: { partial_json: string } }).delta.partial_json)
      .join('');
    expect(JSON.parse(json)).toEqual({ city: 'Paris' });
    expect(
      events.filter((e) => e.event === 'content_block_stop').map((e) => (e.data as { index: number }).index),
    ).toEqual([0, 1]);
    expect(events.at(-2)!.data).toMatchObject({ delta: { stop_reason: 'tool_use' } });
  });

  it('reasoning becomes a thinking block only when thinking was asked for', () => {
    const withThinking = new AnthropicStreamTranslator({
      id: 'm',
      model: 'a',
      thinking: true,
      inputTokens: 0,
    });
    const a = [
      ...withThinking.push(chunk({ reasoning: 'ponder' })),
      ...withThinking.push(chunk({ content: 'ok' }, 'length')),
      ...withThinking.end(),
    ];
    expect(
      a
        .filter((e) => e.event === 'content_block_start')
        .map((e) => (e.data as { content_block: { type: string } }).content_block.type),
    ).toEqual(['thinking', 'text']);
    expect(a.at(-2)!.data).toMatchObject({ delta: { stop_reason: 'max_tokens' } });
    const without = new AnthropicStreamTranslator({ id: 'm', model: 'a', thinking: false, inputTokens: 0 });
    const b = [
      ...without.push(chunk({ reasoning: 'ponder' })),
      ...without.push(chunk({ content: 'ok' }, 'stop')),
      ...without.end(),
    ];
    expect(JSON.stringify(b)).not.toContain('ponder');
  });

  it('a mid-stream failure ends with an error event and no message_stop', () => {
    const t = new AnthropicStreamTranslator({ id: 'm', model: 'a', thinking: false, inputTokens: 0 });
    const events = [
      ...t.push(chunk({ content: 'Hal' })),
      ...t.push(chunk({ content: '' }, 'error', { error: { code: 502, message: 'cut' } })),
      ...t.end(),
    ];
    expect(names(events).slice(-1)).toEqual(['error']);
    expect(names(events)).not.toContain('message_stop');
    expect(events.at(-1)!.data).toEqual({ type: 'error', error: { type: 'api_error', message: 'cut' } });
  });
});

describe('completionToMessage', () => {
  it('text, thinking and tool_use blocks with the mapped stop reason and usage', () => {
    const message = completionToMessage(
      {
        id: 'x',
        object: 'chat.completion',
        created: 1,
        model: 'm/free',
        choices: [
          {
            index: 0,
            finish_reason: 'tool_calls',
            logprobs: null,
            message: {
              role: 'assistant',
              content: 'Sure.',
              reasoning: 'think',
              tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
            },
          },
        ],
        usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
      },
      { id: 'msg_9', thinking: false },
    );
    expect(message).toEqual({
      id: 'msg_9',
      type: 'message',
      role: 'assistant',
      model: 'm/free',
      content: [
        { type: 'text', text: 'Sure.' },
        { type: 'tool_use', id: 'c1', name: 'f', input: { a: 1 } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: {
        input_tokens: 5,
        output_tokens: 2,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    });
  });
});

describe('toAnthropicError', () => {
  it('maps the hierarchy to Anthropic types and statuses, 503 to 529 overloaded', () => {
    expect(toAnthropicError(new RateLimitError('slow down', { retryAfterMs: 2500 }))).toEqual({
      status: 429,
      body: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } },
      headers: { 'retry-after': '3' },
    });
    expect(toAnthropicError(new NoModelAvailableError('none')).status).toBe(529);
    expect(toAnthropicError(new NoModelAvailableError('none')).body.error.type).toBe('overloaded_error');
    expect(toAnthropicError(new UpstreamError('bad')).body.error.type).toBe('api_error');
    expect(toAnthropicError(new Error('bug')).body.error).toEqual({
      type: 'api_error',
      message: 'Internal error in rotor',
    });
  });
});
