/**
 * The body of `POST /v1/chat/completions`, OpenAI-compatible plus OpenRouter's additions.
 * The schema is the type. It checks what rotor reads and what a client most often gets wrong;
 * every field it does not know passes through to the upstream unchanged, so rotor never
 * refuses a parameter a provider would accept.
 */
import { z } from 'zod';
import { formatPath, valueAt } from '../describe-value.js';
import { InvalidRequestError } from '../errors.js';

export const CHAT_ROLES = ['system', 'developer', 'user', 'assistant', 'tool'] as const;

export const textPartSchema = z.looseObject({ type: z.literal('text'), text: z.string() });

export const imageUrlPartSchema = z.looseObject({
  type: z.literal('image_url'),
  image_url: z.looseObject({ url: z.string(), detail: z.string().optional() }),
});

const TYPED_PART_TYPES: ReadonlySet<string> = new Set(['text', 'image_url']);

/**
 * Any other part type (`input_audio`, `file`, ...) passes through; the known ones must be well-formed.
 * `abort` makes this branch fail as hard as the typed ones, so zod reports every branch and
 * `mostSpecificIssue` can pick the one that explains the error.
 */
const otherPartSchema = z.looseObject({
  type: z.string().refine((t) => !TYPED_PART_TYPES.has(t), { message: 'Invalid content part', abort: true }),
});

export const contentPartSchema = z.union([textPartSchema, imageUrlPartSchema, otherPartSchema]);

export const toolCallSchema = z.looseObject({
  id: z.string(),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});

export const chatMessageSchema = z.looseObject({
  role: z.enum(CHAT_ROLES),
  content: z.union([z.string(), z.array(contentPartSchema)]).nullish(),
  name: z.string().optional(),
  tool_calls: z.array(toolCallSchema).nullish(),
  tool_call_id: z.string().optional(),
});

export const toolSchema = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

export const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string() }) }),
]);

const nonNegativeInt = z.number().int().nonnegative();

export const chatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(chatMessageSchema).min(1, { message: 'must contain at least one message' }),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  tools: z.array(toolSchema).nullish(),
  tool_choice: toolChoiceSchema.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  max_tokens: nonNegativeInt.nullish(),
  max_completion_tokens: nonNegativeInt.nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  n: z.number().int().min(1).nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  presence_penalty: z.number().nullish(),
  frequency_penalty: z.number().nullish(),
  seed: z.number().int().nullish(),
  user: z.string().nullish(),
  response_format: z.looseObject({ type: z.string() }).nullish(),
  /** OpenRouter: server-side fallback list (rotor may use or strip it). */
  models: z.array(z.string().min(1)).optional(),
  /** OpenRouter: provider routing preferences, passed through. */
  provider: z.record(z.string(), z.unknown()).optional(),
  /** OpenRouter: reasoning options, passed through. */
  reasoning: z.record(z.string(), z.unknown()).optional(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type ChatMessage = z.infer<typeof chatMessageSchema>;
export type ContentPart = z.infer<typeof contentPartSchema>;
export type ChatTool = z.infer<typeof toolSchema>;

/**
 * Validate a parsed JSON body. Returns the request with unknown fields intact, or throws
 * `InvalidRequestError` whose message names the path and the bad value and whose `param` is
 * the path (`messages[0].role`).
 */
export function parseChatRequest(json: unknown): ChatRequest {
  // The gateway validates before it calls the rotor, which validates again: once is enough.
  if (validated.has(json as object)) return json as ChatRequest;
  const data = parseBody(chatRequestSchema, json);
  validated.add(data);
  return data;
}

/**
 * Validate a JSON body against a request schema (any protocol's): the parsed value, or an
 * `InvalidRequestError` naming the path, the bad value, and `param` = the path.
 */
export function parseBody<T>(schema: z.ZodType<T>, json: unknown): T {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidRequestError(`Request body must be a JSON object, got ${preview(json)}`, {
      code: 'invalid_request_body',
    });
  }
  const r = schema.safeParse(json);
  if (r.success) return r.data;
  const issue = mostSpecificIssue(r.error.issues);
  const param = formatPath(issue.path);
  const value = valueAt(json, issue.path);
  const message =
    value === undefined
      ? `${param}: required field is missing`
      : `${param}: ${issue.message} (got ${preview(value)})`;
  throw new InvalidRequestError(`Invalid request: ${message}`, {
    code: 'invalid_value',
    param: param || null,
  });
}

/** Results of `parseChatRequest`, so a second call on the same object costs nothing. */
const validated = new WeakSet<object>();

type Issue = z.core.$ZodIssue;
type PathKey = PropertyKey;

/**
 * Unions report one issue list per branch. Show the branch that got furthest into the value
 * (longest path): for `content: [{type:"text"}]` that is the missing `text`, not "expected string".
 */
function mostSpecificIssue(issues: readonly Issue[], prefix: PathKey[] = []): Issue & { path: PathKey[] } {
  const first = issues[0]!;
  const path = [...prefix, ...first.path];
  if (first.code === 'invalid_union' && first.errors.length > 0) {
    let best: (Issue & { path: PathKey[] }) | undefined;
    for (const branch of first.errors) {
      if (branch.length === 0) continue;
      const candidate = mostSpecificIssue(branch, path);
      if (!best || candidate.path.length > best.path.length) best = candidate;
    }
    if (best) return best;
  }
  return { ...first, path };
}

const PREVIEW_CHARS = 80;

function preview(v: unknown): string {
  if (v === undefined) return 'undefined';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > PREVIEW_CHARS ? `${s.slice(0, PREVIEW_CHARS)}…` : s;
}
