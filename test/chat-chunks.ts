/** Chat Completions chunks as OpenRouter streams them, for the protocol translators' unit tests. */
import type { ChatCompletionChunk, Usage } from '../src/chat/chat-types.js';

export const CHUNK_MODEL = 'm/free';

/** One chunk with a single choice. */
export function chunk(
  delta: Record<string, unknown>,
  finish: string | null = null,
  extra: Partial<ChatCompletionChunk> = {},
): ChatCompletionChunk {
  return {
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: CHUNK_MODEL,
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...extra,
  } as ChatCompletionChunk;
}

/** The usage-only chunk that ends an upstream stream (empty `choices`). */
export function usageChunk(usage: Usage): ChatCompletionChunk {
  return { id: 'c1', object: 'chat.completion.chunk', created: 1, model: CHUNK_MODEL, choices: [], usage };
}
