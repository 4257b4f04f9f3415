/**
 * The body of `POST /v1/messages` (Anthropic Messages API). The schema is the type. It checks what
 * rotor translates; everything else a free model cannot honour (`cache_control`, `context_management`,
 * `output_config`, `container`, `mcp_servers`, …) is accepted and dropped, never refused.
 */
import { z } from 'zod';
import { parseBody } from '../../chat/chat-request-schema.js';

const cacheControl = z.unknown().optional(); // accepted everywhere, dropped

export const textBlockSchema = z.looseObject({
  type: z.literal('text'),
  text: z.string(),
  cache_control: cacheControl,
});

export const imageBlockSchema = z.looseObject({
  type: z.literal('image'),
  source: z.union([
    z.looseObject({ type: z.literal('base64'), media_type: z.string(), data: z.string() }),
    z.looseObject({ type: z.literal('url'), url: z.string() }),
  ]),
});

export const toolUseBlockSchema = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: z.unknown(),
});

export const toolResultBlockSchema = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]).optional(),
  is_error: z.boolean().optional(),
});

const TYPED_BLOCKS: ReadonlySet<string> = new Set(['text', 'image', 'tool_use', 'tool_result']);

/** `thinking`, `redacted_thinking`, `document`, `server_tool_use`, …: accepted; translated or dropped. */
const otherBlockSchema = z.looseObject({
  type: z.string().refine((t) => !TYPED_BLOCKS.has(t), { message: 'Invalid content block', abort: true }),
});

export const contentBlockSchema = z.union([
  textBlockSchema,
  imageBlockSchema,
  toolUseBlockSchema,
  toolResultBlockSchema,
  otherBlockSchema,
]);

export const anthropicMessageSchema = z.looseObject({
  /** `system` in `messages` is not in Anthropic's documented API, but Claude Code sends it (2.1.x). */
  role: z.enum(['user', 'assistant', 'system']),
  content: z.union([z.string(), z.array(contentBlockSchema)]),
});

/** Custom tools carry `input_schema`; Anthropic's server tools (`web_search_…`, `bash_…`) do not and are dropped. */
export const anthropicToolSchema = z.looseObject({
  name: z.string().min(1),
  type: z.string().optional(),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
});

export const anthropicToolChoiceSchema = z.looseObject({
  type: z.enum(['auto', 'any', 'tool', 'none']),
  name: z.string().optional(),
  disable_parallel_tool_use: z.boolean().optional(),
});

export const messagesRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(anthropicMessageSchema).min(1, { message: 'must contain at least one message' }),
  system: z.union([z.string(), z.array(textBlockSchema)]).optional(),
  max_tokens: z.number().int().positive(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().nonnegative().optional(),
  tools: z.array(anthropicToolSchema).optional(),
  tool_choice: anthropicToolChoiceSchema.optional(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).optional(),
  stream: z.boolean().optional(),
  /** `enabled` (with `budget_tokens`), `adaptive` or `disabled`: whether reasoning comes back as thinking blocks. */
  thinking: z.looseObject({ type: z.string(), budget_tokens: z.number().optional() }).optional(),
});

export type MessagesRequest = z.infer<typeof messagesRequestSchema>;
export type AnthropicContentBlock = z.infer<typeof contentBlockSchema>;

/** `count_tokens` takes the same body without `max_tokens`. */
export const countTokensRequestSchema = messagesRequestSchema.extend({
  max_tokens: z.number().int().positive().optional(),
});

export function parseMessagesRequest(json: unknown): MessagesRequest {
  return parseBody(messagesRequestSchema, json);
}

export function parseCountTokensRequest(json: unknown): z.infer<typeof countTokensRequestSchema> {
  return parseBody(countTokensRequestSchema, json);
}
