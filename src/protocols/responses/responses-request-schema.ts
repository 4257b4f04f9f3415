/**
 * The body of `POST /v1/responses` (OpenAI Responses API). The schema is the type. It checks what
 * rotor translates; the rest (`reasoning`, `include`, `prompt_cache_key`, `client_metadata`,
 * `truncation`, `service_tier`, …) is accepted and dropped.
 */
import { z } from 'zod';
import { parseBody } from '../../chat/chat-request-schema.js';

/** An input item: a message (with or without `type: "message"`), a function call or its output, a reference, … */
export const inputItemSchema = z.looseObject({
  type: z.string().optional(),
  role: z.string().optional(),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]).optional(),
  id: z.string().nullish(),
});

export const responsesToolSchema = z.looseObject({
  type: z.string(),
  name: z.string().optional(),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

export const textFormatSchema = z.looseObject({
  type: z.string(),
  name: z.string().optional(),
  schema: z.record(z.string(), z.unknown()).optional(),
  strict: z.boolean().nullish(),
  description: z.string().optional(),
});

export const responsesRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(inputItemSchema)]),
  instructions: z.string().nullish(),
  tools: z.array(responsesToolSchema).nullish(),
  tool_choice: z
    .union([z.string(), z.looseObject({ type: z.string(), name: z.string().optional() })])
    .nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  text: z.looseObject({ format: textFormatSchema.nullish() }).nullish(),
  stream: z.boolean().nullish(),
  store: z.boolean().nullish(),
  previous_response_id: z.string().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  user: z.string().nullish(),
});

export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;
export type InputItem = z.infer<typeof inputItemSchema>;

export function parseResponsesRequest(json: unknown): ResponsesRequest {
  return parseBody(responsesRequestSchema, json);
}
