/** Reading and writing stream chunks at the commit point: what counts as content, and the in-band error that ends a committed stream. */
import type { ChatCompletionChunk } from '../chat/chat-types.js';
import type { Failure } from '../engine/failure.js';

/** A chunk carries content once it would show the client something: text, reasoning, a tool call or a refusal. */
export function hasContent(chunk: ChatCompletionChunk): boolean {
  for (const c of chunk.choices ?? []) {
    const d = c.delta;
    if (!d) continue;
    if (d.content || d.reasoning || d.refusal) return true;
    if (d.tool_calls && d.tool_calls.length > 0) return true;
  }
  return false;
}

/** The in-band error that ends a committed stream, in OpenRouter's own shape, with the stream's own id. */
export function errorChunk(
  failure: Failure,
  model: string,
  nowMs: number,
  streamId?: string,
): ChatCompletionChunk {
  return {
    id: streamId ?? `rotor-error-${nowMs}`,
    object: 'chat.completion.chunk',
    created: Math.floor(nowMs / 1000),
    model,
    choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
    error: {
      code: errorCode(failure),
      message: `The upstream failed after the answer had started (${failure.kind}): ${failure.message}. The answer above is incomplete.`,
      metadata: { error_type: failure.kind },
    },
  };
}

/** An HTTP-style error code for the in-band error: the upstream's own when it is one (never 200). */
export function errorCode(failure: Failure): number {
  if (failure.status !== undefined && failure.status >= 400) return failure.status;
  if (failure.kind === 'timeout') return 504;
  if (failure.kind === 'rate_limit') return 429;
  return 502;
}
