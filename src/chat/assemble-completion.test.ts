import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assembleCompletion, CompletionAssembler } from './assemble-completion.js';
import type { ChatCompletion, ChatCompletionChunk, ChunkChoice } from './chat-types.js';
import { completionToChunks } from './completion-to-chunks.js';

function chunk(choices: ChunkChoice[], extra: Partial<ChatCompletionChunk> = {}): ChatCompletionChunk {
  return {
    id: 'gen-1',
    object: 'chat.completion.chunk',
    created: 1700000000,
    model: 'm/x:free',
    provider: 'P',
    choices,
    ...extra,
  };
}

/** Cut `s` at the given (sorted, deduplicated) positions. */
function splitAt(s: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (s.length + 1)))].sort((a, b) => a - b);
  const parts: string[] = [];
  let prev = 0;
  for (const p of points) {
    parts.push(s.slice(prev, p));
    prev = p;
  }
  parts.push(s.slice(prev));
  return parts;
}

describe('assembleCompletion', () => {
  it('concatenates content, takes role, finish_reason, usage and ids from the chunks', () => {
    const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
    const c = assembleCompletion([
      chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
      chunk([{ index: 0, delta: { content: 'Hel' }, finish_reason: null }]),
      chunk([{ index: 0, delta: { content: 'lo' }, finish_reason: 'stop', native_finish_reason: 'stop' }]),
      chunk([], { usage }),
    ]);
    expect(c).toEqual({
      id: 'gen-1',
      object: 'chat.completion',
      created: 1700000000,
      model: 'm/x:free',
      provider: 'P',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello', refusal: null },
          finish_reason: 'stop',
          native_finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage,
    });
  });

  it('merges tool-call deltas by index: id/type/name from the first carrier, arguments concatenated', () => {
    const c = assembleCompletion([
      chunk([{ index: 0, delta: { role: 'assistant', content: null }, finish_reason: null }]),
      chunk([
        {
          index: 0,
          delta: {
            tool_calls: [
              { index: 0, id: 'call_a', type: 'function', function: { name: 'f', arguments: '' } },
            ],
          },
          finish_reason: null,
        },
      ]),
      chunk([
        {
          index: 0,
          delta: {
            tool_calls: [
              { index: 1, id: 'call_b', type: 'function', function: { name: 'g', arguments: '{"y"' } },
            ],
          },
          finish_reason: null,
        },
      ]),
      chunk([
        {
          index: 0,
          delta: { tool_calls: [{ index: 0, function: { arguments: '{"x":' } }] },
          finish_reason: null,
        },
      ]),
      // A later repeat of id/name must not overwrite the first.
      chunk([
        {
          index: 0,
          delta: { tool_calls: [{ index: 0, id: 'other', function: { name: 'zzz', arguments: '1}' } }] },
          finish_reason: null,
        },
      ]),
      chunk([
        {
          index: 0,
          delta: { tool_calls: [{ index: 1, function: { arguments: ':2}' } }] },
          finish_reason: 'tool_calls',
        },
      ]),
    ]);
    expect(c.choices[0]?.message).toEqual({
      role: 'assistant',
      content: null,
      refusal: null,
      tool_calls: [
        { id: 'call_a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } },
        { id: 'call_b', type: 'function', function: { name: 'g', arguments: '{"y":2}' } },
      ],
    });
    expect(c.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('concatenates reasoning deltas and keeps text content next to tool calls', () => {
    const c = assembleCompletion([
      chunk([{ index: 0, delta: { role: 'assistant', reasoning: 'think ' }, finish_reason: null }]),
      chunk([{ index: 0, delta: { reasoning: 'hard', content: 'Calling.' }, finish_reason: null }]),
      chunk([
        {
          index: 0,
          delta: {
            tool_calls: [{ index: 0, id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
          finish_reason: 'tool_calls',
        },
      ]),
    ]);
    expect(c.choices[0]?.message.reasoning).toBe('think hard');
    expect(c.choices[0]?.message.content).toBe('Calling.');
  });

  it('keeps several choices apart, ordered by index', () => {
    const c = assembleCompletion([
      chunk([{ index: 1, delta: { content: 'b' }, finish_reason: null }]),
      chunk([{ index: 0, delta: { content: 'a' }, finish_reason: 'stop' }]),
      chunk([{ index: 1, delta: { content: 'B' }, finish_reason: 'length' }]),
    ]);
    expect(c.choices.map((x) => [x.index, x.message.content, x.finish_reason])).toEqual([
      [0, 'a', 'stop'],
      [1, 'bB', 'length'],
    ]);
  });

  it('is the inverse of completionToChunks', () => {
    const original: ChatCompletion = {
      id: 'gen-2',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      provider: 'P',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            reasoning: 'r',
            tool_calls: [{ id: 'x', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
          },
          finish_reason: 'tool_calls',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    };
    expect(assembleCompletion(completionToChunks(original))).toEqual(original);
  });

  it('property: any split of content and tool arguments into deltas reassembles to the original', () => {
    const toolArb = fc.record({
      id: fc.string({ minLength: 1, maxLength: 8 }),
      name: fc.string({ minLength: 1, maxLength: 8 }),
      args: fc.string({ maxLength: 60 }),
      cuts: fc.array(fc.nat(), { maxLength: 8 }),
    });
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.array(toolArb, { maxLength: 3 }),
        fc.boolean(),
        (content, cuts, tools, interleave) => {
          const a = new CompletionAssembler();
          a.push(chunk([{ index: 0, delta: { role: 'assistant' }, finish_reason: null }]));
          for (const piece of splitAt(content, cuts)) {
            a.push(chunk([{ index: 0, delta: { content: piece }, finish_reason: null }]));
          }
          // Per-call delta lists: the first carries id/type/name, the rest only argument pieces.
          const perCall = tools.map((t, index) =>
            splitAt(t.args, t.cuts).map((piece, i) =>
              i === 0
                ? { index, id: t.id, type: 'function' as const, function: { name: t.name, arguments: piece } }
                : { index, function: { arguments: piece } },
            ),
          );
          const ordered = interleave ? roundRobin(perCall) : perCall.flat();
          for (const d of ordered) {
            a.push(chunk([{ index: 0, delta: { tool_calls: [d] }, finish_reason: null }]));
          }
          a.push(chunk([{ index: 0, delta: {}, finish_reason: tools.length ? 'tool_calls' : 'stop' }]));
          const msg = a.result().choices[0]!.message;
          const expectedContent = content === '' && tools.length > 0 ? null : content;
          expect(msg.content).toBe(expectedContent);
          expect(msg.tool_calls ?? []).toEqual(
            tools.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.args } })),
          );
        },
      ),
    );
  });
});

function roundRobin<T>(lists: T[][]): T[] {
  const out: T[] = [];
  const max = Math.max(0, ...lists.map((l) => l.length));
  for (let i = 0; i < max; i++) for (const l of lists) if (i < l.length) out.push(l[i]!);
  return out;
}
