import { describe, expect, it } from 'vitest';
import { chunk, usageChunk as makeUsageChunk } from '../../../test/chat-chunks.js';
import { completionToResponse } from './response-object.js';
import { parseResponsesRequest } from './responses-request-schema.js';
import { ResponsesStreamTranslator } from './responses-stream.js';

const usage = { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 };
const usageChunk = makeUsageChunk(usage);
const request = parseResponsesRequest({ model: 'auto', input: 'hi', store: false });

function translator() {
  let n = 0;
  return new ResponsesStreamTranslator(request, {
    responseId: 'resp_1',
    createdAt: 100,
    model: 'auto',
    newId: (p) => `${p}_${++n}`,
  });
}
const types = (events: { event: string }[]) => events.map((e) => e.event);

describe('ResponsesStreamTranslator', () => {
  it('text: the events clients rely on, numbered, ending in response.completed with the output', () => {
    const t = translator();
    const events = [
      ...t.push(chunk({ role: 'assistant', content: '' })),
      ...t.push(chunk({ content: 'Hi ' })),
      ...t.push(chunk({ content: 'there' }, 'stop')),
      ...t.push(usageChunk),
      ...t.end(),
    ];
    expect(types(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => (e.data as { sequence_number: number }).sequence_number)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
    expect(events.every((e) => (e.data as { type: string }).type === e.event)).toBe(true);
    expect(events[6]!.data).toMatchObject({ item_id: 'msg_1', text: 'Hi there' });
    expect(events[9]!.data).toMatchObject({
      response: {
        id: 'resp_1',
        status: 'completed',
        model: 'm/free',
        store: false,
        output: [
          {
            type: 'message',
            id: 'msg_1',
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'Hi there' }],
          },
        ],
        usage: { input_tokens: 10, output_tokens: 4, total_tokens: 14 },
      },
    });
  });

  it('function calls: item added, argument deltas, .done with the whole arguments', () => {
    const t = translator();
    const events = [
      ...t.push(
        chunk({
          tool_calls: [
            { index: 0, id: 'call_a', type: 'function', function: { name: 'f', arguments: '{"x"' } },
          ],
        }),
      ),
      ...t.push(chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] })),
      ...t.push(
        chunk(
          { tool_calls: [{ index: 1, id: 'call_b', function: { name: 'g', arguments: '{}' } }] },
          'tool_calls',
        ),
      ),
      ...t.end(),
    ];
    expect(types(events).slice(2)).toEqual([
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[5]!.data).toMatchObject({ item_id: 'fc_1', arguments: '{"x":1}', name: 'f' });
    expect((events.at(-1)!.data as { response: { output: unknown[] } }).response.output).toEqual([
      {
        type: 'function_call',
        id: 'fc_1',
        call_id: 'call_a',
        name: 'f',
        arguments: '{"x":1}',
        status: 'completed',
      },
      {
        type: 'function_call',
        id: 'fc_2',
        call_id: 'call_b',
        name: 'g',
        arguments: '{}',
        status: 'completed',
      },
    ]);
  });

  it('length is response.incomplete with max_output_tokens', () => {
    const t = translator();
    const events = [...t.push(chunk({ content: 'cut' }, 'length')), ...t.end()];
    expect(events.at(-1)!.data).toMatchObject({
      type: 'response.incomplete',
      response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } },
    });
  });

  it('a mid-stream failure is response.failed, never completed', () => {
    const t = translator();
    const events = [
      ...t.push(chunk({ content: 'Hal' })),
      ...t.push(chunk({ content: '' }, 'error', { error: { code: 502, message: 'cut' } })),
      ...t.end(),
    ];
    expect(types(events).at(-1)).toBe('response.failed');
    expect(types(events)).not.toContain('response.completed');
    expect(events.at(-1)!.data).toMatchObject({
      response: { status: 'failed', error: { code: 'server_error', message: 'cut' } },
    });
  });
});

describe('completionToResponse', () => {
  it('message and function_call items, usage and status', () => {
    let n = 0;
    const response = completionToResponse(
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
              content: 'ok',
              tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
            },
          },
        ],
        usage,
      },
      request,
      { responseId: 'resp_9', createdAt: 5, newId: (p) => `${p}_${++n}` },
    );
    expect(response).toMatchObject({
      id: 'resp_9',
      object: 'response',
      created_at: 5,
      status: 'completed',
      error: null,
      incomplete_details: null,
      model: 'm/free',
      output: [
        {
          type: 'message',
          id: 'msg_1',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'ok', annotations: [] }],
        },
        {
          type: 'function_call',
          id: 'fc_2',
          call_id: 'call_1',
          name: 'f',
          arguments: '{}',
          status: 'completed',
        },
      ],
      usage: {
        input_tokens: 10,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 4,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 14,
      },
    });
  });
});
