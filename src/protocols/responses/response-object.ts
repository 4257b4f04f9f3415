/**
 * The Responses API's `response` object, built from a chat completion (plain answers) or from the
 * items a stream produced: output items `message` (`output_text`) and `function_call`, usage,
 * status, and the request's settings echoed back as OpenAI does.
 */
import type { ChatCompletion, FinishReason, Usage } from '../../chat/chat-types.js';
import type { ResponseError } from './responses-error.js';
import type { ResponsesRequest } from './responses-request-schema.js';

export interface OutputTextPart {
  type: 'output_text';
  text: string;
  annotations: unknown[];
  logprobs: unknown[];
}

export type OutputItem =
  | { type: 'message'; id: string; status: string; role: 'assistant'; content: OutputTextPart[] }
  | { type: 'function_call'; id: string; call_id: string; name: string; arguments: string; status: string };

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  model: string;
  output: OutputItem[];
  usage: ResponsesUsage | null;
  error: ResponseError | null;
  incomplete_details: { reason: string } | null;
  [echo: string]: unknown;
}

/** Makes ids: `newId('msg')` → `msg_…`. Injected, so translation stays pure and testable. */
export type IdMaker = (prefix: string) => string;

export function responsesUsage(usage: Usage | null | undefined): ResponsesUsage | null {
  if (!usage) return null;
  const cached = (usage.prompt_tokens_details as { cached_tokens?: number } | undefined)?.cached_tokens;
  const reasoning = (usage.completion_tokens_details as { reasoning_tokens?: number } | undefined)
    ?.reasoning_tokens;
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: cached ?? 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: reasoning ?? 0 },
    total_tokens: usage.total_tokens,
  };
}

/** `length` means the answer hit `max_output_tokens`: an incomplete response, as OpenAI reports it. */
export function statusFor(
  finish: FinishReason | null,
): Pick<ResponseObject, 'status' | 'incomplete_details'> {
  if (finish === 'length')
    return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter')
    return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

export function textPart(text: string): OutputTextPart {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

export function responseObject(
  req: ResponsesRequest,
  fields: Pick<
    ResponseObject,
    'id' | 'created_at' | 'model' | 'status' | 'output' | 'usage' | 'error' | 'incomplete_details'
  >,
): ResponseObject {
  return {
    id: fields.id,
    object: 'response',
    created_at: fields.created_at,
    status: fields.status,
    error: fields.error,
    incomplete_details: fields.incomplete_details,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    model: fields.model,
    output: fields.output,
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: req.previous_response_id ?? null,
    store: req.store ?? true,
    temperature: req.temperature ?? null,
    text: { format: req.text?.format ?? { type: 'text' } },
    tool_choice: req.tool_choice ?? 'auto',
    tools: req.tools ?? [],
    top_p: req.top_p ?? null,
    metadata: req.metadata ?? {},
    usage: fields.usage,
  };
}

/** A plain (non-streaming) answer. */
export function completionToResponse(
  completion: ChatCompletion,
  req: ResponsesRequest,
  ids: { responseId: string; createdAt: number; newId: IdMaker },
): ResponseObject {
  const choice = completion.choices[0];
  const message = choice?.message;
  const output: OutputItem[] = [];
  if (message?.content) {
    output.push({
      type: 'message',
      id: ids.newId('msg'),
      status: 'completed',
      role: 'assistant',
      content: [textPart(message.content)],
    });
  }
  for (const call of message?.tool_calls ?? []) {
    output.push({
      type: 'function_call',
      id: ids.newId('fc'),
      call_id: call.id || ids.newId('call'),
      name: call.function.name,
      arguments: call.function.arguments,
      status: 'completed',
    });
  }
  return responseObject(req, {
    id: ids.responseId,
    created_at: ids.createdAt,
    model: completion.model,
    output,
    usage: responsesUsage(completion.usage),
    error: null,
    ...statusFor(choice?.finish_reason ?? null),
  });
}
