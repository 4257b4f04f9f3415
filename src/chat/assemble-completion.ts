/**
 * Rebuilds the `chat.completion` a non-streaming call would have returned from the chunks of a
 * streaming one. rotor always streams from upstream (so first-token and stall timeouts protect
 * every request) and assembles here for clients that asked for a plain JSON answer.
 */
import type {
  ChatCompletion,
  ChatCompletionChoice,
  ChatCompletionChunk,
  ChatCompletionMessage,
  FinishReason,
  ToolCall,
  Usage,
} from './chat-types.js';

interface ToolCallState {
  index: number;
  id: string | undefined;
  type: 'function' | undefined;
  name: string | undefined;
  arguments: string;
}

interface ChoiceState {
  index: number;
  /** `undefined` until a delta carries a string `content` (even ""). */
  content: string | undefined;
  reasoning: string | undefined;
  refusal: string | undefined;
  toolCalls: ToolCallState[];
  finishReason: FinishReason | null;
  nativeFinishReason: string | null | undefined;
  logprobContent: unknown[] | undefined;
}

/** Incremental assembler: `push` each chunk as it arrives, `result()` at the end. */
export class CompletionAssembler {
  private id: string | undefined;
  private created: number | undefined;
  private model: string | undefined;
  private provider: string | undefined;
  private systemFingerprint: string | null | undefined;
  private usage: Usage | undefined;
  /** Indexed by choice index; almost always one entry. */
  private readonly choices: ChoiceState[] = [];

  push(chunk: ChatCompletionChunk): void {
    if (this.id === undefined && chunk.id) this.id = chunk.id;
    if (this.created === undefined && typeof chunk.created === 'number') this.created = chunk.created;
    if (this.model === undefined && chunk.model) this.model = chunk.model;
    if (this.provider === undefined && chunk.provider) this.provider = chunk.provider;
    if (this.systemFingerprint === undefined && chunk.system_fingerprint !== undefined)
      this.systemFingerprint = chunk.system_fingerprint;
    if (chunk.usage) this.usage = chunk.usage;

    const choices = chunk.choices;
    if (!choices) return;
    for (const c of choices) {
      const state = this.choice(c.index ?? 0);
      const d = c.delta;
      if (d) {
        if (typeof d.content === 'string') state.content = (state.content ?? '') + d.content;
        if (typeof d.reasoning === 'string') state.reasoning = (state.reasoning ?? '') + d.reasoning;
        if (typeof d.refusal === 'string') state.refusal = (state.refusal ?? '') + d.refusal;
        if (d.tool_calls) {
          for (const t of d.tool_calls) mergeToolCall(state.toolCalls, t);
        }
      }
      if (c.finish_reason != null) state.finishReason = c.finish_reason;
      if (c.native_finish_reason != null) state.nativeFinishReason = c.native_finish_reason;
      const lp = c.logprobs as { content?: unknown } | null | undefined;
      if (lp && Array.isArray(lp.content)) {
        if (state.logprobContent) state.logprobContent.push(...lp.content);
        else state.logprobContent = [...lp.content];
      }
    }
  }

  /** The assembled completion. Choices are ordered by index; tool calls by their index. */
  result(): ChatCompletion {
    const completion: ChatCompletion = {
      id: this.id ?? '',
      object: 'chat.completion',
      created: this.created ?? 0,
      model: this.model ?? '',
      choices: [],
    };
    if (this.provider !== undefined) completion.provider = this.provider;
    if (this.systemFingerprint !== undefined) completion.system_fingerprint = this.systemFingerprint;
    for (const s of this.choices) {
      if (s) completion.choices.push(toChoice(s));
    }
    if (this.usage) completion.usage = this.usage;
    return completion;
  }

  private choice(index: number): ChoiceState {
    let s = this.choices[index];
    if (!s) {
      s = {
        index,
        content: undefined,
        reasoning: undefined,
        refusal: undefined,
        toolCalls: [],
        finishReason: null,
        nativeFinishReason: undefined,
        logprobContent: undefined,
      };
      this.choices[index] = s;
    }
    return s;
  }
}

/** Assemble a whole sequence of chunks at once. */
export function assembleCompletion(chunks: Iterable<ChatCompletionChunk>): ChatCompletion {
  const a = new CompletionAssembler();
  for (const c of chunks) a.push(c);
  return a.result();
}

function mergeToolCall(
  calls: ToolCallState[],
  delta: NonNullable<ChatCompletionChunk['choices'][number]['delta']['tool_calls']>[number],
): void {
  const index = delta.index ?? 0;
  let call = calls[index];
  if (!call) {
    call = { index, id: undefined, type: undefined, name: undefined, arguments: '' };
    calls[index] = call;
  }
  // The first delta carrying each of these wins: providers repeat them inconsistently later.
  if (call.id === undefined && delta.id) call.id = delta.id;
  if (call.type === undefined && delta.type) call.type = delta.type;
  const fn = delta.function;
  if (fn) {
    if (call.name === undefined && fn.name) call.name = fn.name;
    if (typeof fn.arguments === 'string') call.arguments += fn.arguments;
  }
}

function toChoice(s: ChoiceState): ChatCompletionChoice {
  const toolCalls: ToolCall[] = [];
  for (const t of s.toolCalls) {
    if (!t) continue;
    toolCalls.push({
      id: t.id ?? '',
      type: t.type ?? 'function',
      function: { name: t.name ?? '', arguments: t.arguments },
    });
  }
  // OpenAI answers `content: null` for a tool-call-only message and `""` only for a truly empty text.
  let content: string | null = s.content ?? null;
  if (content === '' && toolCalls.length > 0) content = null;
  const message: ChatCompletionMessage = { role: 'assistant', content, refusal: s.refusal ?? null };
  if (s.reasoning !== undefined) message.reasoning = s.reasoning;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const choice: ChatCompletionChoice = {
    index: s.index,
    message,
    finish_reason: s.finishReason,
    logprobs: s.logprobContent ? { content: s.logprobContent } : null,
  };
  if (s.nativeFinishReason !== undefined) choice.native_finish_reason = s.nativeFinishReason;
  return choice;
}
