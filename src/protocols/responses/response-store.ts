/**
 * What `store: true` keeps, in memory and bounded: the conversation of each stored response (for
 * `previous_response_id`) and its output items (for `item_reference`, which the AI SDK sends for
 * earlier assistant messages unless told `store: false`). The oldest response goes first once
 * `maxResponses` are held; nothing survives a restart or is shared between replicas.
 */
import type { ChatMessage } from '../../chat/chat-request-schema.js';
import type { OutputItem } from './response-object.js';
import type { InputItem } from './responses-request-schema.js';
import type { ResponsesLookup } from './responses-to-chat.js';

export const DEFAULT_STORED_RESPONSES = 1000;

interface Stored {
  conversation: ChatMessage[];
  itemIds: string[];
}

export class ResponseStore implements ResponsesLookup {
  private readonly responses = new Map<string, Stored>();
  private readonly items = new Map<string, InputItem>();

  constructor(readonly maxResponses = DEFAULT_STORED_RESPONSES) {}

  get size(): number {
    return this.responses.size;
  }

  /** Keep a finished response: the messages it was asked with, and what it answered. */
  save(responseId: string, asked: readonly ChatMessage[], output: readonly OutputItem[]): void {
    if (this.maxResponses <= 0) return;
    const conversation = [...asked, ...outputMessages(output)];
    for (const item of output) this.items.set(item.id, item as unknown as InputItem);
    this.responses.set(responseId, { conversation, itemIds: output.map((i) => i.id) });
    while (this.responses.size > this.maxResponses) {
      const [oldest, stored] = this.responses.entries().next().value as [string, Stored];
      this.responses.delete(oldest);
      for (const id of stored.itemIds) this.items.delete(id);
    }
  }

  item(id: string): InputItem | undefined {
    return this.items.get(id);
  }

  conversation(responseId: string): ChatMessage[] | undefined {
    return this.responses.get(responseId)?.conversation;
  }
}

/** Output items as the chat messages they add to the conversation. */
function outputMessages(output: readonly OutputItem[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  let assistant: ChatMessage | undefined;
  const current = (): ChatMessage => {
    if (!assistant) {
      assistant = { role: 'assistant', content: null };
      messages.push(assistant);
    }
    return assistant;
  };
  for (const item of output) {
    if (item.type === 'message') {
      const m = current();
      m.content = (m.content ?? '') + item.content.map((p) => p.text).join('');
    } else {
      const m = current();
      m.tool_calls = [
        ...(m.tool_calls ?? []),
        { id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } },
      ];
    }
  }
  return messages;
}
