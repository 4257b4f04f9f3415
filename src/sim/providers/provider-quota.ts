/**
 * One simulated provider's quota: its catalog limit model (windows, per model or per account,
 * reset rule), with the simulator's changes applied, counted in simulated time. A request is
 * admitted only if every window has room for it; a refused request counts nothing; an admitted
 * one counts in every window (requests 1, tokens/neurons/usage what the provider charges).
 * Concurrency (GitHub's "5 at once") is held while the answer is being sent.
 */
import type { Provider, ResetRule } from '../../providers/provider-catalog-schema.js';
import {
  periodLengthMs,
  type QuotaPeriod,
  type QuotaWindow,
  windowPeriod,
} from '../../providers/quota-window.js';
import { LimitCounter } from './limit-counter.js';
import type { LimitOverrides } from './provider-scenario.js';
import type { SimProviderModel } from './provider-sim-models.js';

/**
 * Figures the catalog leaves open (it marks them unconfirmed) but a simulation needs: Ollama
 * Cloud's session and weekly allowances, counted in tokens. The simulator's own choice.
 */
const SIM_DEFAULT_FIGURES: Readonly<Record<string, Partial<Record<QuotaWindow, number>>>> = {
  'ollama-cloud': { usage_session: 200_000, usage_week: 2_000_000 },
};

/** What one request costs, per metric. */
export interface QuotaCharge {
  /** Tokens the provider checks at admission (prompt + what it reserves for the answer). */
  tokensRequested: number;
  /** Tokens it counts once admitted. */
  tokensCharged: number;
  /** Cloudflare's unit. */
  neurons: number;
  /** Ollama Cloud's opaque share, counted here in tokens. */
  usage: number;
}

/** A limit that refuses a request. */
export interface QuotaRefusal {
  window: QuotaWindow;
  per: 'model' | 'account';
  rule: ResetRule;
  limit: number;
  /** Usage in the window before this request (fractional for a continuous bucket). */
  used: number;
  /** What this request needed in the window. */
  requested: number;
  /** Until the request would fit, ms. */
  waitMs: number;
  /** When the window is entirely free again, epoch ms. */
  resetAtMs: number;
  periodMs: number;
}

/** One enforced window as response headers report it. */
export interface QuotaView {
  window: QuotaWindow;
  per: 'model' | 'account';
  rule: ResetRule;
  limit: number;
  used: number;
  remaining: number;
  /** When the window is entirely free again, epoch ms. */
  resetAtMs: number;
  periodMs: number;
}

interface LimitSpec {
  window: QuotaWindow;
  per: 'model' | 'account';
  reset: ResetRule;
  period: QuotaPeriod;
  periodMs: number;
  limit: number | undefined;
  /** The catalog's per-model figures. */
  byModel: Record<string, number>;
  /** The scenario's per-model figures: they beat a model's own (tier) figures. */
  overrideByModel: Record<string, number>;
  /** A number override: one figure for every model, model tiers ignored. */
  flat: boolean;
}

export class ProviderQuota {
  private specs: LimitSpec[] = [];
  private overrides: LimitOverrides;
  private readonly counters = new Map<string, LimitCounter>();
  private readonly inFlight = new Map<string, number>();

  constructor(
    readonly provider: Provider,
    private readonly models: ReadonlyMap<string, SimProviderModel>,
    overrides: LimitOverrides = {},
  ) {
    this.overrides = { ...overrides };
    this.specs = buildSpecs(provider, this.overrides);
  }

  /** Merge changes into the overrides; usage counted so far is kept. */
  applyOverrides(changes: LimitOverrides, nowMs: number): void {
    this.overrides = { ...this.overrides, ...changes };
    this.specs = buildSpecs(this.provider, this.overrides);
    const kept = [...this.counters].map(([key, counter]) => [key, counter.used(nowMs)] as const);
    this.counters.clear();
    for (const [key, used] of kept) {
      const [window, holder] = splitKey(key);
      const counter = this.counterFor(window, holder);
      if (counter) counter.set(used, nowMs);
    }
  }

