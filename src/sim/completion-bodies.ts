/**
 * Successful chat completions in OpenRouter's shapes: the non-streaming body, and the chunks of a
 * stream (content deltas, a final chunk with `finish_reason`, one usage chunk with empty
 * `choices`). Chunk fields follow stream-midstream-error.sse: id, object, created, model, provider.
 */
import type { AnswerPlan } from './answer-plan.js';
import type { GenerationMeta } from './openrouter-bodies.js';

type FinishReason = 'stop' | 'length' | 'tool_calls';

function finishReasonOf(plan: AnswerPlan): FinishReason {
  return plan.kind === 'tool_call' ? 'tool_calls' : plan.finishReason;
}

/** The non-streaming `chat.completion` body. */
export function completionBody(meta: GenerationMeta, plan: AnswerPlan): Record<string, unknown> {
  const message =
    plan.kind === 'tool_call'
      ? {
          role: 'assistant',
          content: '',
          refusal: null,
          reasoning: null,
          tool_calls: [
            {
              id: plan.callId,
              index: 0,
              type: 'function',
              function: { name: plan.name, arguments: plan.argumentParts.join('') },
            },
          ],
        }
      : { role: 'assistant', content: plan.tokens.join(''), refusal: null, reasoning: null };
  const finishReason = finishReasonOf(plan);
  return {
    id: meta.id,
    provider: meta.provider,
    model: meta.model,
    object: 'chat.completion',
    created: meta.created,
    choices: [
      { logprobs: null, finish_reason: finishReason, native_finish_reason: finishReason, index: 0, message },
    ],
    usage: plan.usage,
  };
}

function chunk(
  meta: GenerationMeta,
  choices: unknown[],
  extra?: Record<string, unknown>,
): Record<string, unknown> {
  return {
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    provider: meta.provider,
    choices,
    ...extra,
  };
}

/** The chunks carrying the answer itself, one token (or one piece of tool arguments) each. */
export function contentChunks(meta: GenerationMeta, plan: AnswerPlan): Record<string, unknown>[] {
  if (plan.kind === 'tool_call') {
    return plan.argumentParts.map((part, i) => {
      const call =
        i === 0
          ? { index: 0, id: plan.callId, type: 'function', function: { name: plan.name, arguments: part } }
          : { index: 0, function: { arguments: part } };
      const delta =
        i === 0 ? { role: 'assistant', content: null, tool_calls: [call] } : { tool_calls: [call] };
      return chunk(meta, [{ index: 0, delta, finish_reason: null }]);
    });
  }
  return plan.tokens.map((token, i) =>
    chunk(meta, [
      {
        index: 0,
        delta: i === 0 ? { role: 'assistant', content: token } : { content: token },
        finish_reason: null,
      },
    ]),
  );
}

/**
 * The role-only chunk a stream opens with, as OpenRouter's do: no content yet. A gateway that
 * commits its answer on this chunk rather than the first content has committed to nothing.
 */
export function roleChunk(meta: GenerationMeta): Record<string, unknown> {
  return chunk(meta, [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
}

/** The chunk that closes the answer with its `finish_reason`. */
export function finalChunk(meta: GenerationMeta, plan: AnswerPlan): Record<string, unknown> {
  const finishReason = finishReasonOf(plan);
  return chunk(meta, [
    { index: 0, delta: { content: '' }, finish_reason: finishReason, native_finish_reason: finishReason },
  ]);
}

/** The one usage chunk before `[DONE]`: empty `choices`. */
export function usageChunk(meta: GenerationMeta, plan: AnswerPlan): Record<string, unknown> {
  return chunk(meta, [], { usage: plan.usage });
}
