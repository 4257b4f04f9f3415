/**
 * The simulated providers as one world, with no sockets: for a chat request it decides what the
 * provider answers — in the order a provider decides: key, body, model, rejected parameters,
 * tools, free quota, context, per-request caps, quota windows, then scripted faults — and counts
 * what it admits. The HTTP server (`provider-http.ts`) and the virtual-time transport
 * (`virtual-provider-transport.ts`) render the same decisions, so a benchmark in virtual time sees
 * exactly what a test over a socket sees.
 */
import { readFileSync } from 'node:fs';
import type { Clock } from '../../engine/clock.js';
import { defaultProviderCatalogPath, parseProviderCatalog } from '../../providers/provider-catalog-file.js';
import type { Provider, ProviderCatalog } from '../../providers/provider-catalog-schema.js';
import type { QuotaWindow } from '../../providers/quota-window.js';
import {
  type AnswerPlan,
  type ChatRequest,
  estimatePromptTokens,
  hasTools,
  planAnswer,
} from '../answer-plan.js';
import type { AttemptLog, AttemptOutcome, AttemptRecord } from '../attempt-log.js';
import type { FaultSchedule, ScheduledFault } from '../fault-schedule.js';
import { hashString } from '../hash.js';
import { parseJsonObject } from '../http-util.js';
import { ScenarioError } from '../scenario-schema.js';
import type { DeliveryFault } from '../stream-fault.js';
import { cloudflareNoRoute } from './cloudflare-dialect.js';
import { dialectOf } from './dialects.js';
import { LimitCounter } from './limit-counter.js';
import type { ProviderMeta } from './provider-completion.js';
import type { ChatContext, ProviderChatRequest, ProviderDialect, SimResponse } from './provider-dialect.js';
import { requestedMaxTokens } from './provider-dialect.js';
import { ProviderQuota, type QuotaView } from './provider-quota.js';
import type { LimitOverrides, ProviderUpdate, SimProviderScenario } from './provider-scenario.js';
import { providerModels, type SimProviderModel } from './provider-sim-models.js';

/** Cloudflare's account id in the simulated base path unless the scenario names one. */
export const DEFAULT_CLOUDFLARE_ACCOUNT_ID = '0123456789abcdef0123456789abcdef';

/**
 * Faults that change how a successful answer is delivered rather than replacing it (a provider has
 * no `error_in_200`: that one is OpenRouter's).
 */
export type ProviderDeliveryFault = Exclude<DeliveryFault, { kind: 'error_in_200' }>;

/** What the provider answers a chat request. */
export type ProviderAnswer =
  | { kind: 'error'; outcome: AttemptOutcome; response: SimResponse; window?: QuotaWindow; faultId?: string }
  /** No HTTP answer at all: the connection is reset, or nothing ever comes. */
  | { kind: 'drop'; outcome: 'connection_reset' | 'no_response'; faultId?: string }
  | {
      kind: 'ok';
      ctx: ChatContext;
      plan: AnswerPlan;
      meta: ProviderMeta;
      headers: Record<string, string>;
      /** Where usage goes in the stream. */
      usage: 'none' | 'own_chunk' | 'final_chunk';
      delivery?: ProviderDeliveryFault;
      /** Ends the request's hold on a concurrency limit: call when the answer is complete or abandoned. */
      release: () => void;
    };

/** A simulated provider's place in the simulator. */
export interface SimProviderEntry {
  readonly id: string;
  readonly provider: Provider;
  readonly dialect: ProviderDialect;
  readonly models: ReadonlyMap<string, SimProviderModel>;
  readonly quota: ProviderQuota;
  enabled: boolean;
  readonly accountId: string;
  /** `/groq/openai/v1`: the path every OpenAI route of the provider hangs off. */
  readonly basePath: string;
  /** Where its model list is served (`/github-models/catalog/models`, Cloudflare's `…/ai/models/search`). */
  readonly modelsPath: string;
  /** The account as the provider names it in messages. */
  readonly accountLabel: string;
  readonly advisory: ReadonlyArray<{ window: QuotaWindow; counter: LimitCounter }>;
}

