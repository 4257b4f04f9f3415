/**
 * Successful answers in the plain OpenAI shape every OpenAI-compatible provider uses: the
 * `chat.completion` body, and the stream's chunks — a role-only opening chunk, one chunk per token,
 * a final chunk with `finish_reason`, usage (a chunk of its own with empty `choices` when the
 * request asked with `stream_options.include_usage`, or inside the final chunk where the provider
 * always sends it), then `data: [DONE]`. No OpenRouter fields (`provider`, `native_finish_reason`).
 */
import type { AnswerPlan } from '../answer-plan.js';

export interface ProviderMeta {
  id: string;
  model: string;
  created: number;
  /** Provider-specific fields on the body and every chunk (`x_groq`, `system_fingerprint`). */
  extras: Record<string, unknown>;
  /** The tool-call id as this provider writes it (Mistral: 9 letters/digits). */
  toolCallId: string;
}

function finishReason(plan: AnswerPlan): 'stop' | 'length' | 'tool_calls' {
  return plan.kind === 'tool_call' ? 'tool_calls' : plan.finishReason;
}

export function providerCompletionBody(meta: ProviderMeta, plan: AnswerPlan): Record<string, unknown> {
  const message =
    plan.kind === 'tool_call'
      ? {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: meta.toolCallId,
              type: 'function',
              function: { name: plan.name, arguments: plan.argumentParts.join('') },
            },
          ],
        }
      : { role: 'assistant', content: plan.tokens.join('') };
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(plan) }],
    usage: plan.usage,
    ...meta.extras,
  };
}

function chunk(
  meta: ProviderMeta,
  choices: unknown[],
  extra?: Record<string, unknown>,
): Record<string, unknown> {
  return {
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    choices,
    ...meta.extras,
    ...extra,
  };
}

/** Every chunk of a complete stream, in order (without `[DONE]`). */
export function providerStreamChunks(
  meta: ProviderMeta,
  plan: AnswerPlan,
  usage: 'none' | 'own_chunk' | 'final_chunk',
): { role: Record<string, unknown>; content: Record<string, unknown>[]; tail: Record<string, unknown>[] } {
  const role = chunk(meta, [
    { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
  ]);
  const content =
    plan.kind === 'tool_call'
      ? plan.argumentParts.map((part, i) => {
          const call =
            i === 0
              ? {
                  index: 0,
                  id: meta.toolCallId,
                  type: 'function',
                  function: { name: plan.name, arguments: part },
                }
              : { index: 0, function: { arguments: part } };
          return chunk(meta, [
            { index: 0, delta: { tool_calls: [call] }, logprobs: null, finish_reason: null },
          ]);
        })
      : plan.tokens.map((token) =>
          chunk(meta, [{ index: 0, delta: { content: token }, logprobs: null, finish_reason: null }]),
        );
  const final = chunk(
    meta,
    [{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason(plan) }],
    usage === 'final_chunk' ? { usage: plan.usage } : undefined,
  );
  const tail = [final];
  if (usage === 'own_chunk') tail.push(chunk(meta, [], { usage: plan.usage }));
  return { role, content, tail };
}
