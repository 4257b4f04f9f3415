/**
 * What a simulated model answers: deterministic text derived from the seed and the prompt, or a
 * tool call, plus plausible token counts. No I/O, no clock.
 *
 * Tool-call rule: the request has `tools`, `tool_choice` is not `"none"`, the last message is not a
 * tool result, and either `tool_choice` is `"required"` or names a function, or the last user
 * message names one of the tools (case-insensitive) or contains the word "tool"/"tools". The tool
 * called is the one named (by `tool_choice`, else by the message), else the first.
 */
import { seededRandom } from '../engine/random.js';
import { hashString } from './hash.js';

export interface ChatMessage {
  role?: unknown;
  content?: unknown;
}

export interface ToolDefinition {
  type?: unknown;
  function?: { name?: unknown; parameters?: unknown };
}

/** The parts of a chat request the simulator reads (checked lightly, not parsed with zod: hot path). */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: unknown;
  tools?: unknown;
  tool_choice?: unknown;
  max_tokens?: unknown;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export type AnswerPlan =
  | { kind: 'text'; tokens: string[]; finishReason: 'stop' | 'length'; usage: Usage }
  | { kind: 'tool_call'; callId: string; name: string; argumentParts: string[]; usage: Usage };

const WORDS = (
  'the a model answer request quickly simple clear result value system gateway token stream reply ' +
  'test fast reliable route next free limit data check ready works fine good note this that with ' +
  'from each every small plain short sample demo'
).split(' ');

/** Text of a message's content: a string, or the `text` parts of an array. */
export function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string')
      text += (part as { text: string }).text;
  }
  return text;
}

/** About 4 characters per token, plus a few tokens of framing per message, as tokenizers do. */
export function estimatePromptTokens(request: ChatRequest): number {
  let tokens = 0;
  for (const message of request.messages) tokens += 4 + Math.ceil(messageText(message.content).length / 4);
  if (Array.isArray(request.tools) && request.tools.length > 0)
    tokens += Math.ceil(JSON.stringify(request.tools).length / 4);
  return tokens;
}

export function hasSystemMessage(request: ChatRequest): boolean {
  return request.messages.some((m) => m.role === 'system' || m.role === 'developer');
}

export function hasTools(request: ChatRequest): boolean {
  return Array.isArray(request.tools) && request.tools.length > 0;
}

function lastUserText(messages: ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.role === 'user') return messageText(messages[i]!.content);
  }
  return '';
}

function toolName(tool: unknown): string | undefined {
  const name = (tool as ToolDefinition | undefined)?.function?.name;
  return typeof name === 'string' ? name : undefined;
}

/** The tool to call, or undefined for a text answer (see the rule in the module comment). */
export function chooseTool(request: ChatRequest): ToolDefinition | undefined {
  if (!hasTools(request)) return undefined;
  const tools = request.tools as ToolDefinition[];
  const choice = request.tool_choice;
  if (choice === 'none') return undefined;
  if (request.messages.at(-1)?.role === 'tool') return undefined;
  const chosenName = toolName(choice);
  if (chosenName !== undefined) return tools.find((t) => toolName(t) === chosenName) ?? tools[0];
  const text = lastUserText(request.messages).toLowerCase();
  const named = tools.find((t) => {
    const name = toolName(t);
    return name !== undefined && text.includes(name.toLowerCase());
  });
  if (named) return named;
  if (choice === 'required' || /\btools?\b/.test(text)) return tools[0];
  return undefined;
}

type JsonSchema = {
  type?: unknown;
  properties?: unknown;
  required?: unknown;
  enum?: unknown;
  items?: unknown;
};

/** A value that roughly matches a JSON schema: enums take their first value, strings a word. */
export function exampleValue(schema: unknown, random: () => number): unknown {
  const s = (schema ?? {}) as JsonSchema;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string':
      return WORDS[Math.floor(random() * WORDS.length)];
    case 'integer':
      return 1 + Math.floor(random() * 9);
    case 'number':
      return Math.round(random() * 1000) / 10;
    case 'boolean':
      return true;
    case 'array':
      return [exampleValue(s.items, random)];
    case 'null':
      return null;
    default: {
      if (!s.properties || typeof s.properties !== 'object') return type === 'object' ? {} : 'example';
      const properties = s.properties as Record<string, unknown>;
      const keys = Array.isArray(s.required) ? (s.required as string[]) : Object.keys(properties);
      const out: Record<string, unknown> = {};
      for (const key of keys) out[key] = exampleValue(properties[key], random);
      return out;
    }
  }
}

/** Split a string into `parts` pieces of near-equal length, so a client must merge them. */
export function splitIntoParts(text: string, parts: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / parts));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

export interface PlanOptions {
  seed: number;
  /** Words in a text answer before `max_tokens` applies. */
  completionTokens: number;
  promptTokens: number;
}

export function planAnswer(request: ChatRequest, options: PlanOptions): AnswerPlan {
  const prompt = lastUserText(request.messages);
  const random = seededRandom(hashString(prompt, options.seed));
  const usage = (completion: number): Usage => ({
    prompt_tokens: options.promptTokens,
    completion_tokens: completion,
    total_tokens: options.promptTokens + completion,
  });

  const tool = chooseTool(request);
  if (tool) {
    const name = toolName(tool) ?? 'tool';
    const args = JSON.stringify(exampleValue(tool.function?.parameters ?? { type: 'object' }, random));
    const callId = `call_${Math.floor(random() * 2 ** 32)
      .toString(16)
      .padStart(8, '0')}${hashString(prompt, options.seed + 1)
      .toString(16)
      .padStart(8, '0')}`;
    return {
      kind: 'tool_call',
      callId,
      name,
      argumentParts: splitIntoParts(args, 4),
      usage: usage(Math.ceil((name.length + args.length) / 4) + 4),
    };
  }

  const maxTokens =
    typeof request.max_tokens === 'number' && request.max_tokens > 0
      ? Math.floor(request.max_tokens)
      : Infinity;
  const count = Math.min(options.completionTokens, maxTokens);
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const word = WORDS[Math.floor(random() * WORDS.length)]!;
    tokens.push(i === 0 ? word.charAt(0).toUpperCase() + word.slice(1) : ` ${word}`);
  }
  const finishReason = count < options.completionTokens ? 'length' : 'stop';
  if (finishReason === 'stop' && count > 0) tokens[count - 1] += '.';
  const rest = afterPrefill(tokens, request.messages);
  return { kind: 'text', tokens: rest, finishReason, usage: usage(rest.length) };
}

/**
 * A request that ends with the assistant's own words (prefill) is continued, as real models do:
 * when the answer this prompt gets starts with that text, only the rest is sent (a token cut in
 * the middle is finished). Any other prefill is ignored and the whole answer is sent.
 */
export function afterPrefill(tokens: string[], messages: ChatMessage[]): string[] {
  const last = messages.at(-1);
  if (last?.role !== 'assistant') return tokens;
  const prefill = messageText(last.content);
  if (prefill === '' || !tokens.join('').startsWith(prefill)) return tokens;
  let consumed = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (consumed + token.length <= prefill.length) {
      consumed += token.length;
      continue;
    }
    const head = token.slice(prefill.length - consumed);
    return [head, ...tokens.slice(i + 1)];
  }
  return [];
}