export interface ProviderWorldOptions {
  clock: Clock;
  seed: number;
  completionTokens: number;
  /** Provider id → its simulation (a listed provider is enabled unless it says otherwise). */
  providers: Readonly<Record<string, SimProviderScenario>>;
  faults: FaultSchedule;
  log: AttemptLog;
  /** Accepted keys; undefined accepts any non-empty key. Local servers need none. */
  apiKeys?: ReadonlySet<string>;
  /** Default: the shipped `registry/providers.yaml`. */
  catalog?: ProviderCatalog;
  /** Epoch ms of t = 0 for fault windows and attempt times. */
  startMs: () => number;
}

/** What a chat request to a provider carries. */
export interface ProviderChatInput {
  providerId: string;
  /** The bearer key, if any. */
  key: string | undefined;
  bodyText: string;
}

let shippedCatalog: ProviderCatalog | undefined;

/** The shipped provider catalog, read once (synchronously: a virtual transport is built in a constructor). */
export function shippedProviderCatalog(): ProviderCatalog {
  shippedCatalog ??= parseProviderCatalog(
    readFileSync(defaultProviderCatalogPath(), 'utf8'),
    defaultProviderCatalogPath(),
  );
  return shippedCatalog;
}

/** The labels providers print for the account (Groq's org id in its 429 text, NVIDIA's account hash, …). */
const ACCOUNT_LABELS: Readonly<Record<string, string>> = {
  groq: 'org_01simulatedorg000000000000',
  cerebras: 'org-simulated0000000000000000',
  gemini: 'projects/000000000000',
  'github-models': 'sim-user',
  nvidia: 'SimulatedAccount0000000000000000000000000000',
  'ollama-cloud': 'simuser',
};

/** The path part of a catalog URL, placeholders filled, without a trailing slash. */
function pathOf(url: string, accountId: string): string {
  const filled = url.replace(/\{ACCOUNT_ID\}/g, accountId).replace(/\{[A-Z_]+\}/g, 'x');
  return new URL(filled).pathname.replace(/\/+$/, '');
}

export class ProviderWorld {
  readonly catalog: ProviderCatalog;
  private readonly entries = new Map<string, SimProviderEntry>();
  private readonly options: ProviderWorldOptions;
  private generation = 0;

  constructor(options: ProviderWorldOptions) {
    this.options = options;
    this.catalog = options.catalog ?? shippedProviderCatalog();
    const known = new Set(this.catalog.providers.map((p) => p.id));
    const issues = Object.keys(options.providers)
      .filter((id) => !known.has(id) || id === 'openrouter')
      .map((id) =>
        id === 'openrouter'
          ? 'providers.openrouter: OpenRouter is the simulator itself; configure it with models, account and faults'
          : `providers.${id}: not a built-in provider (known: ${[...known].filter((k) => k !== 'openrouter').join(', ')})`,
      );
    if (issues.length > 0) throw new ScenarioError('scenario', issues);
    for (const provider of this.catalog.providers) {
      if (provider.id === 'openrouter') continue;
      const dialect = dialectOf(provider.id);
      if (!dialect) continue;
      const config = options.providers[provider.id];
      const models = new Map(
        providerModels(provider.id, config?.models ?? [], config?.defaultModels ?? true).map((m) => [
          m.id,
          m,
        ]),
      );
      const accountId = config?.accountId ?? DEFAULT_CLOUDFLARE_ACCOUNT_ID;
      const basePath = `/${provider.id}${pathOf(provider.base_url, accountId)}`;
      const modelsPath =
        provider.models.path === undefined || !/^https?:\/\//.test(provider.models.path)
          ? `${basePath}/${(provider.models.path ?? '/models').replace(/^\/+/, '')}`
          : `/${provider.id}${pathOf(provider.models.path, accountId)}`;
      let quota: ProviderQuota;
      try {
        quota = new ProviderQuota(provider, models, config?.limits ?? {});
      } catch (err) {
        throw new ScenarioError('scenario', [`providers.${provider.id}.limits: ${(err as Error).message}`]);
      }
      this.entries.set(provider.id, {
        id: provider.id,
        provider,
        dialect,
        models,
        quota,
        enabled: config?.enabled ?? false,
        accountId,
        basePath,
        modelsPath,
        accountLabel: ACCOUNT_LABELS[provider.id] ?? accountId,
        advisory: (dialect.advisoryLimits ?? []).map((a) => ({
          window: a.window,
          counter: new LimitCounter(a.limit, { rule: 'rolling' }, 'minute', 60_000),
        })),
      });
    }
  }

