/**
 * A chat completion as the Anthropic Messages API's `message` object (the non-streaming answer),
 * and the pieces the streaming translator shares: stop reasons, usage, tool input.
 */
import type { ChatCompletion, FinishReason, Usage } from '../../chat/chat-types.js';

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export type AnthropicOutputBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown };

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicOutputBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

/**
 * Chat Completions' finish reason as Anthropic's stop reason. A stop sequence is recognised when
 * the provider says so (`native_finish_reason: "stop_sequence"`); OpenAI-style `stop` cannot tell.
 */
export function stopReason(finish: FinishReason | null, native?: string | null): StopReason {
  switch (finish) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return native === 'stop_sequence' ? 'stop_sequence' : 'end_turn';
  }
}

export function anthropicUsage(usage: Usage | null | undefined, inputEstimate = 0): AnthropicUsage {
  const details = usage?.prompt_tokens_details as { cached_tokens?: number } | undefined;
  return {
    input_tokens: usage?.prompt_tokens ?? inputEstimate,
    output_tokens: usage?.completion_tokens ?? 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: details?.cached_tokens ?? 0,
  };
}

/** Tool arguments as the `input` object; arguments that are not a JSON object are kept whole. */
export function toolInput(args: string): unknown {
  if (args.trim() === '') return {};
  try {
    const parsed = JSON.parse(args) as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? parsed
      : { value: parsed };
  } catch {
    return { raw_arguments: args };
  }
}

export function completionToMessage(
  completion: ChatCompletion,
  options: { id: string; thinking: boolean },
): AnthropicMessage {
  const choice = completion.choices[0];
  const message = choice?.message;
  const content: AnthropicOutputBlock[] = [];
  if (options.thinking && message?.reasoning) {
    content.push({ type: 'thinking', thinking: message.reasoning, signature: '' });
  }
  if (message?.content) content.push({ type: 'text', text: message.content });
  for (const call of message?.tool_calls ?? []) {
    content.push({
      type: 'tool_use',
      id: call.id,
      name: call.function.name,
      input: toolInput(call.function.arguments),
    });
  }
  return {
    id: options.id,
    type: 'message',
    role: 'assistant',
    model: completion.model,
    content,
    stop_reason: stopReason(choice?.finish_reason ?? null, choice?.native_finish_reason),
    stop_sequence: null,
    usage: anthropicUsage(completion.usage),
  };
}
