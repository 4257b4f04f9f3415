/**
 * The simulator's scenario: models, account, latencies and a fault schedule, as one zod schema.
 * The schema is the type (`z.infer`); parse errors name the path and echo the bad value, because a
 * scenario is hand-written YAML and "Invalid input" alone helps nobody.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatPath, valueAt } from '../describe-value.js';
import { simProvidersSchema } from './providers/provider-scenario.js';

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `"250ms"`, `"10s"`, `"1.5m"`, `"2h"` → milliseconds. */
export function parseDurationMs(text: string): number {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) throw new Error(`not a duration: ${JSON.stringify(text)} (use e.g. "250ms", "10s", "2m")`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

const duration = z
  .string()
  .regex(DURATION_PATTERN, 'expected a duration with a unit, e.g. "250ms", "10s", "2m", "1h"');
const nonNegativeMs = z.number().nonnegative();
const positiveInt = z.number().int().positive();

/** One simulated model. Every field but `id` is optional; missing ones come from the defaults. */
export const simModelSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().optional(),
  /** Slug used in `/models` and in `limit_rpm/<slug>/…` messages; default: the id without `:free`. */
  canonicalSlug: z.string().optional(),
  /** Provider name reported in responses (`provider`, `metadata.provider_name`). */
  provider: z.string().optional(),
  contextLength: positiveInt.optional(),
  maxCompletionTokens: positiveInt.optional(),
  /** Time to first token at latency scale 1, ms. */
  ttftMs: nonNegativeMs.optional(),
  /** Generation speed after the first token. */
  tokensPerSecond: z.number().positive().optional(),
  /** Accepts `tools` (else 404 "No endpoints found that support tool use"). */
  tools: z.boolean().optional(),
  /** Accepts system/developer messages (else Google's 400 "Developer instruction is not enabled"). */
  systemPrompt: z.boolean().optional(),
  /** OpenRouter's own cap on this model, requests per minute (`limit_rpm/…` 429). */
  limitRpm: positiveInt.optional(),
  /** OpenRouter's own cap on this model, requests per UTC day (`limit_rpd/…` 429). */
  limitRpd: positiveInt.optional(),
  /** Capacity of the model's upstream provider pool, requests per minute ("temporarily rate-limited upstream"). */
  upstreamRpm: positiveInt.optional(),
  /** Whether pool 429s carry `retry_after_seconds` and `Retry-After` (seconds to the pool's next minute). */
  upstreamRetryHint: z.boolean().optional(),
});
export type SimModelConfig = z.infer<typeof simModelSchema>;

/** Fields every fault has: which model, when (from simulator start, t = 0), how often. */
const faultCommon = {
  /** Name to find or remove the fault by; assigned (`fault-1`, …) when absent. */
  id: z.string().min(1).optional(),
  /** Model id, or `*` for every model. */
  model: z.string().min(1).default('*'),
  /** The simulated upstream whose requests it hits: a provider id (`groq`, `gemini`, …). Default: OpenRouter. */
  upstream: z.string().min(1).optional(),
  /** Start of the window as a duration since t = 0 (`"10s"`); or `fromMs`. Default: from the start. */
  from: duration.optional(),
  fromMs: nonNegativeMs.optional(),
  /** End of the window, exclusive (`"70s"`); or `toMs`. Default: forever. */
  to: duration.optional(),
  toMs: nonNegativeMs.optional(),
  /** Chance that a matching request is hit, drawn from the seeded random. Default 1. */
  probability: z.number().min(0).max(1).default(1),
  /** Stop after hitting this many requests. Default: no limit. */
  maxHits: positiveInt.optional(),
  /** Only streaming (`true`) or only non-streaming (`false`) requests. Default: both. */
  stream: z.boolean().optional(),
};

const afterChunks = (fallback: number) => z.number().int().nonnegative().default(fallback);

