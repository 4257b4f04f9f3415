/**
 * The upstream's own JSON text of a parsed stream chunk, kept beside the object so the gateway can
 * forward those bytes instead of re-serialising every chunk (`JSON.stringify` per chunk showed in
 * the profile). A WeakMap rather than a property: chunks stay plain data for library users, and an
 * entry dies with its chunk. Whoever changes a chunk must `forgetRawChunkText` it.
 */
import type { ChatCompletionChunk } from './chat-types.js';

const rawText = new WeakMap<ChatCompletionChunk, string>();

/** Remember `text` as the exact serialisation of `chunk` (a single line: it is sent as one `data:` line). */
export function setRawChunkText(chunk: ChatCompletionChunk, text: string): void {
  rawText.set(chunk, text);
}

/** The upstream's text for an unchanged chunk, or undefined (serialise the object instead). */
export function rawChunkText(chunk: ChatCompletionChunk): string | undefined {
  return rawText.get(chunk);
}

/** The chunk was changed after parsing: its upstream text no longer describes it. */
export function forgetRawChunkText(chunk: ChatCompletionChunk): void {
  rawText.delete(chunk);
}
