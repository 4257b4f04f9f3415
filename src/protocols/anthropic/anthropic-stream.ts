/**
 * Chat Completions chunks as the Anthropic Messages stream: `message_start`, `ping`, then per
 * content block `content_block_start` / `content_block_delta` (`text_delta`, `thinking_delta`,
 * `input_json_delta`) / `content_block_stop`, and at the end `message_delta` (stop reason, usage)
 * and `message_stop`. An upstream failure after the answer started ends the stream with an `error`
 * event and no `message_stop`, so no client mistakes a cut answer for a whole one. Pure: feed chunks,
 * get events.
 */
import type { ChunkDelta } from '../../chat/chat-types.js';
import { ChunkTranslator } from '../chunk-translator.js';
import type { SseEvent } from '../sse-event.js';
import { anthropicStreamError } from './anthropic-error.js';
import { anthropicUsage, stopReason } from './anthropic-message.js';

type OpenBlock =
  | { kind: 'text'; index: number }
  | { kind: 'thinking'; index: number }
  | { kind: 'tool_use'; index: number; toolIndex: number };

export class AnthropicStreamTranslator extends ChunkTranslator {
  private nextBlock = 0;
  private open: OpenBlock | undefined;

  constructor(
    private readonly options: {
      id: string;
      /** Until a chunk names the answering model. */
      model: string;
      thinking: boolean;
      /** Prompt size estimate for `message_start` (real counts come with `message_delta`). */
      inputTokens: number;
    },
  ) {
    super(options.model);
  }

  protected delta(out: SseEvent[], d: ChunkDelta): void {
    if (this.options.thinking && typeof d.reasoning === 'string' && d.reasoning.length > 0) {
      this.ensure(out, 'thinking');
      out.push(delta(this.open!.index, { type: 'thinking_delta', thinking: d.reasoning }));
    }
    if (typeof d.content === 'string' && d.content.length > 0) {
      this.ensure(out, 'text');
      out.push(delta(this.open!.index, { type: 'text_delta', text: d.content }));
    }
    for (const call of d.tool_calls ?? []) {
      const open = this.open;
      if (open?.kind !== 'tool_use' || open.toolIndex !== call.index) {
        this.close(out);
        const index = this.nextBlock++;
        this.open = { kind: 'tool_use', index, toolIndex: call.index };
        const block = {
          type: 'tool_use',
          id: call.id ?? `toolu_${index}`,
          name: call.function?.name ?? '',
          input: {},
        };
        out.push({
          event: 'content_block_start',
          data: { type: 'content_block_start', index, content_block: block },
        });
      }
      const args = call.function?.arguments;
      if (args) out.push(delta(this.open!.index, { type: 'input_json_delta', partial_json: args }));
    }
  }

  /** `message_delta` (stop reason, usage) and `message_stop`. */
  protected completed(out: SseEvent[]): void {
    out.push({
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: stopReason(this.finish, this.nativeFinish), stop_sequence: null },
        usage: anthropicUsage(this.usage, this.options.inputTokens),
      },
    });
    out.push({ event: 'message_stop', data: { type: 'message_stop' } });
  }

  /** An `error` event, and no `message_stop`. */
  protected failed(out: SseEvent[], code: number | string, message: string): void {
    out.push({ event: 'error', data: anthropicStreamError(code, message) });
  }

  /** `message_start`, then a `ping` as Anthropic sends one. */
  protected opening(out: SseEvent[]): void {
    out.push({
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          id: this.options.id,
          type: 'message',
          role: 'assistant',
          model: this.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...anthropicUsage(undefined, this.options.inputTokens), output_tokens: 1 },
        },
      },
    });
    out.push({ event: 'ping', data: { type: 'ping' } });
  }

  private ensure(out: SseEvent[], kind: 'text' | 'thinking'): void {
    if (this.open?.kind === kind) return;
    this.close(out);
    const index = this.nextBlock++;
    this.open = { kind, index };
    const block =
      kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' };
    out.push({
      event: 'content_block_start',
      data: { type: 'content_block_start', index, content_block: block },
    });
  }

  protected close(out: SseEvent[]): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    if (open.kind === 'thinking') {
      // Free models sign nothing; an empty signature keeps the block's shape.
      out.push(delta(open.index, { type: 'signature_delta', signature: '' }));
    }
    out.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index: open.index } });
  }
}

function delta(index: number, d: Record<string, unknown>): SseEvent {
  return { event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: d } };
}
