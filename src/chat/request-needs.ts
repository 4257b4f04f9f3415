/**
 * What a request demands of a model, so the router can skip models that cannot serve it
 * (no tool support, no vision, no system prompt, too small a context) without spending an attempt.
 */
import type { ChatRequest } from './chat-request-schema.js';

export interface RequestNeeds {
  /** Tools are declared, or the conversation already contains tool calls / tool results. */
  tools: boolean;
  /** Some message carries an image part. */
  vision: boolean;
  /** Some message has role `system` or `developer` (Gemma on Google AI Studio refuses these). */
  systemPrompt: boolean;
  /** Rough prompt size in tokens: characters / 4 over message text and tool schemas, plus per-message overhead. */
  estimatedPromptTokens: number;
}

/** Average characters per token for English and code; deliberately rough. */
const CHARS_PER_TOKEN = 4;
/** Role markers and separators each message costs in chat templates. */
const TOKENS_PER_MESSAGE = 4;

export function requestNeeds(req: ChatRequest): RequestNeeds {
  let tools = Array.isArray(req.tools) && req.tools.length > 0;
  let vision = false;
  let systemPrompt = false;
  let chars = 0;

  for (const m of req.messages) {
    if (m.role === 'system' || m.role === 'developer') systemPrompt = true;
    if (m.role === 'tool') tools = true;
    const content = m.content;
    if (typeof content === 'string') {
      chars += content.length;
    } else if (Array.isArray(content)) {
      for (const part of content) {
        if (part.type === 'text' && typeof part.text === 'string') chars += part.text.length;
        // Image bytes (often data: URLs) say nothing about text tokens; don't count them.
        else if (part.type === 'image_url') vision = true;
      }
    }
    if (m.name) chars += m.name.length;
    if (m.tool_calls && m.tool_calls.length > 0) {
      tools = true;
      for (const c of m.tool_calls) chars += c.function.name.length + c.function.arguments.length;
    }
  }
  if (req.tools && req.tools.length > 0) chars += JSON.stringify(req.tools).length;

  return {
    tools,
    vision,
    systemPrompt,
    estimatedPromptTokens: Math.ceil(chars / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * req.messages.length,
  };
}
