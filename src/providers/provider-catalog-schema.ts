/**
 * The provider catalog's schema: one zod schema that validates `registry/providers.yaml` (and the
 * providers a user adds or overrides) and is the source of its TypeScript types. Keys are
 * snake_case because they are the YAML's keys; objects are strict so a misspelt field is an error.
 *
 * A provider is data: where it lives (OpenAI-compatible base URL), which environment variable
 * holds its key, how to list its models and which are free, its limit model (windows, who they
 * are counted for, how they reset), the response headers to learn quota from, the rules that
 * classify its error bodies, and the request parameters it rejects.
 */
import { z } from 'zod';
import { isKnownTimeZone, QUOTA_WINDOWS, type QuotaWindow } from './quota-window.js';

/** Provider ids: lower-case, digits and `-` (they become `<ID>_BASE_URL` with `-` → `_`). */
const providerId = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'expected a lower-case id like "groq" or "github-models"');

/** An environment variable name. */
const envName = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]*$/, 'expected an environment variable name like GROQ_API_KEY');

const quotaWindow = z.enum(QUOTA_WINDOWS as [QuotaWindow, ...QuotaWindow[]]);

/** A regular expression written in YAML; matched case-insensitively. */
const pattern = z.string().refine((text) => {
  try {
    new RegExp(text, 'i');
    return true;
  } catch {
    return false;
  }
}, 'expected a valid regular expression');

/** How a window resets. */
export const resetRuleSchema = z.discriminatedUnion('rule', [
  /** At a clock boundary (next minute, midnight, Monday, first of month) in `time_zone`. */
  z.strictObject({
    rule: z.literal('fixed'),
    time_zone: z
      .string()
      .refine(isKnownTimeZone, 'expected an IANA time zone like UTC or America/Los_Angeles'),
  }),
  /** Usage older than one period stops counting ("per 86400s"). */
  z.strictObject({ rule: z.literal('rolling') }),
  /** A token bucket that refills at limit/period all the time. */
  z.strictObject({ rule: z.literal('continuous') }),
]);

/** One limit a provider enforces. */
export const limitSchema = z.strictObject({
  window: quotaWindow,
  /** Counted per model, or for the whole account (see `holder`). */
  per: z.enum(['model', 'account']),
  /** What "account" means at this provider, in its own words (display only). */
  holder: z.enum(['account', 'org', 'project', 'user', 'workspace', 'key']).default('account'),
  /** The free tier's typical figure (per model when `per: model`); absent when unknown. */
  limit: z.number().positive().optional(),
  /** Figures that differ by model id. */
  by_model: z.record(z.string(), z.number().positive()).optional(),
  reset: resetRuleSchema,
  /** Length of a `session` window, seconds (Ollama Cloud: 18 000). */
  period_s: z.number().positive().optional(),
});

/** A response header that reports quota. */
export const quotaHeaderSchema = z
  .strictObject({
    /** Header name (matched case-insensitively). */
    name: z.string().min(1),
    /** The window it reports on … */
    window: quotaWindow.optional(),
    /** … or the header whose value names the window (GitHub's `x-ratelimit-type`), looked up in `window_types`. */
    window_from: z.string().min(1).optional(),
    field: z.enum(['limit', 'remaining', 'reset']),
    /**
     * How the value is written: `number` (a count; for a reset, seconds from now); `go_duration`
     * (`2m59.56s`); `seconds` (relative, may be fractional); `epoch_ms`; `epoch` (seconds or ms,
     * told apart by size).
     */
    format: z.enum(['number', 'go_duration', 'seconds', 'epoch_ms', 'epoch']).default('number'),
    /** The figure is advertised but was measured not to bind (GitHub's 200s). */
    advisory: z.boolean().default(false),
  })
  .refine((h) => (h.window === undefined) !== (h.window_from === undefined), {
    message: 'give exactly one of window and window_from',
  });

/** What kind of failure an error is, in the provider's terms. */
export const PROVIDER_ERROR_KINDS = [
  /** A quota window is spent; `window`/`per` say which. */
  'rate_limit',
  /** The provider is busy (queue full, model overloaded, loading): not this account's fault. */
  'overloaded',
  /** One request is larger than the whole budget (per-minute tokens, per-request cap): never retry here. */
  'request_too_large',
  /** Prompt + completion exceed the model's context window. */
  'context_length',
  /** A parameter this provider rejects: strip or translate it (`params`) and retry. */
  'bad_param',
  /** This provider cannot serve this request's shape or features (tools, message order): go elsewhere. */
  'unsupported',
  /** The request itself is wrong everywhere (bad value). */
  'request_error',
  /** The model is gone, unknown, or not available to this account. */
  'model_not_found',
  /** The model has no free quota at all for this account (Gemini `limit: 0`). */
  'no_free_quota',
  /** The key is invalid or lacks permission. */
  'auth',
  /** The provider is misconfigured (wrong account id or path in the base URL). */
  'config',
  /** Out of credits. */
  'credits',
  /** The provider failed (5xx, broken answer). */
  'server_error',
  /** The provider timed out. */
  'timeout',
] as const;
export type ProviderErrorKind = (typeof PROVIDER_ERROR_KINDS)[number];