  /** The first window without room for this request, longest period first; undefined: admitted. */
  check(modelId: string, charge: QuotaCharge, nowMs: number): QuotaRefusal | undefined {
    for (const spec of this.specs) {
      const figure = this.figure(spec, modelId);
      if (figure === undefined) continue;
      const holder = spec.per === 'model' ? modelId : '*';
      if (spec.window === 'concurrency') {
        const running = this.inFlight.get(`concurrency|${holder}`) ?? 0;
        if (running + 1 > figure)
          return { ...refusalBase(spec, figure), used: running, requested: 1, waitMs: 0, resetAtMs: nowMs };
        continue;
      }
      const counter = this.counterFor(spec.window, holder)!;
      const amount = amountOf(spec.window, charge, 'requested');
      const waitMs = counter.waitMs(amount, nowMs);
      if (waitMs > 0)
        return {
          ...refusalBase(spec, figure),
          used: counter.used(nowMs),
          requested: amount,
          waitMs,
          resetAtMs: counter.resetAtMs(nowMs),
        };
    }
    return undefined;
  }

  /** Count an admitted request; the returned function ends its hold on the concurrency limit. */
  commit(modelId: string, charge: QuotaCharge, nowMs: number): () => void {
    let holds: string[] = [];
    for (const spec of this.specs) {
      if (this.figure(spec, modelId) === undefined) continue;
      const holder = spec.per === 'model' ? modelId : '*';
      if (spec.window === 'concurrency') {
        const key = `concurrency|${holder}`;
        this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
        holds.push(key);
        continue;
      }
      this.counterFor(spec.window, holder)!.add(amountOf(spec.window, charge, 'charged'), nowMs);
    }
    return () => {
      for (const key of holds) this.inFlight.set(key, Math.max(0, (this.inFlight.get(key) ?? 1) - 1));
      holds = [];
    };
  }

  /** Every enforced window of `modelId` (account windows included), catalog order. */
  view(modelId: string, nowMs: number): QuotaView[] {
    const out: QuotaView[] = [];
    for (const spec of this.specs) {
      if (spec.window === 'concurrency') continue;
      const figure = this.figure(spec, modelId);
      if (figure === undefined) continue;
      const counter = this.counterFor(spec.window, spec.per === 'model' ? modelId : '*')!;
      const used = counter.used(nowMs);
      out.push({
        window: spec.window,
        per: spec.per,
        rule: spec.reset,
        limit: figure,
        used,
        remaining: Math.max(0, figure - used),
        resetAtMs: counter.resetAtMs(nowMs),
        periodMs: spec.periodMs,
      });
    }
    return out.sort((a, b) => this.catalogOrder(a.window) - this.catalogOrder(b.window));
  }

  /** Pretend `used` was spent in `window` (for one model, or every model / the account). */
  setUsage(window: QuotaWindow, used: number, nowMs: number, modelId?: string): void {
    const spec = this.specs.find((s) => s.window === window);
    if (!spec) throw new RangeError(`${this.provider.id} has no ${window} limit`);
    if (window === 'concurrency') throw new RangeError('concurrency usage is set by requests in flight');
    const holders =
      spec.per === 'account' ? ['*'] : modelId !== undefined ? [modelId] : [...this.models.keys()];
    for (const holder of holders) this.counterFor(window, holder)?.set(used, nowMs);
  }

  /** The enforced windows, for the admin API. */
  limits(): Array<{
    window: QuotaWindow;
    per: string;
    reset: ResetRule;
    limit?: number;
    byModel?: Record<string, number>;
  }> {
    return this.specs.map((s) => ({
      window: s.window,
      per: s.per,
      reset: s.reset,
      ...(s.limit === undefined ? {} : { limit: s.limit }),
      ...(Object.keys(s.byModel).length + Object.keys(s.overrideByModel).length > 0
        ? { byModel: { ...s.byModel, ...s.overrideByModel } }
        : {}),
    }));
  }

  reset(): void {
    this.counters.clear();
    this.inFlight.clear();
  }

