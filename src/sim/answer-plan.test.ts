import { describe, expect, it } from 'vitest';
import {
  afterPrefill,
  type ChatRequest,
  chooseTool,
  estimatePromptTokens,
  planAnswer,
  splitIntoParts,
} from './answer-plan.js';

const tool = (name: string) => ({
  type: 'function',
  function: { name, parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } },
});

function request(content: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'm', messages: [{ role: 'user', content }], ...extra };
}

const options = { seed: 1, completionTokens: 8, promptTokens: 10 };

describe('answer plan', () => {
  it('is the same for the same seed and prompt, and differs with either', () => {
    const a = planAnswer(request('hello'), options);
    expect(planAnswer(request('hello'), options)).toEqual(a);
    expect(planAnswer(request('hello'), { ...options, seed: 2 })).not.toEqual(a);
    expect(planAnswer(request('goodbye'), options)).not.toEqual(a);
  });

  it('calls a tool only when the rule says so', () => {
    const tools = [tool('search'), tool('get_weather')];
    expect(chooseTool(request('Say hi', { tools }))).toBeUndefined();
    expect(chooseTool(request('please use a tool', { tools }))?.function?.name).toBe('search');
    expect(chooseTool(request('what does GET_WEATHER say?', { tools }))?.function?.name).toBe('get_weather');
    expect(chooseTool(request('Say hi', { tools, tool_choice: 'required' }))?.function?.name).toBe('search');
    expect(
      chooseTool(
        request('Say hi', { tools, tool_choice: { type: 'function', function: { name: 'get_weather' } } }),
      )?.function?.name,
    ).toBe('get_weather');
    expect(chooseTool(request('use a tool', { tools, tool_choice: 'none' }))).toBeUndefined();
    const afterResult: ChatRequest = {
      model: 'm',
      tools,
      messages: [
        { role: 'user', content: 'use a tool' },
        { role: 'tool', content: '42' },
      ],
    };
    expect(chooseTool(afterResult)).toBeUndefined();
  });

  it('splits tool arguments into parts that join back', () => {
    expect(splitIntoParts('{"q":"abcdef"}', 4).join('')).toBe('{"q":"abcdef"}');
    expect(splitIntoParts('{"q":"abcdef"}', 4)).toHaveLength(4);
    const plan = planAnswer(request('use search', { tools: [tool('search')] }), options);
    expect(plan.kind).toBe('tool_call');
    if (plan.kind === 'tool_call') expect(JSON.parse(plan.argumentParts.join(''))).toHaveProperty('q');
  });

  it('estimates about one token per four characters plus framing', () => {
    expect(estimatePromptTokens(request('x'.repeat(400)))).toBe(104);
    expect(estimatePromptTokens(request([{ type: 'text', text: 'abcd' }] as unknown as string))).toBe(5);
  });
});

describe('a prefilled answer is continued', () => {
  const tokens = ['Hello', ' big', ' world.'];
  const withPrefill = (content: string) => [
    { role: 'user', content: 'hi' },
    { role: 'assistant', content },
  ];
  it('sends only what follows the prefill, finishing a token cut in the middle', () => {
    expect(afterPrefill(tokens, withPrefill('Hello'))).toEqual([' big', ' world.']);
    expect(afterPrefill(tokens, withPrefill('Hello b'))).toEqual(['ig', ' world.']);
    expect(afterPrefill(tokens, withPrefill('Hello big world.'))).toEqual([]);
  });
  it('ignores a prefill the answer does not start with, an empty one, or none', () => {
    expect(afterPrefill(tokens, withPrefill('Goodbye'))).toEqual(tokens);
    expect(afterPrefill(tokens, withPrefill(''))).toEqual(tokens);
    expect(afterPrefill(tokens, [{ role: 'user', content: 'Hello' }])).toEqual(tokens);
  });
});
