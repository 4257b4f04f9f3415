/**
 * An Anthropic Messages request as the internal Chat Completions request, so `/v1/messages` runs
 * through the same loop as `/v1/chat/completions`. Pure. Fields a free model cannot honour are
 * dropped here (`cache_control`, `metadata`, thinking settings, server tools), never refused.
 * `max_tokens` passes through as it is: the loop fits it to each model.
 */
import type { ChatMessage, ChatRequest, ChatTool, ContentPart } from '../../chat/chat-request-schema.js';
import type { AnthropicContentBlock, MessagesRequest } from './messages-request-schema.js';

export interface MessagesTranslation {
  chat: ChatRequest;
  /** The client asked for thinking: reasoning comes back as `thinking` blocks (dropped otherwise). */
  thinking: boolean;
}

export function messagesToChat(req: MessagesRequest, model: string): MessagesTranslation {
  const messages: ChatMessage[] = [];
  const system = systemText(req.system);
  if (system) messages.push({ role: 'system', content: system });
  for (const m of req.messages) {
    if (m.role === 'user') messages.push(...userMessages(m.content));
    else if (m.role === 'system') messages.push({ role: 'system', content: blocksText(m.content) });
    else messages.push(assistantMessage(m.content));
  }
  const chat: ChatRequest = { model, messages, max_tokens: req.max_tokens };
  if (req.stream) chat.stream = true;
  if (req.temperature !== undefined) chat.temperature = Math.min(req.temperature, 2);
  if (req.top_p !== undefined) chat.top_p = req.top_p;
  if (req.top_k !== undefined) chat.top_k = req.top_k; // OpenRouter passes it on where the provider has it
  if (req.stop_sequences && req.stop_sequences.length > 0) chat.stop = req.stop_sequences;
  const tools = chatTools(req.tools);
  const choice = req.tool_choice;
  if (tools.length > 0 && choice?.type !== 'none') {
    chat.tools = tools;
    if (choice?.type === 'any') chat.tool_choice = 'required';
    else if (choice?.type === 'tool' && choice.name)
      chat.tool_choice = { type: 'function', function: { name: choice.name } };
    if (choice?.disable_parallel_tool_use) chat.parallel_tool_calls = false;
  }
  const thinking = req.thinking !== undefined && req.thinking.type !== 'disabled';
  return { chat, thinking };
}

function blocksText(content: string | AnthropicContentBlock[]): string {
  if (typeof content === 'string') return content;
  return content.map((b) => (b.type === 'text' ? (b.text as string) : '')).join('\n\n');
}

function systemText(system: MessagesRequest['system']): string {
  if (system === undefined) return '';
  if (typeof system === 'string') return system;
  return system.map((b) => b.text).join('\n\n');
}

/**
 * A user turn: `tool_result` blocks become `tool` messages (first, as Anthropic requires them to
 * answer the previous turn's calls), the rest one user message.
 */
function userMessages(content: string | AnthropicContentBlock[]): ChatMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const out: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  for (const block of content) {
    switch (block.type) {
      case 'text':
        parts.push({ type: 'text', text: block.text as string });
        break;
      case 'image': {
        const url = imageUrl(block);
        if (url) parts.push({ type: 'image_url', image_url: { url } });
        break;
      }
      case 'tool_result':
        out.push({
          role: 'tool',
          tool_call_id: block.tool_use_id as string,
          content: toolResultText(block),
        });
        break;
      case 'document': {
        const text = documentText(block);
        if (text) parts.push({ type: 'text', text });
        break;
      }
      default:
        break; // thinking and server-tool blocks mean nothing to another model
    }
  }
  if (parts.length > 0) {
    const onlyText = parts.every((p) => p.type === 'text');
    out.push({
      role: 'user',
      content: onlyText ? parts.map((p) => (p as { text: string }).text).join('\n\n') : parts,
    });
  }
  return out;
}

function assistantMessage(content: string | AnthropicContentBlock[]): ChatMessage {
  if (typeof content === 'string') return { role: 'assistant', content };
  let text = '';
  const toolCalls: NonNullable<ChatMessage['tool_calls']> = [];
  for (const block of content) {
    if (block.type === 'text') text += block.text as string;
    else if (block.type === 'tool_use') {
      toolCalls.push({
        id: block.id as string,
        type: 'function',
        function: { name: block.name as string, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const message: ChatMessage = { role: 'assistant', content: text.length > 0 ? text : null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}

function imageUrl(block: AnthropicContentBlock): string | undefined {
  const source = block.source as { type: string; media_type?: string; data?: string; url?: string };
  if (source.type === 'base64') return `data:${source.media_type};base64,${source.data}`;
  if (source.type === 'url') return source.url;
  return undefined;
}

function toolResultText(block: AnthropicContentBlock): string {
  const content = block.content as string | Array<{ type: string; text?: string }> | undefined;
  let text = '';
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content)) {
    text = content.map((c) => (c.type === 'text' ? (c.text ?? '') : `[${c.type} omitted]`)).join('\n');
  }
  return block.is_error ? `Error: ${text}` : text;
}

function documentText(block: AnthropicContentBlock): string | undefined {
  const source = block.source as { type?: string; data?: string } | undefined;
  return source?.type === 'text' && typeof source.data === 'string' ? source.data : undefined;
}

function chatTools(tools: MessagesRequest['tools']): ChatTool[] {
  const out: ChatTool[] = [];
  for (const t of tools ?? []) {
    // Server tools (`web_search_20250305`, `bash_20250124`, …) run at Anthropic: nothing to forward.
    if (t.input_schema === undefined || (t.type !== undefined && t.type !== 'custom')) continue;
    out.push({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description === undefined ? {} : { description: t.description }),
        parameters: t.input_schema,
      },
    });
  }
  return out;
}
