/**
 * The request loop's view of pooled providers (upstreams with a catalog `provider`): the limits
 * their accounts are paced by, the parameters stripped or translated before each attempt (the
 * catalog's `params`, plus any a provider rejected at run time), and the per-attempt transport
 * hooks — the provider's own error classification, its quota headers read on every answer
 * (streaming 200s included), the answer's token usage reported back to the engine. Upstreams
 * without a `provider` (OpenRouter, as rotor always spoke to it) get none of this: their
 * behaviour is unchanged.
 */
import type { Lease } from '../engine/engine-types.js';
import type { PacedLimit, QuotaReport } from '../engine/provider-quota.js';
import type { RotationEngine } from '../engine/rotation-engine.js';
import { applyParamRules } from '../providers/apply-param-rules.js';
import { classifyProviderError } from '../providers/classify-provider-error.js';
import type { ParamRule, Provider, ProviderCatalog } from '../providers/provider-catalog-schema.js';
import { parseQuotaHeaders } from '../providers/quota-headers.js';
import { limitFor } from '../providers/window-reset.js';
import type { TransportRequest } from '../upstream/chat-transport.js';

/** The engine's pacing limits of a catalog provider. */
export function pacedLimitsOf(provider: Provider): PacedLimit[] {
  return provider.limits.map((l) => ({
    window: l.window,
    per: l.per,
    ...(l.limit === undefined ? {} : { limit: l.limit }),
    ...(l.by_model === undefined ? {} : { byModel: l.by_model }),
    reset: l.reset.rule === 'fixed' ? { rule: 'fixed', timeZone: l.reset.time_zone } : { rule: l.reset.rule },
    ...(l.period_s === undefined ? {} : { sessionMs: l.period_s * 1000 }),
  }));
}

/** The hooks one attempt passes to the transport (`TransportRequest`'s optional fields). */
export type AttemptExtras = Pick<
  TransportRequest,
  'model' | 'includeUsage' | 'onResponse' | 'onUsage' | 'classifyError'
>;

export class PooledProviders {
  /** upstream id → its catalog provider. */
  private readonly byUpstream = new Map<string, Provider>();
  /** upstream id → parameters it rejected at run time (dropped from then on). */
  private readonly learnedDrops = new Map<string, Set<string>>();

  constructor(
    private readonly catalog: Pick<ProviderCatalog, 'common_errors'>,
    private readonly engine: RotationEngine,
  ) {}

  add(upstreamId: string, provider: Provider): void {
    this.byUpstream.set(upstreamId, provider);
    this.engine.setAccountLimits(
      upstreamId,
      pacedLimitsOf(provider),
      provider.reserved_output_tokens === undefined
        ? {}
        : { reservedOutputTokens: provider.reserved_output_tokens },
    );
  }

  has(upstreamId: string): boolean {
    return this.byUpstream.has(upstreamId);
  }

  provider(upstreamId: string): Provider | undefined {
    return this.byUpstream.get(upstreamId);
  }

  upstreamIds(): string[] {
    return [...this.byUpstream.keys()];
  }

  /** The body as this provider accepts it: its `params` rules, then what it rejected before. */
  prepareBody(upstreamId: string, body: Record<string, unknown>): Record<string, unknown> {
    const rules = this.rules(upstreamId);
    return rules.length === 0 ? body : applyParamRules(rules, body).body;
  }

  /** Remember parameters `upstreamId` rejected; true when one of them is new (so a resend without them may work). */
  learnRejected(upstreamId: string, params: readonly string[]): boolean {
    if (!this.byUpstream.has(upstreamId)) return false;
    let set = this.learnedDrops.get(upstreamId);
    if (!set) {
      set = new Set();
      this.learnedDrops.set(upstreamId, set);
    }
    let added = false;
    for (const p of params) {
      const name = p.replace(/^body\./, '');
      if (name === '' || name === 'model' || name === 'messages' || set.has(name)) continue;
      set.add(name);
      added = true;
    }
    return added;
  }

  /** The transport hooks of one attempt on `upstreamId`, sending the model as `upstreamModel`. */
  extras(upstreamId: string, lease: Lease, upstreamModel: string): AttemptExtras | undefined {
    const provider = this.byUpstream.get(upstreamId);
    if (!provider) return undefined;
    const engine = this.engine;
    const model = lease.model;
    return {
      model: upstreamModel,
      includeUsage: !this.rules(upstreamId).some((r) => r.action === 'drop' && r.param === 'stream_options'),
      onResponse: (_status, headers) => {
        const reports: QuotaReport[] = parseQuotaHeaders(provider, headers, engine.clock.now()).map((o) => ({
          ...o,
          per: limitFor(provider, o.window)?.per ?? 'model',
        }));
        engine.observeQuota(model, reports);
      },
      onUsage: (usage) => {
        // Providers differ in which fields they fill; any of them is better than the estimate.
        const u = usage as Partial<typeof usage>;
        const total =
          typeof u.total_tokens === 'number'
            ? u.total_tokens
            : typeof u.prompt_tokens === 'number' || typeof u.completion_tokens === 'number'
              ? (u.prompt_tokens ?? 0) + (u.completion_tokens ?? 0)
              : undefined;
        if (total !== undefined) lease.reportUsage(total);
      },
      classifyError: (status, headers, bodyText, nowMs) =>
        classifyProviderError(this.catalog, provider, status, headers, bodyText, nowMs),
    };
  }

  private rules(upstreamId: string): ParamRule[] {
    const provider = this.byUpstream.get(upstreamId);
    const learned = this.learnedDrops.get(upstreamId);
    const rules = provider?.params ?? [];
    if (!learned || learned.size === 0) return rules;
    return [...rules, ...[...learned].map((param): ParamRule => ({ action: 'drop', param }))];
  }
}