const faultVariants = [
  /** 500/502/503 with OpenRouter's body (a provider's own 5xx body for a provider fault). */
  z.strictObject({
    ...faultCommon,
    kind: z.literal('server_error'),
    status: z.union([z.literal(500), z.literal(502), z.literal(503)]).default(502),
  }),
  /** 404 "No endpoints found for <model>." — the model was retired; it also leaves `GET /models`. */
  z.strictObject({ ...faultCommon, kind: z.literal('model_gone') }),
  /** Providers only: the provider is busy (Cerebras `queue_exceeded`, Gemini 503 "high demand", Mistral "Service tier capacity exceeded", llama.cpp "Loading model"). */
  z.strictObject({ ...faultCommon, kind: z.literal('overloaded') }),
  /** 403 moderation flag. */
  z.strictObject({
    ...faultCommon,
    kind: z.literal('moderation'),
    reasons: z.array(z.string()).min(1).default(['harassment']),
  }),
  /** 402 "This request requires more credits, or fewer max_tokens." */
  z.strictObject({
    ...faultCommon,
    kind: z.literal('insufficient_credits'),
    affordableTokens: z.number().int().nonnegative().default(2666),
  }),
  /** 429 with the bare documented body `Rate limit exceeded`. */
  z.strictObject({ ...faultCommon, kind: z.literal('rate_limited') }),
  /** 429 "Provider returned error" … "is temporarily rate-limited upstream". */
  z.strictObject({
    ...faultCommon,
    kind: z.literal('upstream_rate_limit'),
    provider: z.string().optional(),
    retryAfterSeconds: z.number().nonnegative().optional(),
  }),
  /** 429 `Rate limit exceeded: limit_rpm/…` (or `limit_rpd/…`), reset at the next minute (day). */
  z.strictObject({
    ...faultCommon,
    kind: z.literal('model_cap'),
    limit: positiveInt.default(8),
    per: z.enum(['minute', 'day']).default('minute'),
  }),
  /** The socket is destroyed before any response header. */
  z.strictObject({ ...faultCommon, kind: z.literal('connection_reset') }),
  /** Nothing is ever sent; the connection stays open until the client gives up. */
  z.strictObject({ ...faultCommon, kind: z.literal('no_response') }),
  /** Extra wait before the first token (not scaled by `latencyScale`); streams send keep-alive comments meanwhile. */
  z.strictObject({ ...faultCommon, kind: z.literal('slow_first_token'), delayMs: nonNegativeMs }),
  /** The answer stops after `afterChunks` content chunks: no final chunk, no usage, no `[DONE]`. */
  z.strictObject({
    ...faultCommon,
    kind: z.literal('stream_cut'),
    afterChunks: afterChunks(2),
    /** Destroy the socket instead of ending the body cleanly. */
    abrupt: z.boolean().default(false),
  }),
  /** The answer pauses after `afterChunks` chunks, silently, for `stallMs` (default: until the client leaves). */
  z.strictObject({
    ...faultCommon,
    kind: z.literal('stream_stall'),
    afterChunks: afterChunks(2),
    stallMs: nonNegativeMs.optional(),
  }),
  /** A `data:` line that is not valid JSON, after `afterChunks` chunks; the stream then goes on. */
  z.strictObject({ ...faultCommon, kind: z.literal('malformed_chunk'), afterChunks: afterChunks(1) }),
  /** A complete answer whose stream ends without `data: [DONE]`. */
  z.strictObject({ ...faultCommon, kind: z.literal('missing_done') }),
  /** HTTP 200 whose body is an error object with `choices: null` (streams: an error chunk first). */
  z.strictObject({
    ...faultCommon,
    kind: z.literal('error_in_200'),
    code: z.union([z.number().int(), z.string()]).default(429),
    message: z.string().default('Provider returned error'),
    raw: z.string().default('error code: 1015'),
  }),
  /** After `afterChunks` content chunks, an error chunk with `finish_reason: "error"`, then the end. */
  z.strictObject({
    ...faultCommon,
    kind: z.literal('midstream_error'),
    afterChunks: afterChunks(1),
    /** Number (`429`) or string (`"server_error"`), as OpenRouter sends both. */
    code: z.union([z.number().int(), z.string()]).default(429),
    message: z.string().default('Rate limit exceeded'),
    /** `metadata.error_type`; default `rate_limit_exceeded` for code 429, none otherwise. */
    errorType: z.string().optional(),
  }),
] as const;

type WindowKeys = 'from' | 'to' | 'fromMs' | 'toMs';
/** A parsed fault with its window in ms since t = 0 (`toMs` undefined = open-ended). */
type Normalized<T> = T extends unknown ? Omit<T, WindowKeys> & { fromMs: number; toMs?: number } : never;

function normalizeWindow<T extends { from?: string; to?: string; fromMs?: number; toMs?: number }>(
  fault: T,
): Normalized<T> {
  const { from, to, fromMs, toMs, ...rest } = fault;
  const start = fromMs ?? (from === undefined ? 0 : parseDurationMs(from));
  const end = toMs ?? (to === undefined ? undefined : parseDurationMs(to));
  return { ...rest, fromMs: start, ...(end === undefined ? {} : { toMs: end }) } as unknown as Normalized<T>;
}

/** Fault kinds that only make sense at OpenRouter (its moderation, credits, pools and caps). */
const OPENROUTER_ONLY_KINDS: ReadonlySet<string> = new Set([
  'moderation',
  'insufficient_credits',
  'upstream_rate_limit',
  'model_cap',
  'error_in_200',
]);

