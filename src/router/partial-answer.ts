/**
 * What a streamed answer has shown the client so far, kept only when a cut answer may be continued
 * (`streaming.continueAfterCut`): its text, and whether anything but plain text went out. A cut
 * inside a tool call's arguments, a refusal, or an answer with no text yet is never continued —
 * the continuation would have to produce half a JSON value, or start the answer over.
 */
import type { ChatCompletionChunk } from '../chat/chat-types.js';

export class PartialAnswer {
  text = '';
  private plain = true;

  observe(chunk: ChatCompletionChunk): void {
    for (const c of chunk.choices ?? []) {
      const d = c.delta;
      if (!d) continue;
      if (typeof d.content === 'string') this.text += d.content;
      if ((d.tool_calls && d.tool_calls.length > 0) || d.refusal) this.plain = false;
    }
  }

  /** Plain text so far, and some of it. */
  get continuable(): boolean {
    return this.plain && this.text.length > 0;
  }
}

/**
 * The same request, with the text already sent as the assistant's own words (prefill): the next
 * model is asked to continue it, not to answer anew.
 */
export function prefillBody(body: Record<string, unknown>, text: string): Record<string, unknown> {
  const messages = Array.isArray(body['messages']) ? (body['messages'] as unknown[]) : [];
  return { ...body, messages: [...messages, { role: 'assistant', content: text }] };
}