  /** Every simulated provider (enabled or not), catalog order. */
  all(): SimProviderEntry[] {
    return [...this.entries.values()];
  }

  enabled(): SimProviderEntry[] {
    return this.all().filter((e) => e.enabled);
  }

  get(id: string): SimProviderEntry | undefined {
    return this.entries.get(id);
  }

  /** Change a provider at run time (admin API): enable it, change its limits, pre-spend quota. */
  update(id: string, update: ProviderUpdate): SimProviderEntry {
    const entry = this.entries.get(id);
    if (!entry) throw new RangeError(`no simulated provider ${id}`);
    const nowMs = this.options.clock.now();
    if (update.enabled !== undefined) entry.enabled = update.enabled;
    if (update.limits) entry.quota.applyOverrides(update.limits as LimitOverrides, nowMs);
    for (const u of update.usage ?? []) entry.quota.setUsage(u.window, u.used, nowMs, u.model);
    return entry;
  }

  reset(): void {
    for (const entry of this.entries.values()) {
      entry.quota.reset();
      for (const a of entry.advisory) a.counter.reset();
    }
    this.generation = 0;
  }

  /** The model list body of an enabled provider; models retired by a `model_gone` fault in force are left out. */
  modelsBody(entry: SimProviderEntry, nowMs: number): unknown {
    const tMs = nowMs - this.options.startMs();
    const faults = this.options.faults;
    const models = [...entry.models.values()].filter(
      (m) => !faults.hasModelGone || !faults.isGone(m.id, tMs, entry.id),
    );
    return entry.dialect.modelsBody(models, Math.floor(nowMs / 1000));
  }

  /** Whether a key may read this provider's model list (some lists are public). */
  keyRefusal(entry: SimProviderEntry, key: string | undefined, publicRoute = false): SimResponse | undefined {
    if (entry.provider.local || (publicRoute && entry.provider.models.public)) return undefined;
    if (key === undefined) return entry.dialect.unauthorized(entry.id);
    if (this.options.apiKeys && !this.options.apiKeys.has(key)) return entry.dialect.unauthorized(entry.id);
    return undefined;
  }

  /** Cloudflare's answer to a path under its prefix that routes nowhere (wrong account id, base URL without an endpoint). */
  unroutable(entry: SimProviderEntry, path: string): SimResponse {
    const inner = path.slice(`/${entry.id}`.length);
    if (entry.id === 'cloudflare') return cloudflareNoRoute(inner, /\/ai\/v1\/?$/.test(inner));
    return {
      status: 404,
      headers: {},
      body: { error: { message: `Not Found: ${inner}`, type: 'not_found' } },
    };
  }

  /**
   * Decide the answer to a chat request at `nowMs`. With `commit` (a real request) it is logged,
   * counted against quota, and may be hit by a fault; without (a peek) nothing changes.
   */
  decideChat(
    input: ProviderChatInput,
    nowMs: number,
    commit = true,
  ): ProviderAnswer & { record?: AttemptRecord } {
    const entry = this.entries.get(input.providerId);
    if (!entry) throw new RangeError(`no simulated provider ${input.providerId}`);
    const parsed = parseRequest(input.bodyText);
    const request = typeof parsed === 'string' ? undefined : parsed;
    const stream = request?.stream === true;
    const tMs = nowMs - this.options.startMs();
    const record: AttemptRecord = {
      timeMs: tMs,
      model: request?.model ?? '',
      stream,
      outcome: 'ok',
      status: 200,
      provider: entry.id,
    };
    if (commit) this.options.log.add(record);
    const answer = this.decide(entry, input, request, parsed, nowMs, tMs, commit);
    record.outcome = answer.outcome;
    record.status = answer.kind === 'drop' ? null : answer.kind === 'error' ? answer.response.status : 200;
    if (answer.kind === 'error' && answer.window) record.window = answer.window;
    if (answer.kind === 'ok' && answer.delivery) record.faultId = answer.delivery.id;
    if (answer.kind !== 'ok' && answer.faultId) record.faultId = answer.faultId;
    return commit ? { ...answer, record } : answer;
  }

