/**
 * The error shape a client of a path expects — also for errors raised before routing (auth, 404,
 * 405): Anthropic's on `/v1/messages…` (and `/messages…`), OpenAI's everywhere else.
 */
import { toAnthropicError } from '../protocols/anthropic/anthropic-error.js';

/** Anthropic clients get Anthropic-shaped errors; everyone else OpenAI's (the default mapping). */
export function errorShapeFor(path: string): typeof toAnthropicError | undefined {
  return path === '/v1/messages' ||
    path.startsWith('/v1/messages/') ||
    path === '/messages' ||
    path.startsWith('/messages/')
    ? toAnthropicError
    : undefined;
}
