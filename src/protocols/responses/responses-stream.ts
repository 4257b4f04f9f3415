/**
 * Chat Completions chunks as the Responses API stream: `response.created`, `response.in_progress`,
 * per output item `response.output_item.added`, then for a message `response.content_part.added`,
 * `response.output_text.delta`…`.done`, `response.content_part.done`, for a function call
 * `response.function_call_arguments.delta`…`.done`, then `response.output_item.done`; at the end
 * `response.completed` (or `response.incomplete` when the answer hit `max_output_tokens`). An
 * upstream failure after the answer started ends it with `response.failed`, never a completed
 * response. Every event carries `sequence_number`. Pure: feed chunks, get events.
 */
import type { ChunkDelta } from '../../chat/chat-types.js';
import { ChunkTranslator } from '../chunk-translator.js';
import type { SseEvent } from '../sse-event.js';
import {
  type IdMaker,
  type OutputItem,
  type ResponseObject,
  responseObject,
  responsesUsage,
  statusFor,
  textPart,
} from './response-object.js';
import { responsesStreamError } from './responses-error.js';
import type { ResponsesRequest } from './responses-request-schema.js';

type Open =
  | { kind: 'message'; outputIndex: number; id: string; text: string }
  | {
      kind: 'function_call';
      outputIndex: number;
      toolIndex: number;
      item: Extract<OutputItem, { type: 'function_call' }>;
    };

export class ResponsesStreamTranslator extends ChunkTranslator {
  private sequence = 0;
  private readonly output: OutputItem[] = [];
  private open: Open | undefined;

  constructor(
    private readonly request: ResponsesRequest,
    private readonly options: { responseId: string; createdAt: number; model: string; newId: IdMaker },
  ) {
    super(options.model);
  }

  /** The output items so far (whole once the stream completed), for the store. */
  get items(): readonly OutputItem[] {
    return this.output;
  }

  protected delta(out: SseEvent[], d: ChunkDelta): void {
    if (typeof d.content === 'string' && d.content.length > 0) {
      const open = this.ensureMessage(out);
      open.text += d.content;
      out.push(
        this.event('response.output_text.delta', {
          item_id: open.id,
          output_index: open.outputIndex,
          content_index: 0,
          delta: d.content,
          logprobs: [],
        }),
      );
    }
    for (const call of d.tool_calls ?? []) {
      let open = this.open;
      if (open?.kind !== 'function_call' || open.toolIndex !== call.index) {
        this.close(out);
        const item: Extract<OutputItem, { type: 'function_call' }> = {
          type: 'function_call',
          id: this.options.newId('fc'),
          call_id: call.id || this.options.newId('call'),
          name: call.function?.name ?? '',
          arguments: '',
          status: 'in_progress',
        };
        open = { kind: 'function_call', outputIndex: this.output.length, toolIndex: call.index, item };
        this.output.push(item);
        this.open = open;
        out.push(
          this.event('response.output_item.added', { output_index: open.outputIndex, item: { ...item } }),
        );
      }
      const args = call.function?.arguments;
      if (args) {
        open.item.arguments += args;
        out.push(
          this.event('response.function_call_arguments.delta', {
            item_id: open.item.id,
            output_index: open.outputIndex,
            delta: args,
          }),
        );
      }
    }
  }

  /** `response.completed`, or `response.incomplete` when the answer hit `max_output_tokens`. */
  protected completed(out: SseEvent[]): void {
    const status = statusFor(this.finish);
    const response = this.response({ ...status, usage: responsesUsage(this.usage), error: null });
    const type = status.status === 'incomplete' ? 'response.incomplete' : 'response.completed';
    out.push(this.event(type, { response }));
  }

  /** `response.failed`; open items stay `in_progress`: they were cut, and must not pass for whole. */
  protected failed(out: SseEvent[], code: number | string, message: string): void {
    const response = this.response({
      status: 'failed',
      incomplete_details: null,
      usage: responsesUsage(this.usage),
      error: responsesStreamError(code, message),
    });
    out.push(this.event('response.failed', { response }));
  }

  /** `response.created` and `response.in_progress`. */
  protected opening(out: SseEvent[]): void {
    const response = this.response({
      status: 'in_progress',
      incomplete_details: null,
      usage: null,
      error: null,
    });
    out.push(this.event('response.created', { response }));
    out.push(this.event('response.in_progress', { response }));
  }

  private ensureMessage(out: SseEvent[]): Extract<Open, { kind: 'message' }> {
    if (this.open?.kind === 'message') return this.open;
    this.close(out);
    const open = {
      kind: 'message' as const,
      outputIndex: this.output.length,
      id: this.options.newId('msg'),
      text: '',
    };
    this.output.push({ type: 'message', id: open.id, status: 'in_progress', role: 'assistant', content: [] });
    this.open = open;
    out.push(
      this.event('response.output_item.added', {
        output_index: open.outputIndex,
        item: { type: 'message', id: open.id, status: 'in_progress', role: 'assistant', content: [] },
      }),
    );
    out.push(
      this.event('response.content_part.added', {
        item_id: open.id,
        output_index: open.outputIndex,
        content_index: 0,
        part: textPart(''),
      }),
    );
    return open;
  }

  protected close(out: SseEvent[]): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    if (open.kind === 'message') {
      const base = { item_id: open.id, output_index: open.outputIndex, content_index: 0 };
      out.push(this.event('response.output_text.done', { ...base, text: open.text, logprobs: [] }));
      out.push(this.event('response.content_part.done', { ...base, part: textPart(open.text) }));
      const item: OutputItem = {
        type: 'message',
        id: open.id,
        status: 'completed',
        role: 'assistant',
        content: [textPart(open.text)],
      };
      this.output[open.outputIndex] = item;
      out.push(this.event('response.output_item.done', { output_index: open.outputIndex, item }));
      return;
    }
    const item = open.item;
    item.status = 'completed';
    out.push(
      this.event('response.function_call_arguments.done', {
        item_id: item.id,
        output_index: open.outputIndex,
        name: item.name,
        arguments: item.arguments,
      }),
    );
    out.push(this.event('response.output_item.done', { output_index: open.outputIndex, item: { ...item } }));
  }

  private response(
    fields: Pick<ResponseObject, 'status' | 'incomplete_details' | 'usage' | 'error'>,
  ): ResponseObject {
    return responseObject(this.request, {
      id: this.options.responseId,
      created_at: this.options.createdAt,
      model: this.model,
      output: this.output.map((i) => structuredClone(i)),
      ...fields,
    });
  }

  private event(type: string, data: Record<string, unknown>): SseEvent {
    return { event: type, data: { type, sequence_number: this.sequence++, ...data } };
  }
}
