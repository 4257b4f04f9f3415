/**
 * The inverse of assembly: a whole `chat.completion` as the chunks a stream would have carried.
 * Some providers ignore `stream: true` and answer with one JSON body; the transport turns that
 * body into chunks so everything downstream sees a single, streaming shape.
 */
import type { ChatCompletion, ChatCompletionChunk, ChunkDelta, ToolCallDelta } from './chat-types.js';

/** One chunk per choice carrying its whole message, then a usage-only chunk if usage is known. */
export function completionToChunks(completion: ChatCompletion): ChatCompletionChunk[] {
  const chunks: ChatCompletionChunk[] = [];
  const base = {
    id: completion.id,
    object: 'chat.completion.chunk' as const,
    created: completion.created,
    model: completion.model,
    ...(completion.provider !== undefined ? { provider: completion.provider } : {}),
    ...(completion.system_fingerprint !== undefined
      ? { system_fingerprint: completion.system_fingerprint }
      : {}),
  };
  for (const choice of completion.choices ?? []) {
    const m = choice.message;
    const delta: ChunkDelta = { role: 'assistant', content: m?.content ?? null };
    if (m?.reasoning != null) delta.reasoning = m.reasoning;
    if (m?.refusal != null) delta.refusal = m.refusal;
    if (m?.tool_calls?.length) {
      delta.tool_calls = m.tool_calls.map(
        (t, index): ToolCallDelta => ({
          index,
          id: t.id,
          type: t.type,
          function: { name: t.function.name, arguments: t.function.arguments },
        }),
      );
    }
    chunks.push({
      ...base,
      choices: [
        {
          index: choice.index,
          delta,
          finish_reason: choice.finish_reason,
          ...(choice.native_finish_reason !== undefined
            ? { native_finish_reason: choice.native_finish_reason }
            : {}),
          ...(choice.logprobs != null ? { logprobs: choice.logprobs } : {}),
        },
      ],
    });
  }
  if (completion.usage) chunks.push({ ...base, choices: [], usage: completion.usage });
  return chunks;
}
