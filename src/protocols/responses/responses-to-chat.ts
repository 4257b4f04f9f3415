/**
 * A Responses API request as the internal Chat Completions request. Pure. `instructions` and
 * `developer`/`system` messages become system messages; `function_call` items join the assistant
 * message before them as tool calls; `function_call_output` items become `tool` messages; items
 * only OpenAI can run (`web_search`, `namespace` and other non-function tools, reasoning items)
 * are dropped. `item_reference` and `previous_response_id` are resolved through `lookup` (rotor's
 * bounded in-memory store); what it does not hold is a clear 400.
 */
import type { ChatMessage, ChatRequest, ChatTool, ContentPart } from '../../chat/chat-request-schema.js';
import { InvalidRequestError } from '../../errors.js';
import type { InputItem, ResponsesRequest } from './responses-request-schema.js';

export interface ResponsesLookup {
  /** An output item of an earlier response, by item id. */
  item(id: string): InputItem | undefined;
  /** The whole conversation (input and output) of an earlier stored response. */
  conversation(responseId: string): ChatMessage[] | undefined;
}

const NO_LOOKUP: ResponsesLookup = { item: () => undefined, conversation: () => undefined };

export function responsesToChat(
  req: ResponsesRequest,
  model: string,
  lookup: ResponsesLookup = NO_LOOKUP,
): ChatRequest {
  const messages: ChatMessage[] = [];
  if (req.instructions) messages.push({ role: 'system', content: req.instructions });
  if (req.previous_response_id) {
    const earlier = lookup.conversation(req.previous_response_id);
    if (!earlier) {
      throw new InvalidRequestError(
        `Previous response with id '${req.previous_response_id}' not found. rotor keeps recent responses stored with \`store: true\` in memory only (a bounded number, lost on restart); send the whole conversation in \`input\` instead.`,
        { code: 'previous_response_not_found', param: 'previous_response_id' },
      );
    }
    // The earlier turn's instructions do not carry over (as with OpenAI): only its messages.
    for (const m of earlier) if (m.role !== 'system') messages.push(m);
  }
  if (typeof req.input === 'string') messages.push({ role: 'user', content: req.input });
  else for (const [i, item] of req.input.entries()) addItem(messages, item, i, lookup);

  const chat: ChatRequest = { model, messages };
  if (req.stream) chat.stream = true;
  if (req.max_output_tokens != null) chat.max_tokens = req.max_output_tokens;
  if (req.temperature != null) chat.temperature = req.temperature;
  if (req.top_p != null) chat.top_p = req.top_p;
  const tools = chatTools(req.tools);
  if (tools.length > 0 && req.tool_choice !== 'none') {
    chat.tools = tools;
    const choice = req.tool_choice;
    if (choice === 'required') chat.tool_choice = 'required';
    else if (typeof choice === 'object' && choice?.type === 'function' && choice.name)
      chat.tool_choice = { type: 'function', function: { name: choice.name } };
    if (req.parallel_tool_calls != null) chat.parallel_tool_calls = req.parallel_tool_calls;
  }
  const format = req.text?.format;
  if (format?.type === 'json_object') chat.response_format = { type: 'json_object' };
  else if (format?.type === 'json_schema') {
    chat.response_format = {
      type: 'json_schema',
      json_schema: {
        name: format.name ?? 'response',
        ...(format.schema ? { schema: format.schema } : {}),
        ...(format.strict == null ? {} : { strict: format.strict }),
        ...(format.description ? { description: format.description } : {}),
      },
    };
  }
  return chat;
}

