/**
 * The model registry's schema: one zod schema that validates `registry/free-models.yaml` and is
 * the source of its TypeScript types. Keys are snake_case because they are the YAML's keys.
 * Objects are strict so a misspelt field is an error, not a silently ignored line.
 */
import { z } from 'zod';

/** Lifecycle of a model in the registry. */
export const MODEL_STATUSES = ['verified', 'untested', 'rate_limited', 'incompatible', 'retired'] as const;
export type ModelStatus = (typeof MODEL_STATUSES)[number];

/** Statuses that must never be in the rotation: the model cannot serve requests. */
export const UNSERVABLE_STATUSES: readonly ModelStatus[] = ['incompatible', 'retired'];

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function isIsoDateOrDateTime(text: string): boolean {
  return (ISO_DATE.test(text) || ISO_DATE_TIME.test(text)) && !Number.isNaN(Date.parse(text));
}

/** OpenRouter model ids: `author/slug`, optionally with a variant such as `:free`. */
const modelId = z.string().regex(/^[^\s/]+\/\S+$/, 'expected a model id like "author/model:free"');

/** Prices are USD per token as decimal strings, exactly as OpenRouter sends them. */
const price = z
  .string()
  .refine((text) => /^\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text), 'expected a non-negative decimal string');

/** Each capability is optional: absent means "not known", which is not the same as "no". */
export const capabilitiesSchema = z.strictObject({
  /** Accepts a `system` (developer) message. */
  system_prompt: z.boolean().optional(),
  /** Accepts `tools` / `tool_choice` (function calling). */
  tools: z.boolean().optional(),
  /** Accepts image input. */
  vision: z.boolean().optional(),
  /** Accepts `response_format` (JSON mode / structured outputs). */
  json_mode: z.boolean().optional(),
  /** Emits or accepts reasoning (`reasoning`, `include_reasoning`). */
  reasoning: z.boolean().optional(),
});

const milliseconds = z.number().nonnegative();

/** Figures measured by `rotor probe` (or recorded by hand from an earlier measurement). */
export const measuredSchema = z.strictObject({
  /** Median total latency of a short completion, ms. */
  p50_ms: milliseconds.optional(),
  /** 95th percentile total latency, ms. */
  p95_ms: milliseconds.optional(),
  /** Median time to first token, ms. */
  ttft_ms: milliseconds.optional(),
  /** Fraction of probes that succeeded, 0–1 (0.8 = 80 %). */
  success_rate: z.number().min(0).max(1).optional(),
  /** How many probes the figures are based on. */
  samples: z.number().int().nonnegative().optional(),
  /** When the figures were taken: ISO date or date-time. */
  last_tested: z
    .string()
    .refine(isIsoDateOrDateTime, 'expected an ISO date (2025-10-25) or date-time')
    .optional(),
});

export const pricingSchema = z.strictObject({
  /** USD per prompt token. */
  prompt: price,
  /** USD per completion token. */
  completion: price,
});

export const modelSchema = z
  .strictObject({
    /** OpenRouter model id, e.g. `meta-llama/llama-3.3-8b-instruct:free`. */
    id: modelId,
    /** Display name; defaults to the id. */
    name: z.string().min(1).optional(),
    /** Provider/family used for diversity in the rotation; defaults to the id's author. */
    family: z.string().min(1).optional(),
    status: z.enum(MODEL_STATUSES),
    /** Context window, tokens. */
    context_length: z.number().int().positive().optional(),
    capabilities: capabilitiesSchema.default({}),
    /** Expected total latency of a short completion, ms (the seed's measured means live here). */
    expected_latency_ms: milliseconds.optional(),
    measured: measuredSchema.optional(),
    known_issues: z.array(z.string()).default([]),
    notes: z.string().optional(),
    pricing: pricingSchema.optional(),
    /** Why the model cannot be used; required when status is `incompatible`. */
    incompatible_reason: z.string().min(1).optional(),
    /** Why the model was retired; required when status is `retired`. */
    retired_reason: z.string().min(1).optional(),
  })
  .transform((model) => ({
    ...model,
    name: model.name ?? model.id,
    family: model.family ?? familyFromId(model.id),
  }));

export const registrySchema = z
  .strictObject({
    /** Version of the registry's content (semver); `--write` bumps the patch level. */
    version: z.string().regex(/^\d+\.\d+\.\d+$/, 'expected a version like 1.1.0'),
    /** Date of the last change, ISO date. */
    last_updated: z.string().regex(ISO_DATE, 'expected an ISO date like 2025-10-25'),
    /** Default rotation order, primary first. */
    rotation: z.array(modelId).default([]),
    models: z.array(modelSchema),
  })
  .superRefine((registry, ctx) => {
    const byId = new Map<string, RegistryModel>();
    registry.models.forEach((model, index) => {
      if (byId.has(model.id)) {
        ctx.addIssue({ code: 'custom', path: ['models', index, 'id'], message: 'duplicate model id' });
      }
      byId.set(model.id, model);
      if (model.status === 'incompatible' && model.incompatible_reason === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', index, 'incompatible_reason'],
          message: 'required when status is incompatible',
        });
      }
      if (model.status === 'retired' && model.retired_reason === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', index, 'retired_reason'],
          message: 'required when status is retired',
        });
      }
    });
    const seen = new Set<string>();
    registry.rotation.forEach((id, index) => {
      const model = byId.get(id);
      if (seen.has(id)) {
        ctx.addIssue({ code: 'custom', path: ['rotation', index], message: 'listed twice in the rotation' });
      } else if (model === undefined) {
        ctx.addIssue({ code: 'custom', path: ['rotation', index], message: 'not a model in `models`' });
      } else if (UNSERVABLE_STATUSES.includes(model.status)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rotation', index],
          message: `model is ${model.status}; remove it from the rotation`,
        });
      }
      seen.add(id);
    });
  });

/** A validated registry, defaults applied (`name`, `family`, `capabilities`, `known_issues`, `rotation`). */
export type Registry = z.infer<typeof registrySchema>;
export type RegistryModel = z.infer<typeof modelSchema>;
/** A model as written in YAML: optional fields may be left out. */
export type RegistryModelInput = z.input<typeof modelSchema>;
export type ModelCapabilities = z.infer<typeof capabilitiesSchema>;
export type MeasuredStats = z.infer<typeof measuredSchema>;

/** The author part of an OpenRouter id (`meta-llama/llama-3.3-8b-instruct:free` → `meta-llama`). */
export function familyFromId(id: string): string {
  const slash = id.indexOf('/');
  return (slash > 0 ? id.slice(0, slash) : id).replace(/^~/, '');
}