  private decide(
    entry: SimProviderEntry,
    input: ProviderChatInput,
    request: ProviderChatRequest | undefined,
    parsed: ProviderChatRequest | string,
    nowMs: number,
    tMs: number,
    commit: boolean,
  ): ProviderAnswer & { outcome: AttemptOutcome } {
    const { dialect } = entry;
    const error = (outcome: AttemptOutcome, response: SimResponse, window?: QuotaWindow) =>
      ({ kind: 'error', outcome, response, ...(window ? { window } : {}) }) as const;

    const keyRefusal = this.keyRefusal(entry, input.key);
    if (keyRefusal) return error('unauthorized', keyRefusal);
    if (request === undefined) return error('invalid_request', dialect.badRequest(parsed as string));

    const model = this.modelFor(entry, request.model);
    if (!model)
      return error('model_not_found', dialect.modelNotFound(request.model, false, entry.accountLabel));
    if (model.access === 'not_entitled')
      return error('model_not_found', dialect.modelNotFound(model.id, true, entry.accountLabel));

    const promptTokens = estimatePromptTokens(request);
    const plan = planAnswer(request, {
      seed: this.options.seed,
      completionTokens: this.options.completionTokens,
      promptTokens,
    });
    const ctx: ChatContext = {
      providerId: entry.id,
      model,
      request,
      stream: request.stream === true,
      nowMs,
      promptTokens,
      completionTokens: plan.usage.completion_tokens,
      accountLabel: entry.accountLabel,
      requestId: `req_${hashString(`${entry.id}:${tMs}:${this.generation}`, this.options.seed).toString(36)}`,
    };
    const before = entry.quota.view(model.id, nowMs);

    const pre = dialect.precheck?.(ctx, before);
    if (pre) return error(pre.outcome, pre.response);
    if (hasTools(request) && !model.tools) return error('tools_unsupported', dialect.toolsUnsupported(ctx));
    if (model.access === 'no_free_tier' && dialect.noFreeTier)
      return error('no_free_quota', dialect.noFreeTier(ctx));
    const requestedTokens = promptTokens + (requestedMaxTokens(request) ?? 0);
    // Local Ollama truncates an over-long prompt instead of refusing it (ollama/ollama#5902).
    if (requestedTokens > model.contextLength && entry.id !== 'ollama')
      return error('context_length', dialect.contextLength(ctx, requestedTokens));

    const charge = dialect.charge(ctx);
    const refusal = entry.quota.check(model.id, charge, nowMs);
    if (refusal) return error('rate_limit', dialect.rateLimited(ctx, refusal, before), refusal.window);
    if (!commit) {
      const fault = this.options.faults.peek(model.id, tMs, ctx.stream, entry.id);
      if (fault && !isDelivery(fault)) return this.faultAnswer(entry, ctx, fault);
      return this.okAnswer(entry, ctx, plan, fault && isDelivery(fault) ? fault : undefined, () => {});
    }

    const release = entry.quota.commit(model.id, charge, nowMs);
    for (const a of entry.advisory)
      a.counter.add(a.window === 'requests_minute' ? 1 : ctx.promptTokens + ctx.completionTokens, nowMs);
    this.generation++;
    const fault =
      this.options.faults.size > 0
        ? this.options.faults.match(model.id, tMs, ctx.stream, entry.id)
        : undefined;
    if (fault && !isDelivery(fault)) {
      release();
      const answer = this.faultAnswer(entry, ctx, fault);
      return answer;
    }
    return this.okAnswer(entry, ctx, plan, fault && isDelivery(fault) ? fault : undefined, release);
  }