  /** The figure enforced for this model (or the account); undefined when the window is not enforced. */
  private figure(spec: LimitSpec, modelId: string): number | undefined {
    if (spec.per === 'account') return spec.limit;
    if (spec.flat) return spec.limit;
    return (
      spec.overrideByModel[modelId] ??
      this.models.get(modelId)?.limits[spec.window] ??
      spec.byModel[modelId] ??
      spec.limit
    );
  }

  private counterFor(window: QuotaWindow, holder: string): LimitCounter | undefined {
    const key = `${window}|${holder}`;
    let counter = this.counters.get(key);
    if (counter) return counter;
    const spec = this.specs.find((s) => s.window === window);
    if (!spec || window === 'concurrency') return undefined;
    const figure = holder === '*' ? spec.limit : this.figure(spec, holder);
    if (figure === undefined) return undefined;
    counter = new LimitCounter(figure, spec.reset, spec.period, spec.periodMs);
    this.counters.set(key, counter);
    return counter;
  }

  private catalogOrder(window: QuotaWindow): number {
    const i = this.provider.limits.findIndex((l) => l.window === window);
    return i === -1 ? this.provider.limits.length : i;
  }
}

function refusalBase(spec: LimitSpec, limit: number) {
  return { window: spec.window, per: spec.per, rule: spec.reset, limit, periodMs: spec.periodMs };
}

function splitKey(key: string): [QuotaWindow, string] {
  const at = key.indexOf('|');
  return [key.slice(0, at) as QuotaWindow, key.slice(at + 1)];
}

function amountOf(window: QuotaWindow, charge: QuotaCharge, which: 'requested' | 'charged'): number {
  if (window.startsWith('requests_')) return 1;
  if (window.startsWith('tokens_'))
    return which === 'requested' ? charge.tokensRequested : charge.tokensCharged;
  if (window.startsWith('neurons_')) return charge.neurons;
  return charge.usage;
}

/** The catalog's limits with the simulator's defaults and the scenario's overrides applied, longest period first. */
function buildSpecs(provider: Provider, overrides: LimitOverrides): LimitSpec[] {
  const specs: LimitSpec[] = [];
  const defaults = SIM_DEFAULT_FIGURES[provider.id] ?? {};
  const windows = new Set<QuotaWindow>([
    ...provider.limits.map((l) => l.window),
    ...(Object.keys(overrides) as QuotaWindow[]),
  ]);
  for (const window of windows) {
    const base = provider.limits.find((l) => l.window === window);
    const change = overrides[window];
    if (change === false) continue;
    const object = typeof change === 'object' ? change : undefined;
    const per = object?.per ?? base?.per;
    const reset = object?.reset ?? base?.reset;
    if (per === undefined || reset === undefined) {
      throw new RangeError(
        `${provider.id}: the catalog has no ${window} limit; an override that adds one needs "per" and "reset"`,
      );
    }
    const period = windowPeriod(window);
    const periodS = object?.period_s ?? base?.period_s;
    const periodMs =
      period === undefined ? 0 : periodLengthMs(period, periodS === undefined ? undefined : periodS * 1000);
    if (window !== 'concurrency' && (period === undefined || periodMs === undefined || periodMs <= 0)) {
      throw new RangeError(`${provider.id}: ${window} has no length the simulator can count`);
    }
    const flat = typeof change === 'number';
    specs.push({
      window,
      per,
      reset,
      period: period ?? 'unknown',
      periodMs: periodMs ?? 0,
      limit: flat ? change : (object?.limit ?? base?.limit ?? defaults[window]),
      byModel: flat ? {} : { ...(base?.by_model ?? {}) },
      overrideByModel: flat ? {} : { ...(object?.by_model ?? {}) },
      flat,
    });
  }
  // Day before minute: when both are spent, the long window is the one to report.
  return specs.sort((a, b) =>
    b.window === 'concurrency' ? -1 : a.window === 'concurrency' ? 1 : b.periodMs - a.periodMs,
  );
}