export const faultSchema = z
  .discriminatedUnion('kind', faultVariants)
  .superRefine((fault, ctx) => {
    const atOpenRouter = fault.upstream === undefined || fault.upstream === 'openrouter';
    if (atOpenRouter && fault.kind === 'overloaded')
      ctx.addIssue({
        code: 'custom',
        path: ['kind'],
        message: 'overloaded is for provider faults (set "upstream")',
      });
    if (!atOpenRouter && OPENROUTER_ONLY_KINDS.has(fault.kind))
      ctx.addIssue({
        code: 'custom',
        path: ['kind'],
        message: `${fault.kind} is an OpenRouter fault; providers take server_error, overloaded, rate_limited, model_gone and the connection and stream faults`,
      });
    if (fault.from !== undefined && fault.fromMs !== undefined)
      ctx.addIssue({ code: 'custom', path: ['fromMs'], message: 'give either "from" or "fromMs", not both' });
    if (fault.to !== undefined && fault.toMs !== undefined)
      ctx.addIssue({ code: 'custom', path: ['toMs'], message: 'give either "to" or "toMs", not both' });
    // Refinements run even when a field already failed: parse leniently here.
    const lenient = (text: string | undefined) =>
      text !== undefined && DURATION_PATTERN.test(text) ? parseDurationMs(text) : undefined;
    const start = fault.fromMs ?? lenient(fault.from) ?? 0;
    const end = fault.toMs ?? lenient(fault.to);
    if (end !== undefined && end <= start)
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `window ends (${end} ms) before it starts (${start} ms)`,
      });
  })
  .transform(normalizeWindow);

/** A fault as written (YAML, admin API). */
export type FaultInput = z.input<typeof faultSchema>;
/** A validated fault, window in ms. */
export type FaultSpec = z.output<typeof faultSchema>;
export type FaultKind = FaultSpec['kind'];
export const FAULT_KINDS = faultVariants.map((v) => v.shape.kind.value) as readonly FaultKind[];

export const accountSchema = z.strictObject({
  /** Has bought ≥ 10 credits: 1000 `:free` requests per day instead of 50. */
  hasCredits: z.boolean().default(false),
  /** Enforce the account's free-model limits at all. */
  freeLimits: z.boolean().default(true),
  /** `:free` requests per minute (aligned to the minute). */
  perMinute: positiveInt.default(20),
  /** `:free` requests per UTC day; default 50, or 1000 with credits. */
  perDay: positiveInt.optional(),
  /** `user_id` echoed in the bodies that carry one. */
  userId: z.string().min(1).default('user_2simulatorAccount0000000'),
});
export type AccountConfig = z.infer<typeof accountSchema>;

export const scenarioSchema = z.strictObject({
  /** Seed for every random choice (answers, fault probabilities). */
  seed: z.number().int().optional(),
  /** Multiplies every model latency; 0 = answer at once, no timers. */
  latencyScale: z.number().nonnegative().optional(),
  /** Words in a default answer. */
  completionTokens: positiveInt.optional(),
  /** Serve this `GET /models` snapshot; relative paths are from the scenario file. */
  modelsFile: z.string().optional(),
  /** Start from the seed's 12 models plus gemma-3n (true), or only the models listed here (false). */
  defaultModels: z.boolean().default(true),
  account: accountSchema.prefault({}),
  /** New models, or overrides of default/snapshot models with the same id. */
  models: z.array(simModelSchema).default([]),
  faults: z.array(faultSchema).default([]),
  /**
   * Other built-in providers to serve besides OpenRouter, each under `/<id>/…` (see
   * src/sim/README.md): id → its models and limit changes. Listing one enables it.
   */
  providers: simProvidersSchema.default({}),
});
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;

/** A scenario or fault list that failed validation; `issues` has one line per problem. */
export class ScenarioError extends Error {
  constructor(
    readonly source: string,
    readonly issues: string[],
  ) {
    super(`Invalid ${source}:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ScenarioError';
  }
}

/** One readable line per issue: `faults[1].status: Invalid input … (got 504)`. */
export function formatIssues(error: z.ZodError, input: unknown): string[] {
  return error.issues.map((issue) => {
    const where = formatPath(issue.path) || '(root)';
    if (issue.code === 'unrecognized_keys') return `${where}: ${issue.message}`;
    const value = valueAt(input, issue.path);
    const got = value === undefined ? ' (missing)' : ` (got ${JSON.stringify(value)})`;
    return `${where}: ${issue.message}${got}`;
  });
}

function parseWith<S extends z.ZodType>(schema: S, input: unknown, source: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ScenarioError(source, formatIssues(result.error, input));
  return result.data;
}

/** Validate a scenario object (already parsed from YAML/JSON). */
export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  return parseWith(scenarioSchema, input ?? {}, source);
}

/** Validate one fault or a list of faults (admin API, `setFaults`). */
export function parseFaults(input: unknown, source = 'faults'): FaultSpec[] {
  return parseWith(z.array(faultSchema), Array.isArray(input) ? input : [input], source);
}

/** Parse and validate a scenario file; `modelsFile` is resolved against the file's folder. */
export async function loadScenarioFile(path: string): Promise<Scenario> {
  const text = await readFile(path, 'utf8');
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new ScenarioError(`scenario file ${path}`, [`not valid YAML: ${(err as Error).message}`]);
  }
  const scenario = parseScenario(data, `scenario file ${path}`);
  if (scenario.modelsFile !== undefined) scenario.modelsFile = resolve(dirname(path), scenario.modelsFile);
  return scenario;
}