  private faultAnswer(
    entry: SimProviderEntry,
    ctx: ChatContext,
    fault: ScheduledFault,
  ): ProviderAnswer & { outcome: AttemptOutcome } {
    const { dialect } = entry;
    const error = (response: SimResponse) => ({
      kind: 'error' as const,
      outcome: fault.kind,
      response,
      faultId: fault.id,
    });
    switch (fault.kind) {
      case 'server_error':
        return error(dialect.serverError(fault.status));
      case 'overloaded':
        return error(dialect.overloaded(ctx));
      case 'rate_limited':
        return error(dialect.bareRateLimit(ctx));
      case 'model_gone':
        return error(dialect.modelNotFound(ctx.model.id, false, entry.accountLabel));
      case 'connection_reset':
      case 'no_response':
        return { kind: 'drop', outcome: fault.kind, faultId: fault.id };
      default:
        // The schema keeps OpenRouter-only kinds away from providers; answer like a 5xx if one slips through.
        return error(dialect.serverError(502));
    }
  }

  private okAnswer(
    entry: SimProviderEntry,
    ctx: ChatContext,
    plan: AnswerPlan,
    delivery: ProviderDeliveryFault | undefined,
    release: () => void,
  ): ProviderAnswer & { outcome: AttemptOutcome } {
    const after = entry.quota.view(ctx.model.id, ctx.nowMs);
    const advisory: QuotaView[] = entry.advisory.map((a) => {
      const used = a.counter.used(ctx.nowMs);
      return {
        window: a.window,
        per: 'account',
        rule: a.counter.rule,
        limit: a.counter.limit,
        used,
        remaining: Math.max(0, a.counter.limit - used),
        resetAtMs: a.counter.resetAtMs(ctx.nowMs),
        periodMs: a.counter.periodMs,
      };
    });
    const so = ctx.request['stream_options'] as { include_usage?: unknown } | undefined;
    const usage =
      entry.dialect.streamUsage === 'final_chunk'
        ? 'final_chunk'
        : so?.include_usage === true
          ? 'own_chunk'
          : 'none';
    const created = Math.floor(ctx.nowMs / 1000);
    const callHash = hashString(`${ctx.requestId}:call`, this.options.seed);
    const meta: ProviderMeta = {
      id: `chatcmpl-${ctx.requestId.slice(4)}${this.generation.toString(36)}`,
      model: ctx.model.id,
      created,
      extras: entry.dialect.completionExtras?.(ctx) ?? {},
      toolCallId:
        entry.id === 'mistral'
          ? callHash.toString(36).padStart(9, '0').slice(-9)
          : `call_${callHash.toString(16).padStart(8, '0')}`,
    };
    const headers = entry.dialect.successHeaders(ctx, after, advisory);
    return {
      kind: 'ok',
      outcome: delivery ? delivery.kind : 'ok',
      ctx,
      plan,
      meta,
      headers,
      usage,
      ...(delivery ? { delivery } : {}),
      release,
    };
  }

  /** The model a request names: Gemini also takes `models/<id>`; llama.cpp serves its one loaded model whatever the name. */
  private modelFor(entry: SimProviderEntry, requested: string): SimProviderModel | undefined {
    const prefix = entry.provider.models.strip_prefix;
    const id = prefix && requested.startsWith(prefix) ? requested.slice(prefix.length) : requested;
    const model = entry.models.get(id);
    if (model) return model;
    if (entry.id === 'llamacpp') return entry.models.values().next().value;
    return undefined;
  }
}

function isDelivery(fault: ScheduledFault): fault is ProviderDeliveryFault {
  return (
    fault.kind === 'slow_first_token' ||
    fault.kind === 'stream_cut' ||
    fault.kind === 'stream_stall' ||
    fault.kind === 'malformed_chunk' ||
    fault.kind === 'missing_done' ||
    fault.kind === 'midstream_error'
  );
}

function parseRequest(text: string): ProviderChatRequest | string {
  const body = parseJsonObject(text);
  if (typeof body === 'string') return body;
  const request = body as ChatRequest & Record<string, unknown>;
  if (typeof request.model !== 'string' || request.model === '') return "'model' is a required property";
  if (!Array.isArray(request.messages) || request.messages.length === 0)
    return "'messages' is a required property";
  return request;
}
