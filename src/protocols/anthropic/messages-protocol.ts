/** The Anthropic Messages API as a `Protocol`: translation both ways and Anthropic-shaped errors. */
import { requestNeeds } from '../../chat/request-needs.js';
import { resolveModelAlias } from '../model-alias.js';
import type { Protocol } from '../protocol.js';
import { toAnthropicError } from './anthropic-error.js';
import { completionToMessage } from './anthropic-message.js';
import { AnthropicStreamTranslator } from './anthropic-stream.js';
import { parseCountTokensRequest, parseMessagesRequest } from './messages-request-schema.js';
import { messagesToChat } from './messages-to-chat.js';

interface MessagesState {
  id: string;
  model: string;
  thinking: boolean;
  inputTokens: number;
}

export const messagesProtocol: Protocol<MessagesState> = {
  route: 'messages',
  translate(body, ctx) {
    const request = parseMessagesRequest(body);
    const { chat, thinking } = messagesToChat(request, resolveModelAlias(request.model, ctx.aliases));
    const inputTokens = requestNeeds(chat).estimatedPromptTokens;
    return { chat, state: { id: ctx.newId('msg'), model: request.model, thinking, inputTokens } };
  },
  toJson: (completion, state) => completionToMessage(completion, state),
  stream: (state) => new AnthropicStreamTranslator(state),
  toWire: toAnthropicError,
};

/** `POST /v1/messages/count_tokens`: the same rough estimate the router uses to skip small-context models. */
export function countTokens(body: unknown): { input_tokens: number } {
  const request = parseCountTokensRequest(body);
  const { chat } = messagesToChat({ ...request, max_tokens: request.max_tokens ?? 1 }, request.model);
  return { input_tokens: requestNeeds(chat).estimatedPromptTokens };
}