function addItem(messages: ChatMessage[], item: InputItem, i: number, lookup: ResponsesLookup): void {
  const type = item.type ?? (item.role ? 'message' : undefined);
  switch (type) {
    case 'message':
      addMessage(messages, item, i);
      return;
    case 'function_call': {
      const call = {
        id: stringField(item, 'call_id', i),
        type: 'function' as const,
        function: { name: stringField(item, 'name', i), arguments: String(item.arguments ?? '') },
      };
      const last = messages[messages.length - 1];
      if (last?.role === 'assistant') last.tool_calls = [...(last.tool_calls ?? []), call];
      else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
      return;
    }
    case 'function_call_output':
      messages.push({
        role: 'tool',
        tool_call_id: stringField(item, 'call_id', i),
        content: outputText(item.output),
      });
      return;
    case 'item_reference': {
      const id = String(item.id ?? '');
      const found = lookup.item(id);
      if (!found) {
        throw new InvalidRequestError(
          `Item with id '${id}' not found. rotor keeps the output items of recent responses in memory only (a bounded number, lost on restart); send the item itself instead of a reference, or set \`store: false\`.`,
          { code: 'item_not_found', param: `input[${i}]` },
        );
      }
      addItem(messages, found, i, lookup);
      return;
    }
    default:
      return; // reasoning, web_search_call, …: nothing another model can use
  }
}

function addMessage(messages: ChatMessage[], item: InputItem, i: number): void {
  const role = item.role;
  const content = item.content;
  if (role === 'assistant') {
    const text =
      typeof content === 'string'
        ? content
        : (content ?? [])
            .map((p) =>
              typeof p.text === 'string' ? p.text : typeof p.refusal === 'string' ? p.refusal : '',
            )
            .join('');
    messages.push({ role: 'assistant', content: text });
    return;
  }
  if (role !== 'user' && role !== 'system' && role !== 'developer') {
    throw new InvalidRequestError(
      `Invalid request: input[${i}].role: expected user, assistant, system or developer (got ${JSON.stringify(role)})`,
      {
        code: 'invalid_value',
        param: `input[${i}].role`,
      },
    );
  }
  // `developer` is the Responses API's system role; many free models know only `system`.
  const chatRole = role === 'user' ? 'user' : 'system';
  if (typeof content === 'string' || content === undefined) {
    messages.push({ role: chatRole, content: content ?? '' });
    return;
  }
  const parts: ContentPart[] = [];
  for (const p of content) {
    if (
      (p.type === 'input_text' || p.type === 'output_text' || p.type === 'text') &&
      typeof p.text === 'string'
    )
      parts.push({ type: 'text', text: p.text });
    else if (p.type === 'input_image' && typeof p.image_url === 'string')
      parts.push({
        type: 'image_url',
        image_url: { url: p.image_url, ...(typeof p.detail === 'string' ? { detail: p.detail } : {}) },
      });
  }
  const onlyText = parts.every((p) => p.type === 'text');
  messages.push({
    role: chatRole,
    content:
      onlyText || chatRole === 'system'
        ? parts.map((p) => (p.type === 'text' ? (p as { text: string }).text : '')).join('\n\n')
        : parts,
  });
}

function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) {
    return output
      .map((p: { type?: string; text?: string }) =>
        typeof p.text === 'string' ? p.text : `[${p.type ?? 'part'} omitted]`,
      )
      .join('\n');
  }
  return JSON.stringify(output ?? '');
}

function stringField(item: InputItem, key: string, i: number): string {
  const v = item[key];
  if (typeof v === 'string' && v.length > 0) return v;
  throw new InvalidRequestError(`Invalid request: input[${i}].${key}: required field is missing`, {
    code: 'invalid_value',
    param: `input[${i}].${key}`,
  });
}

function chatTools(tools: ResponsesRequest['tools']): ChatTool[] {
  const out: ChatTool[] = [];
  for (const t of tools ?? []) {
    if (t.type !== 'function' || !t.name) continue; // web_search, namespace, file_search, …: OpenAI-hosted
    out.push({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description ? { description: t.description } : {}),
        ...(t.parameters ? { parameters: t.parameters } : {}),
        ...(t.strict == null ? {} : { strict: t.strict }),
      },
    });
  }
  return out;
}
