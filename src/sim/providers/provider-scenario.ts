/**
 * The `providers:` part of a simulator scenario (and of the admin API's provider bodies): which
 * built-in providers the simulator serves, their models, and changes to the catalog's limits so a
 * test can shrink a day quota to a handful of requests and spend it. The schema is the type.
 */
import { z } from 'zod';
import { resetRuleSchema } from '../../providers/provider-catalog-schema.js';
import { QUOTA_WINDOWS, type QuotaWindow } from '../../providers/quota-window.js';

const quotaWindow = z.enum(QUOTA_WINDOWS as [QuotaWindow, ...QuotaWindow[]]);
const positive = z.number().positive();
const positiveInt = z.number().int().positive();

/** One simulated model of a provider. Every field but `id` has a default. */
export const simProviderModelSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().optional(),
  /** `owned_by` / publisher in the model list. */
  ownedBy: z.string().optional(),
  contextLength: positiveInt.optional(),
  maxCompletionTokens: positiveInt.optional(),
  /** Time to first token at latency scale 1, ms. */
  ttftMs: z.number().nonnegative().optional(),
  tokensPerSecond: positive.optional(),
  /** Accepts `tools`. */
  tools: z.boolean().optional(),
  /** Accepts `tool_choice: "auto"` (false: NVIDIA's vLLM stacks without a tool parser answer 400). */
  autoToolChoice: z.boolean().optional(),
  /**
   * `free`: servable. `no_free_tier`: listed, but the free tier has no quota for it (Gemini's 429
   * "limit: 0"). `not_entitled`: listed, but 404 for this account (NVIDIA's "Not found for account").
   */
  access: z.enum(['free', 'no_free_tier', 'not_entitled']).optional(),
  /** Limit figures for this model that differ from the catalog's (GitHub's rate-limit tiers). */
  limits: z.partialRecord(quotaWindow, positive).optional(),
  /** Input tokens one request may carry (GitHub's per-tier cap: 413 `tokens_limit_reached`). */
  maxInputTokens: positiveInt.optional(),
  /** Cloudflare: neurons per million input and output tokens. */
  neuronsPerMInputTokens: positive.optional(),
  neuronsPerMOutputTokens: positive.optional(),
  /** GitHub's `rate_limit_tier` in the catalog list. */
  tier: z.string().optional(),
});
export type SimProviderModelInput = z.infer<typeof simProviderModelSchema>;

/**
 * A change to one limit of the catalog: a number sets the figure for every model (or the
 * account), `false` removes the limit, an object changes any field. A window the catalog does not
 * list needs `per` and `reset`.
 */
export const limitOverrideSchema = z.union([
  positive,
  z.literal(false),
  z.strictObject({
    limit: positive.optional(),
    by_model: z.record(z.string(), positive).optional(),
    per: z.enum(['model', 'account']).optional(),
    reset: resetRuleSchema.optional(),
    period_s: positive.optional(),
  }),
]);
export type LimitOverride = z.infer<typeof limitOverrideSchema>;
export const limitOverridesSchema = z.partialRecord(quotaWindow, limitOverrideSchema);
export type LimitOverrides = z.infer<typeof limitOverridesSchema>;

export const simProviderSchema = z.strictObject({
  /** Serve this provider (listing it enables it). */
  enabled: z.boolean().default(true),
  /** Start from the simulator's default models for this provider (false: only `models`). */
  defaultModels: z.boolean().default(true),
  /** New models, or overrides of default models with the same id. */
  models: z.array(simProviderModelSchema).default([]),
  limits: limitOverridesSchema.default({}),
  /** Cloudflare's account id in the base path (default `0123456789abcdef0123456789abcdef`). */
  accountId: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional(),
});
export type SimProviderInput = z.input<typeof simProviderSchema>;
export type SimProviderScenario = z.output<typeof simProviderSchema>;

/** Provider id → its simulation. */
export const simProvidersSchema = z.record(
  z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a provider id like "groq"'),
  simProviderSchema,
);

/** Admin API: change one provider while the simulator runs. */
export const providerUpdateSchema = z.strictObject({
  enabled: z.boolean().optional(),
  /** Merged into the provider's current overrides (a window set to `false` is removed). */
  limits: limitOverridesSchema.optional(),
  /** Pre-spend quota: usage to count as already made in the current window. */
  usage: z
    .array(
      z.strictObject({
        window: quotaWindow,
        /** For a per-model window: which model (default: every model of the provider). */
        model: z.string().min(1).optional(),
        used: z.number().nonnegative(),
      }),
    )
    .optional(),
});
export type ProviderUpdate = z.infer<typeof providerUpdateSchema>;
