/**
 * OpenAI chat-completion response shapes, as OpenRouter sends them (with its additions:
 * `provider` on completions and chunks, `reasoning` deltas, and an in-band `error`).
 * Only what rotor reads is typed precisely; everything else passes through untouched.
 */

/** Why a choice stopped. `error` is OpenRouter's in-band failure marker. */
export type FinishReason =
  | 'stop'
  | 'length'
  | 'tool_calls'
  | 'content_filter'
  | 'function_call'
  | 'error'
  | (string & {});

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Provider extras (`prompt_tokens_details`, `cost`, ...) pass through. */
  [extra: string]: unknown;
}

/** The error object OpenRouter puts inside a 200 body or a stream chunk. */
export interface InBandError {
  code: number | string;
  message: string;
  metadata?: Record<string, unknown>;
}

/** A complete tool call, as in a non-streaming message. */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/**
 * One streamed fragment of a tool call. Fragments with the same `index` belong to one call:
 * `id`, `type` and `function.name` arrive once (usually first), `function.arguments` in pieces.
 */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface ChunkDelta {
  role?: 'assistant';
  content?: string | null;
  /** OpenRouter's reasoning text for thinking models. */
  reasoning?: string | null;
  refusal?: string | null;
  tool_calls?: ToolCallDelta[];
  [extra: string]: unknown;
}

export interface ChunkChoice {
  index: number;
  delta: ChunkDelta;
  finish_reason: FinishReason | null;
  native_finish_reason?: string | null;
  logprobs?: unknown;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  /** Unix seconds. */
  created: number;
  /** The model that actually answered (may differ from the one requested). */
  model: string;
  /** OpenRouter: the provider serving the model. */
  provider?: string;
  system_fingerprint?: string | null;
  choices: ChunkChoice[];
  /** Present once, in the last chunk before `[DONE]` (with empty `choices`) when usage was asked for. */
  usage?: Usage | null;
  /** OpenRouter: a mid-stream failure; the chunk's choice then has `finish_reason: "error"`. */
  error?: InBandError;
  [extra: string]: unknown;
}

export interface ChatCompletionMessage {
  role: 'assistant';
  content: string | null;
  reasoning?: string | null;
  refusal?: string | null;
  tool_calls?: ToolCall[];
  [extra: string]: unknown;
}

export interface ChatCompletionChoice {
  index: number;
  message: ChatCompletionMessage;
  finish_reason: FinishReason | null;
  native_finish_reason?: string | null;
  logprobs: unknown;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  /** Unix seconds. */
  created: number;
  model: string;
  provider?: string;
  system_fingerprint?: string | null;
  choices: ChatCompletionChoice[];
  usage?: Usage;
  /** OpenRouter: an error inside a 200 (then `choices` is empty or null). */
  error?: InBandError;
  [extra: string]: unknown;
}
