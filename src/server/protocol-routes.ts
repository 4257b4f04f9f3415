/**
 * Which protocol a path speaks: `/v1/messages` (Anthropic Messages, also `/messages`),
 * `/v1/messages/count_tokens`, `/v1/responses` (OpenAI Responses, also `/responses`), and the
 * error shape a client of that path expects — also for errors raised before routing (auth, 404).
 */
import { toAnthropicError } from '../protocols/anthropic/anthropic-error.js';

export type ProtocolRouteName = 'messages' | 'count_tokens' | 'responses';

export function protocolRoute(method: string, path: string): ProtocolRouteName | undefined {
  if (method !== 'POST') return undefined;
  switch (path) {
    case '/v1/messages':
    case '/messages':
      return 'messages';
    case '/v1/messages/count_tokens':
    case '/messages/count_tokens':
      return 'count_tokens';
    case '/v1/responses':
    case '/responses':
      return 'responses';
    default:
      return undefined;
  }
}

/** Anthropic clients get Anthropic-shaped errors; everyone else OpenAI's (the default mapping). */
export function errorShapeFor(path: string): typeof toAnthropicError | undefined {
  return path === '/v1/messages' ||
    path.startsWith('/v1/messages/') ||
    path === '/messages' ||
    path.startsWith('/messages/')
    ? toAnthropicError
    : undefined;
}
