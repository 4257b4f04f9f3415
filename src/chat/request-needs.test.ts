import { describe, expect, it } from 'vitest';
import { parseChatRequest } from './chat-request-schema.js';
import { requestNeeds } from './request-needs.js';

describe('requestNeeds', () => {
  it('a plain user message needs nothing special', () => {
    const n = requestNeeds(
      parseChatRequest({ model: 'auto', messages: [{ role: 'user', content: 'x'.repeat(40) }] }),
    );
    expect(n).toEqual({ tools: false, vision: false, systemPrompt: false, estimatedPromptTokens: 10 + 4 });
  });

  it('detects a system or developer prompt', () => {
    for (const role of ['system', 'developer']) {
      const req = parseChatRequest({
        model: 'auto',
        messages: [
          { role, content: 'be nice' },
          { role: 'user', content: 'hi' },
        ],
      });
      expect(requestNeeds(req).systemPrompt).toBe(true);
    }
  });

  it('detects images in content parts and counts only their text', () => {
    const n = requestNeeds(
      parseChatRequest({
        model: 'auto',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'abcdefgh' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(10_000)}` } },
            ],
          },
        ],
      }),
    );
    expect(n.vision).toBe(true);
    expect(n.estimatedPromptTokens).toBe(2 + 4);
  });

  it('needs tools when tools are declared or the history holds tool calls', () => {
    const declared = parseChatRequest({
      model: 'auto',
      messages: [{ role: 'user', content: '' }],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
    });
    const n = requestNeeds(declared);
    expect(n.tools).toBe(true);
    expect(n.estimatedPromptTokens).toBe(Math.ceil(JSON.stringify(declared.tools).length / 4) + 4);

    const history = parseChatRequest({
      model: 'auto',
      messages: [
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', content: 'ok', tool_call_id: 'a' },
      ],
    });
    expect(requestNeeds(history).tools).toBe(true);
  });
});
