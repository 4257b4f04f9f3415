/**
 * Pooled providers as `/v1/rotor/status`, `/metrics` and `GET /v1/models` show them: quotas
 * grouped by provider with each limit and its reset rule in words (`describeLimit`), and the model
 * families with the providers that serve each and whether they are available now.
 */
import type { ModelMetricsSnapshot, PacedQuotaSnapshot } from '../engine/metrics-snapshot.js';
import { describeLimit, describeProviderLimits } from '../providers/describe-limit.js';
import type { JoinedProvider, SkippedProvider } from '../providers/discover-providers.js';
import type { ProviderCatalog, ProviderLimit } from '../providers/provider-catalog-schema.js';
import { limitFor } from '../providers/window-reset.js';
import { windowWords } from '../providers/window-words.js';
import type { ProviderReconcileReport } from '../reconcile/provider-reconciler.js';
import type { Rotor } from '../router/create-rotor.js';
import { OPENROUTER_PROVIDER, splitPairId } from '../router/pair-id.js';
import type { ProviderMetricsView } from './gateway-metrics.js';

/** A quota window's limit and reset rule in words: "14,400 requests/day per model, refills continuously". */
export function describeQuota(
  catalog: ProviderCatalog,
  quota: PacedQuotaSnapshot,
  upstreamIdOf: (model: string) => string,
): string {
  const provider = catalog.providers.find((p) => p.id === quota.account);
  const limit = provider ? limitFor(provider, quota.window) : undefined;
  if (!limit || limit.window !== quota.window) {
    const figure = quota.limit === null ? 'unknown' : quota.limit.toLocaleString('en-US');
    return `${figure} ${windowWords(quota.window)} ${quota.per === 'model' ? 'per model' : 'per account'}, as the provider reports it`;
  }
  // The figure in force (learned from headers, else the catalog's for this model).
  const model = quota.model === null ? undefined : upstreamIdOf(quota.model);
  const figure = quota.limit ?? (model !== undefined ? limit.by_model?.[model] : undefined) ?? limit.limit;
  const { by_model: _byModel, ...rest } = limit;
  return describeLimit(figure === undefined ? rest : { ...rest, limit: figure });
}

export interface ProviderQuotaView extends PacedQuotaSnapshot {
  /** The limit and its reset rule in words. */
  rule: string;
  /** `fixed` | `rolling` | `continuous` | `reported`. */
  resetRule: string;
}

/**
 * `/v1/rotor/status` → `providers`: joined providers with their models, their limits in one line
 * of words (`rule`: "30 requests/min, 1,000–14,400 requests/day … per model, refills
 * continuously", the figures in force over its models), their quota windows and the latest check
 * of their model list; and the skipped ones with why.
 */
export function providersStatus(
  rotor: Rotor,
  catalog: ProviderCatalog,
  joined: readonly JoinedProvider[],
  skipped: readonly SkippedProvider[],
  quotas: readonly PacedQuotaSnapshot[],
  reconcileOf: (provider: string) => ProviderReconcileReport | null = () => null,
) {
  const upstreamIdOf = (m: string) => rotor.engine.profile(m).upstreamId ?? m;
  const view = (q: PacedQuotaSnapshot): ProviderQuotaView => ({
    ...q,
    rule: describeQuota(catalog, q, upstreamIdOf),
    resetRule: q.rule,
  });
  return {
    joined: joined.map((j) => {
      const own = quotas.filter((q) => q.account === j.id);
      const provider = catalog.providers.find((p) => p.id === j.id) ?? j.provider;
      return {
        id: j.id,
        name: j.provider.name,
        baseUrl: j.baseUrl,
        keySource: j.keySource ?? null,
        terms: j.provider.terms ?? null,
        models: rotor.engine
          .knownModels()
          .filter((m) => (rotor.engine.profile(m).account ?? rotor.engine.options.defaultAccount) === j.id),
        rule: providerRule(provider.limits, own),
        limits: j.provider.limits.map((l) => describeLimit(l)),
        quotas: own.map(view),
        modelsUrl: j.modelsUrl ?? null,
        reconcile: reconcileOf(j.id),
      };
    }),
    skipped: skipped.map((s) => ({ id: s.id, reason: s.reason })),
  };
}

/** A provider's limits in one line of words, with the figures in force over its models (`quotas`: its windows). */
export function providerRule(
  limits: readonly ProviderLimit[],
  quotas: readonly PacedQuotaSnapshot[],
): string {
  return describeProviderLimits(limits, (l) =>
    quotas.filter((q) => q.window === l.window && q.limit !== null).map((q) => q.limit!),
  );
}

/**
 * `/metrics` for a pooled gateway: each provider with its words and its rotation models, in the
 * order its first model holds in the rotation (joined providers without one last); OpenRouter's
 * bare ids are the `openrouter` provider.
 */
export function providerMetricsViews(
  rotation: readonly string[],
  models: readonly ModelMetricsSnapshot[],
  catalog: ProviderCatalog,
  joined: readonly JoinedProvider[],
  quotas: readonly PacedQuotaSnapshot[],
  reconcileOf: (provider: string) => { ok: boolean } | null,
): ProviderMetricsView[] {
  const ids = new Set(joined.map((j) => j.id));
  const byId = new Map(models.map((m) => [m.model, m]));
  const groups = new Map<string, ModelMetricsSnapshot[]>();
  for (const id of rotation) {
    const provider = splitPairId(id, ids)?.provider ?? OPENROUTER_PROVIDER;
    const m = byId.get(id);
    groups.set(provider, [...(groups.get(provider) ?? []), ...(m ? [m] : [])]);
  }
  for (const j of joined) if (!groups.has(j.id)) groups.set(j.id, []);
  return [...groups].map(([id, members]) => {
    const provider = catalog.providers.find((p) => p.id === id);
    return {
      id,
      name: provider?.name ?? id,
      rule: provider
        ? providerRule(
            provider.limits,
            quotas.filter((q) => q.account === id),
          )
        : '',
      models: members,
      listOk: reconcileOf(id)?.ok ?? null,
    };
  });
}

/** `GET /v1/models` entries for the families: each with the pooled pairs that serve it and their availability. */
export function familyEntries(
  rotor: Rotor,
  models: ReadonlyMap<string, ModelMetricsSnapshot>,
  created: number,
): unknown[] {
  const pool = rotor.pool;
  if (!pool?.families) return [];
  const out: unknown[] = [];
  for (const family of pool.families.families()) {
    const pairs = rotor.expandModel(family.family).filter((id) => pool.familyOf(id) === family.family);
    if (pairs.length === 0) continue;
    const providers = pairs.map((id) => {
      const m = models.get(id);
      const unavailable = m?.unavailableReason ?? rotor.engine.unavailability(id) ?? null;
      return {
        provider: rotor.engine.profile(id).account ?? rotor.engine.options.defaultAccount,
        model: id,
        available: unavailable === null,
        unavailable_reason: unavailable,
      };
    });
    out.push({
      id: family.family,
      object: 'model',
      created,
      owned_by: 'rotor',
      rotor: {
        family: true,
        name: family.name,
        description: `Any provider serving ${family.name}: ${providers.map((p) => p.provider).join(', ')}.`,
        available: providers.some((p) => p.available),
        providers,
      },
    });
  }
  return out;
}