const statusMatch = z.union([
  z.number().int().min(100).max(599),
  z.enum(['4xx', '5xx']),
  z.array(z.number().int().min(100).max(599)).min(1),
]);

/** One classification rule: every condition given must hold; the first matching rule wins. */
export const errorRuleSchema = z
  .strictObject({
    when: z.strictObject({
      status: statusMatch.optional(),
      /** The body's error code (`code`, Cloudflare `errors[].code`, Gemini `status`), compared as text. */
      code: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
      /** The body's error type (`type`). */
      type: z.string().optional(),
      /** The body's `param`. */
      param: z.string().optional(),
      /** Regular expression over the error's text (message, details, type, code). */
      text: pattern.optional(),
      /** Regular expression over any Gemini `QuotaFailure.violations[].quotaId`. */
      quota_id: pattern.optional(),
      /** Response headers and a regular expression their value must match. */
      headers: z.record(z.string(), pattern).optional(),
    }),
    kind: z.enum(PROVIDER_ERROR_KINDS),
    /** For `rate_limit` (and `request_too_large`): which window. Default `requests_unknown`. */
    window: quotaWindow.optional(),
    /** For `rate_limit`: counted per model or per account. Default: the catalog's limit for that window, else `model`. */
    per: z.enum(['model', 'account']).optional(),
    /** For `bad_param`/`unsupported`: the request parameters at fault, when the body does not name them. */
    params: z.array(z.string().min(1)).optional(),
    /** Why, for readers of the catalog (and the source of the rule). */
    note: z.string().optional(),
  })
  .refine((rule) => Object.keys(rule.when).length > 0, {
    message: 'a rule needs at least one condition in `when`',
    path: ['when'],
  });

/** A request parameter the provider rejects, and what to do instead. */
export const paramRuleSchema = z.discriminatedUnion('action', [
  /** Remove the field (`messages[].name` reaches into every message). With `when`, only when it has that value. */
  z.strictObject({
    action: z.literal('drop'),
    param: z.string().min(1),
    when: z.union([z.string(), z.number(), z.boolean()]).optional(),
  }),
  /** Send the value under another name; when the client also sent `to`, the client's `to` wins. */
  z.strictObject({ action: z.literal('rename'), param: z.string().min(1), to: z.string().min(1) }),
  /** `messages[].content` as an array of text parts (or null) becomes one string. */
  z.strictObject({ action: z.literal('flatten_content') }),
  /** Tool-call ids rewritten to 9 letters/digits (Mistral), consistently in calls and tool results. */
  z.strictObject({ action: z.literal('tool_call_ids_alnum9') }),
]);

/** How to list a provider's models, and which are free. */
export const modelListSchema = z.strictObject({
  /** Path under the base URL (or an absolute URL) of the model list; absent when there is none. */
  path: z.string().min(1).optional(),
  /** `openai`: `{data:[{id}]}`; `array`: a bare JSON array (GitHub's catalog); `cloudflare`: `{result:[{name}]}`. */
  shape: z.enum(['openai', 'array', 'cloudflare']).default('openai'),
  /** The list answers without a key (NVIDIA, SambaNova). */
  public: z.boolean().default(false),
  /**
   * Which listed models are free: `all` (the free tier covers every model), `suffix` (id ends
   * with `free_suffix`), `zero_price` (OpenRouter's pricing), `listed` (only `free_models`).
   */
  free: z.enum(['all', 'suffix', 'zero_price', 'listed']).default('all'),
  free_suffix: z.string().min(1).optional(),
  free_models: z.array(z.string().min(1)).optional(),
  /** A prefix the list puts on ids that the chat endpoint does not want (Gemini's `models/`). */
  strip_prefix: z.string().min(1).optional(),
});

