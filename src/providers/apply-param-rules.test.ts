import { beforeAll, describe, expect, it } from 'vitest';
import { applyParamRules } from './apply-param-rules.js';
import { loadProviderCatalog } from './provider-catalog-file.js';
import type { ParamRule } from './provider-catalog-schema.js';

let rulesOf: (id: string) => ParamRule[];
beforeAll(async () => {
  const catalog = await loadProviderCatalog();
  rulesOf = (id) => catalog.providers.find((p) => p.id === id)!.params;
});

const user = { role: 'user', content: 'hi' };

describe('Mistral: the fields it answers 422 extra_forbidden to', () => {
  it('drops stream_options and sends max_completion_tokens as max_tokens', () => {
    const body = {
      model: 'mistral-large-latest',
      messages: [user],
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 32000,
    };
    const { body: sent, changes } = applyParamRules(rulesOf('mistral'), body);
    expect(sent).toEqual({
      model: 'mistral-large-latest',
      messages: [user],
      stream: true,
      max_tokens: 32000,
    });
    expect(changes).toEqual([
      { param: 'stream_options', action: 'dropped' },
      { param: 'max_completion_tokens', action: 'renamed', detail: 'sent as max_tokens' },
    ]);
    expect(body).toHaveProperty('stream_options'); // the caller's body is untouched
  });

  it("keeps the client's own max_tokens when both are given", () => {
    const { body } = applyParamRules(rulesOf('mistral'), {
      messages: [user],
      max_tokens: 100,
      max_completion_tokens: 9,
    });
    expect(body).toEqual({ messages: [user], max_tokens: 100 });
  });

  it('drops n only when it is 1 (n: 2 cannot be served by stripping it)', () => {
    expect(applyParamRules(rulesOf('mistral'), { messages: [user], n: 1 }).body).toEqual({
      messages: [user],
    });
    expect(applyParamRules(rulesOf('mistral'), { messages: [user], n: 2 }).body).toEqual({
      messages: [user],
      n: 2,
    });
  });

  it('rewrites tool-call ids to 9 letters/digits, the same in the call and its result, and keeps valid ones', () => {
    const body = {
      messages: [
        user,
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_abc-123', type: 'function', function: { name: 'f', arguments: '{}' } },
            { id: 'Ab3dE6gH9', type: 'function', function: { name: 'g', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_abc-123', content: '1' },
        { role: 'tool', tool_call_id: 'Ab3dE6gH9', content: '2' },
      ],
    };
    const first = applyParamRules(rulesOf('mistral'), body);
    const calls = (first.body['messages'] as { tool_calls?: { id: string }[]; tool_call_id?: string }[])[1]!
      .tool_calls!;
    const results = (first.body['messages'] as { tool_call_id?: string }[])
      .slice(2)
      .map((m) => m.tool_call_id);
    expect(calls[0]!.id).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(calls[0]!.id).not.toBe('call_abc-123');
    expect(calls[1]!.id).toBe('Ab3dE6gH9');
    expect(results).toEqual([calls[0]!.id, 'Ab3dE6gH9']);
    expect(first.changes).toContainEqual({ param: 'tool_call_id', action: 'rewritten', detail: '1 id(s)' });
    // Deterministic: a retry sends the same ids.
    expect(applyParamRules(rulesOf('mistral'), body).body).toEqual(first.body);
  });
});

describe('other providers', () => {
  it('NVIDIA: tool_choice "auto" is dropped (it is the default), "required" is kept', () => {
    const tools = [{ type: 'function', function: { name: 'f', parameters: {} } }];
    expect(applyParamRules(rulesOf('nvidia'), { messages: [user], tools, tool_choice: 'auto' }).body).toEqual(
      {
        messages: [user],
        tools,
      },
    );
    expect(
      applyParamRules(rulesOf('nvidia'), { messages: [user], tools, tool_choice: 'required' }).changes,
    ).toEqual([]);
  });

  it('Groq: logprobs, top_logprobs, logit_bias and messages[].name are dropped', () => {
    const { body, changes } = applyParamRules(rulesOf('groq'), {
      messages: [
        { role: 'user', name: 'ann', content: 'a' },
        { role: 'assistant', content: 'b' },
      ],
      logprobs: true,
      top_logprobs: 2,
      logit_bias: { '1': 2 },
      temperature: 0,
    });
    expect(body).toEqual({
      messages: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
      ],
      temperature: 0,
    });
    expect(changes.map((c) => c.param)).toEqual([
      'logprobs',
      'top_logprobs',
      'logit_bias',
      'messages[].name',
    ]);
  });

  it('Gemini: the fields it calls "Unknown name" are dropped', () => {
    const { body } = applyParamRules(rulesOf('gemini'), {
      messages: [user],
      frequency_penalty: 0.5,
      top_k: 40,
      reasoning: { effort: 'low' },
      prompt_cache_key: 'k',
      reasoning_effort: 'low',
    });
    expect(body).toEqual({ messages: [user], reasoning_effort: 'low' });
  });

  it('Cloudflare: text-part arrays and null content become strings; an image part is left alone', () => {
    const image = { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:,' } }] };
    const { body, changes } = applyParamRules(rulesOf('cloudflare'), {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'one' },
            { type: 'text', text: 'two' },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [] },
        image,
      ],
    });
    expect(body['messages']).toEqual([
      { role: 'user', content: 'one\ntwo' },
      { role: 'assistant', content: '', tool_calls: [] },
      image,
    ]);
    expect(changes).toEqual([{ param: 'messages[].content', action: 'flattened' }]);
  });

  it('a provider without rules gets the body unchanged', () => {
    const body = { messages: [user], stream_options: { include_usage: true }, max_completion_tokens: 5 };
    expect(applyParamRules(rulesOf('openrouter'), body)).toEqual({ body, changes: [] });
  });
});