export const providerSchema = z.strictObject({
  id: providerId,
  name: z.string().min(1),
  /** OpenAI-compatible base URL; `{NAME}` placeholders are filled from `base_url_vars`. */
  base_url: z.string().regex(/^https?:\/\/\S+$/, 'expected an http(s) URL'),
  /** Placeholders in `base_url` and the environment variable that fills each. */
  base_url_vars: z.record(z.string().regex(/^[A-Z_]+$/), envName).default({}),
  /** Variables that may hold the key, first set wins. Empty for servers that need no key. */
  key_env: z.array(envName).default([]),
  /**
   * A local server (Ollama, llama.cpp, vLLM, LM Studio): unlimited, tried last, and only joins when
   * `<ID>_BASE_URL` is set or the config enables it (there is no key to tell us it exists).
   */
  local: z.boolean().default(false),
  /** `true` joins without a key (local servers); `false` keeps a provider out even with a key. */
  enabled: z.boolean().optional(),
  /** A key written in config (local servers started with `--api-key`); prefer `key_env`. Never logged. */
  api_key: z.string().min(1).optional(),
  models: modelListSchema.default({ shape: 'openai', public: false, free: 'all' }),
  limits: z.array(limitSchema).default([]),
  quota_headers: z.array(quotaHeaderSchema).default([]),
  /** Values of a `window_from` header and the window each names (GitHub: `UserByMinute` → `requests_minute`). */
  window_types: z.record(z.string(), quotaWindow).default({}),
  /** Classification rules, tried before the catalog's `common_errors`. */
  errors: z.array(errorRuleSchema).default([]),
  params: z.array(paramRuleSchema).default([]),
  /** Cool-down after a 429 that says nothing about its window or wait (NVIDIA), seconds. */
  unknown_limit_cooldown_s: z.number().positive().default(60),
  /**
   * Output tokens the provider reserves against its token windows when a request sets no output
   * limit (Cerebras: its default `max_completion_tokens`, 16,384): rotor's estimate counts them too.
   */
  reserved_output_tokens: z.number().int().positive().optional(),
  /** Terms a user pooling this provider should know (one key per provider; no resale; …). */
  terms: z.string().optional(),
  /**
   * Models (the provider's own ids) that join the automatic rotation when the provider joins,
   * best first. A model the key cannot use answers 404 or "no free quota" and is retired.
   */
  rotation: z.array(z.string().min(1)).default([]),
});

export const providerCatalogSchema = z
  .strictObject({
    version: z.string().regex(/^\d+\.\d+\.\d+$/, 'expected a version like 1.0.0'),
    last_updated: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected an ISO date like 2026-11-30'),
    /** Rules every provider shares, tried after the provider's own. */
    common_errors: z.array(errorRuleSchema).default([]),
    /**
     * The order in which joined providers' models fill the automatic rotation (`auto`). Providers
     * not listed follow in catalog order, local servers last.
     */
    auto_order: z.array(providerId).default([]),
    providers: z.array(providerSchema),
  })
  .superRefine((catalog, ctx) => {
    const seen = new Set<string>();
    catalog.providers.forEach((provider, index) => {
      if (seen.has(provider.id)) {
        ctx.addIssue({ code: 'custom', path: ['providers', index, 'id'], message: 'duplicate provider id' });
      }
      seen.add(provider.id);
      checkProvider(provider, (path, message) =>
        ctx.addIssue({ code: 'custom', path: ['providers', index, ...path], message }),
      );
    });
  });

/** Cross-field checks of one provider, shared by the catalog and by user overrides. */
export function checkProvider(
  provider: Provider,
  report: (path: (string | number)[], message: string) => void,
): void {
  for (const name of provider.base_url.matchAll(/\{([A-Z_]+)\}/g)) {
    if (provider.base_url_vars[name[1]!] === undefined) {
      report(['base_url'], `placeholder {${name[1]}} has no entry in base_url_vars`);
    }
  }
  provider.limits.forEach((limit, index) => {
    if (limit.window.endsWith('_session') && limit.period_s === undefined) {
      report(['limits', index, 'period_s'], 'required for a session window');
    }
  });
  provider.quota_headers.forEach((header, index) => {
    if (header.window_from !== undefined && Object.keys(provider.window_types).length === 0) {
      report(['quota_headers', index, 'window_from'], 'needs window_types to name the windows');
    }
  });
  if (provider.models.free === 'suffix' && provider.models.free_suffix === undefined) {
    report(['models', 'free_suffix'], 'required when free is suffix');
  }
  if (provider.models.free === 'listed' && provider.models.free_models === undefined) {
    report(['models', 'free_models'], 'required when free is listed');
  }
}

export type ProviderCatalog = z.infer<typeof providerCatalogSchema>;
export type Provider = z.infer<typeof providerSchema>;
export type ProviderLimit = z.infer<typeof limitSchema>;
export type ResetRule = z.infer<typeof resetRuleSchema>;
export type QuotaHeaderSpec = z.infer<typeof quotaHeaderSchema>;
export type ErrorRule = z.infer<typeof errorRuleSchema>;
export type ParamRule = z.infer<typeof paramRuleSchema>;
