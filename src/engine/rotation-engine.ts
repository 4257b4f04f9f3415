/**
 * The rotation engine: per-model health (consecutive failures, cooldowns, breaker, slow start),
 * per-account quota, selection with reasons, events and metrics. It performs no I/O and owns no
 * timers: time and chance come in through `clock` and `random`, and time-based transitions
 * (cooldown ends, breaker half-opens, account unblocks) are applied lazily when the engine is
 * next consulted. Each request walks the order itself; there is no global "current index" that
 * concurrent failures could thrash.
 */
import type { SkipReason } from '../errors.js';
import { windowWords } from '../providers/window-words.js';
import {
  dayStartMs,
  isFreeModelId,
  localQuotaBlock,
  newAccountState,
  nextMinuteMs,
  nextUtcMidnightMs,
  rollWindows,
} from './account-quota.js';
import { backoffDelayMs, hintedDelayMs } from './backoff.js';
import { type Clock, systemClock } from './clock.js';
import type { EngineEvent, EngineEventListener, ExternalFact } from './engine-events.js';
import { type EngineOptions, type EngineOptionsInput, engineOptionsSchema } from './engine-options.js';
import type { AccountState, CooldownReason, EngineStateJson, RequestStats } from './engine-state.js';
import type {
  AcquireRequest,
  Acquisition,
  AttemptTiming,
  Lease,
  ModelProfile,
  RequestNeeds,
  RotationEngineDeps,
} from './engine-types.js';
import { type Failure, isTransientModelFault } from './failure.js';
import { accountSnapshot, type MetricsSnapshot, modelSnapshot } from './metrics-snapshot.js';
import { freshHealth, type ModelEntry, newModelEntry } from './model-entry.js';
import { isLongQuotaWindow, PacedAccounts, type PacedCharge } from './paced-accounts.js';
import { mayProbe, nominalOpenMs, probeBudgetPerDay, scaledOpenMs } from './probe-schedule.js';
import type { PacedLimit, QuotaReport } from './provider-quota.js';
import { type Random, systemRandom } from './random.js';
import { SampleWindow } from './sample-window.js';

export class RotationEngine {
  readonly options: EngineOptions;
  readonly clock: Clock;
  readonly random: Random;
  private order: string[];
  private readonly models = new Map<string, ModelEntry>();
  private readonly accounts = new Map<string, AccountState>();
  /** Paced accounts' output reservation when a request sets no output limit (`setAccountLimits`). */
  private readonly reservedOutput = new Map<string, number>();
  /** Provider accounts whose quota windows are paced (pooled providers; OpenRouter's `:free` counting is `accounts`). */
  private readonly paced = new PacedAccounts();
  /** Earliest time a paced window is expected to have room again: the current model may change then. */
  private pacedWakeMs = Number.POSITIVE_INFINITY;
  private readonly listeners = new Set<EngineEventListener>();
  private readonly events: EngineEvent[] = [];
  private current: string | null = null;
  private lastCurrentNonNull: string | null = null;
  private totalRotations = 0;
  private lastRotationMs: number | undefined;
  private resetsToPrimary = 0;
  private requests: RequestStats = emptyRequestStats();
  /** Earliest pending time-based transition; below it `refresh()` has nothing to do. */
  private nextWakeMs = Number.POSITIVE_INFINITY;
  private dirty = true;
  /** Set while `setRotationOrder` recomputes the current model, so the change is not called a recovery. */
  private orderJustChanged = false;
  /** Set while `applyExternal` applies a fact, so the events it causes carry `origin: 'remote'`. */
  private applyingRemote = false;
  /** Sequence number of the last event emitted. */
  private eventSeq = 0;

  constructor(options: EngineOptionsInput = {}, deps: RotationEngineDeps = {}) {
    this.options = engineOptionsSchema.parse(options);
    this.clock = deps.clock ?? systemClock;
    this.random = deps.random ?? systemRandom;
    this.order = [...this.options.rotationOrder];
    for (const id of this.order) this.entry(id);
    this.refresh();
  }

  // ── configuration ────────────────────────────────────────────────────────────────────────

  get rotationOrder(): readonly string[] {
    return this.order;
  }

  /**
   * Replace the default rotation order (e.g. after reconciling with the live model list). A real
   * change emits `order_changed` with `reason`; a current model that changes because of it is a
   * rotation for "order changed", never a reset to primary.
   */
  setRotationOrder(order: readonly string[], reason = 'rotation order replaced'): void {
    const before = this.order;
    const next = [...order];
    const same = before.length === next.length && before.every((id, i) => id === next[i]);
    this.order = next;
    for (const id of this.order) this.entry(id);
    if (!same) {
      const was = new Set(before);
      const now = new Set(next);
      this.emit({
        type: 'order_changed',
        atMs: this.clock.now(),
        reason,
        added: next.filter((id) => !was.has(id)),
        removed: before.filter((id) => !now.has(id)),
      });
      this.orderJustChanged = true;
    }
    this.dirty = true;
    this.refresh();
    this.orderJustChanged = false;
  }

  /** Describe a model's abilities; merges with what is known. */
  upsertProfile(profile: ModelProfile): void {
    const e = this.entry(profile.id);
    e.profile = { ...e.profile, ...stripUndefined(profile) };
  }

  /** Whether attempts on `model` count against its account's free-model quota. */
  isFreeModel(model: string): boolean {
    const e = this.models.get(model);
    return e ? this.isFree(e) : isFreeModelId(model);
  }

  /** The account's free-model limits in force: per minute (configured), per day (learned or configured). */
  freeQuotaLimits(account: string): { perMinute: number | undefined; perDay: number | undefined } {
    return this.quotaLimits(this.account(account));
  }

  /**
   * Pace `account`'s quota (a pooled provider): its windows, per model or account-wide, with their
   * reset rules. An account with limits no longer uses the `:free` model counting (`quota`
   * options); its models are skipped while a window has no room for the request, and a 429 for
   * one of its windows blocks that window (and, for an account-wide one, the whole account) until
   * the window's reset.
   */
  setAccountLimits(
    account: string,
    limits: readonly PacedLimit[],
    options: { reservedOutputTokens?: number } = {},
  ): void {
    this.paced.setLimits(account, limits);
    if (options.reservedOutputTokens === undefined) this.reservedOutput.delete(account);
    else this.reservedOutput.set(account, options.reservedOutputTokens);
    this.dirty = true;
  }

  /** Whether `account`'s quota is paced by provider windows (see `setAccountLimits`). */
  isPacedAccount(account: string): boolean {
    return this.paced.has(account);
  }

  /**
   * What a response from `model` said about its account's quota windows (`parseQuotaHeaders`):
   * limits learned, counts corrected, spent windows blocked until their reset. Ignored for
   * accounts that are not paced.
   */
  observeQuota(model: string, reports: readonly QuotaReport[]): void {
    if (reports.length === 0) return;
    const e = this.entry(model);
    const account = this.accountOf(e);
    if (!this.paced.has(account)) return;
    this.refresh();
    this.paced.observe(account, e.id, this.upstreamIdOf(e), reports, this.clock.now());
    this.afterChange();
  }

  /** The model's observed latency median, ms (recent attempts); undefined before any. */
  latencyP50Ms(model: string): number | undefined {
    return this.models.get(model)?.latencies.percentile(50);
  }

  /**
   * Share of the quota `model`'s attempts spend that is left now, 0..1 — a pooled provider's
   * windows for it, else its account's free-model minute and day windows (1 for a model that
   * spends no counted quota, or where no limit is known). Hedges, which cost quota, are not sent
   * where it is low.
   */
  quotaLeft(model: string): number {
    const e = this.entry(model);
    const account = this.accountOf(e);
    if (this.paced.has(account)) {
      const blocked = this.accounts.get(account)?.blocked;
      if (blocked && blocked.untilMs > this.clock.now()) return 0;
      return this.paced.shareLeft(account, e.id, this.upstreamIdOf(e), this.clock.now());
    }
    return this.isFree(e) ? this.freeQuotaLeft(account) : 1;
  }

  /** Share of the account's free-model quota left now, 0..1: the tighter of the minute and the day window. */
  freeQuotaLeft(account: string): number {
    const a = this.account(account);
    rollWindows(a, this.clock.now());
    if (a.blocked) return 0;
    const limits = this.quotaLimits(a);
    const left = (used: number, limit: number | undefined) =>
      limit === undefined || limit <= 0 ? 1 : Math.max(0, limit - used) / limit;
    return Math.min(left(a.minute.count, limits.perMinute), left(a.day.count, limits.perDay));
  }

  /** Time-to-first-token samples of the model: added since start (cheap; a cache key) and kept now. */
  ttftSamples(model: string): { added: number; kept: number } {
    const w = this.entry(model).ttfts;
    return { added: w.added, kept: w.size };
  }

  /** A percentile of the model's recent times to first token, ms (sorts the window: cache it). */
  ttftPercentile(model: string, p: number): number | undefined {
    return this.entry(model).ttfts.percentile(p);
  }

  profile(model: string): Readonly<ModelProfile> {
    return this.entry(model).profile;
  }

  /** Whether the engine has seen `model` (in the rotation, described, or tried). */
  hasModel(model: string): boolean {
    return this.models.has(model);
  }

  /** Known models: the rotation order first, then any other model seen. */
  knownModels(): string[] {
    const seen = new Set(this.order);
    return [...this.order, ...[...this.models.keys()].filter((id) => !seen.has(id))];
  }

  // ── selection ────────────────────────────────────────────────────────────────────────────

  /** The first model in the rotation order that is available now (no request needs), or null. */
  currentModel(): string | null {
    this.refresh();
    return this.current;
  }

  /**
   * Walk the candidates in order and admit the first available one, reserving its in-flight
   * slot (half-open probe, slow-start ramp) atomically. Every passed-over model gets a reason.
   */
  acquire(request: AcquireRequest = {}): Acquisition {
    this.refresh();
    const now = this.clock.now();
    const order = request.order ?? this.order;
    const skipped: SkipReason[] = [];
    let retryAtMs: number | undefined;
    let busy = false;
    for (const id of order) {
      const e = this.entry(id);
      const reason = request.exclude?.has(id)
        ? { model: id, reason: 'already_tried', detail: 'failed earlier in this request' }
        : (this.capabilityGap(e, request.needs) ??
          this.healthGap(e, now, request.needs) ??
          this.admissionGap(e));
      if (reason) {
        skipped.push(reason);
        if (reason.untilMs !== undefined) retryAtMs = Math.min(retryAtMs ?? reason.untilMs, reason.untilMs);
        if (
          reason.reason === 'half_open_busy' ||
          reason.reason === 'slow_start_busy' ||
          reason.reason === 'concurrency_busy'
        )
          busy = true;
        continue;
      }
      return { ok: true, lease: this.admit(e, now, request.needs), skipped };
    }
    return retryAtMs === undefined ? { ok: false, skipped, busy } : { ok: false, skipped, retryAtMs, busy };
  }

  /** Why `model` could not take a plain request now, or undefined if it could. */
  unavailability(model: string, needs?: RequestNeeds): SkipReason | undefined {
    this.refresh();
    const e = this.entry(model);
    return this.capabilityGap(e, needs) ?? this.healthGap(e, this.clock.now(), needs) ?? this.admissionGap(e);
  }

  // ── outcomes (without a lease: for callers that track attempts themselves) ───────────────

  recordSuccess(model: string, timing: AttemptTiming = {}): void {
    this.refresh();
    this.onSuccess(this.entry(model), timing, false);
    this.afterChange();
  }

  recordFailure(model: string, failure: Failure, timing: AttemptTiming = {}): void {
    this.refresh();
    this.onFailure(this.entry(model), failure, timing, false);
    this.afterChange();
  }

  /** One client request finished after `attempts` upstream attempts. */
  recordRequest(result: { attempts: number; succeeded: boolean }): void {
    const r = this.requests;
    r.total++;
    if (result.succeeded) {
      r.succeeded++;
      if (result.attempts === 1) r.firstTrySucceeded++;
    } else r.failed++;
    const key = String(result.attempts);
    r.attemptsHistogram[key] = (r.attemptsHistogram[key] ?? 0) + 1;
  }

  // ── operator actions ─────────────────────────────────────────────────────────────────────

  /** Mark a model gone (404 "No endpoints found", or missing from the live list): skipped by everyone. */
  retire(model: string, reason: string): void {
    const e = this.entry(model);
    if (e.health.retired) return;
    const now = this.clock.now();
    e.health.retired = { atMs: now, reason };
    this.emit({ type: 'model_retired', atMs: now, model, reason });
    this.afterChange();
  }

  /** Bring a retired model back (it reappeared in the live list). */
  restore(model: string, reason: string): void {
    const e = this.entry(model);
    if (!e.health.retired) return;
    delete e.health.retired;
    this.emit({ type: 'model_restored', atMs: this.clock.now(), model, reason });
    this.afterChange();
  }

  /** Forget a model's cooldown, breaker and failure counts (an operator's override). */
  resetHealth(model: string): void {
    const e = this.entry(model);
    const wasOpen = e.health.breaker.state !== 'closed';
    const probes = e.health.probes;
    // The day's probes were spent whatever the operator thinks of the model now: the budget keeps them.
    e.health = { ...freshHealth(), timesOpened: 0, ...(probes ? { probes } : {}) };
    if (wasOpen) this.emit({ type: 'breaker_closed', atMs: this.clock.now(), model });
    this.afterChange();
  }

  /** Put a model aside for `durationMs` (e.g. the seed API's explicit `getNextModel()`). */
  coolDown(model: string, durationMs: number, reason: CooldownReason, detail: string): void {
    this.refresh();
    this.setCooldown(this.entry(model), this.clock.now() + durationMs, reason, detail);
    this.afterChange();
  }

  /** Record the account's quota as the upstream reports it (OpenRouter `GET /key`). */
  setAccountQuota(
    account: string,
    report: { limit: number | null; remaining: number | null; used: number | null },
  ): void {
    this.refresh();
    const now = this.clock.now();
    const a = this.account(account);
    a.remote = { ...report, atMs: now };
    if (report.limit !== null) a.learnedPerDay = report.limit;
    // The upstream's count is authoritative when it is higher than ours (other clients share the key).
    if (report.used !== null && report.used > a.day.count) a.day.count = report.used;
    if (report.remaining === 0)
      this.blockAccount(account, 'account_day', nextUtcMidnightMs(now), 'daily quota spent');
    this.afterChange();
  }

  /**
   * Apply a health fact observed by another replica as if it were seen here: the same cooldown,
   * breaker, block or retirement, never shortening a later one already in force; facts already
   * over are ignored. The events it causes carry `origin: 'remote'`, so a replicator never
   * publishes back what it received.
   */
  applyExternal(fact: ExternalFact): void {
    this.refresh();
    const now = this.clock.now();
    this.applyingRemote = true;
    try {
      switch (fact.type) {
        case 'cooldown':
          if (fact.untilMs > now)
            this.setCooldown(this.entry(fact.model), fact.untilMs, fact.reason, fact.detail);
          break;
        case 'breaker_open': {
          const e = this.entry(fact.model);
          const h = e.health;
          if (fact.untilMs <= now || (h.breaker.state === 'open' && h.breaker.untilMs >= fact.untilMs)) break;
          h.timesOpened = Math.max(h.timesOpened, fact.timesOpened);
          h.breaker = { state: 'open', openedAtMs: now, untilMs: fact.untilMs };
          this.mergeRemoteSchedule(e, fact, now);
          e.epoch++;
          delete h.slowStartLimit;
          this.nextWakeMs = Math.min(this.nextWakeMs, fact.untilMs);
          this.emit({
            type: 'breaker_opened',
            atMs: now,
            model: e.id,
            untilMs: fact.untilMs,
            timesOpened: h.timesOpened,
            reason: 'opened by another replica',
            ...this.scheduleFacts(e),
          });
          break;
        }
        case 'breaker_closed': {
          const e = this.entry(fact.model);
          const h = e.health;
          if (h.breaker.state === 'closed') break;
          // Another replica's probe succeeded: the model is healthy again.
          h.breaker = { state: 'closed' };
          h.lastClosedAtMs = now;
          h.consecutiveFailures = 0;
          this.emit({ type: 'breaker_closed', atMs: now, model: e.id });
          this.startSlowStart(e);
          break;
        }
        case 'account_block':
          if (fact.untilMs > now) this.blockAccount(fact.account, fact.scope, fact.untilMs, fact.detail);
          break;
        case 'retire': {
          const e = this.entry(fact.model);
          if (e.health.retired) break;
          e.health.retired = { atMs: now, reason: fact.reason };
          this.emit({ type: 'model_retired', atMs: now, model: e.id, reason: fact.reason });
          break;
        }
        case 'restore': {
          const e = this.entry(fact.model);
          if (!e.health.retired) break;
          delete e.health.retired;
          this.emit({ type: 'model_restored', atMs: now, model: e.id, reason: fact.reason });
          break;
        }
      }
    } finally {
      this.applyingRemote = false;
    }
    this.afterChange();
  }

  // ── events ───────────────────────────────────────────────────────────────────────────────

  subscribe(listener: EngineEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The most recent events, oldest first (at most `eventsKept`). */
  recentEvents(): readonly EngineEvent[] {
    return this.events;
  }

  // ── metrics ──────────────────────────────────────────────────────────────────────────────

  metrics(): MetricsSnapshot {
    this.refresh();
    const now = this.clock.now();
    const models = this.knownModels().map((id) => {
      const e = this.entry(id);
      return modelSnapshot(
        e,
        this.capabilityGap(e, undefined) ?? this.healthGap(e, now) ?? this.admissionGap(e),
        this.probesToday(e, now),
      );
    });
    const breakerStatus: Record<string, 'closed' | 'open' | 'half_open'> = {};
    for (const m of models) breakerStatus[m.model] = m.breakerState;
    const r = this.requests;
    let attemptsSum = 0;
    for (const [k, v] of Object.entries(r.attemptsHistogram)) attemptsSum += Number(k) * v;
    const current = this.current;
    return {
      system: {
        atMs: now,
        currentModel: current,
        currentIndex: current === null ? -1 : this.order.indexOf(current),
        primaryModel: this.order[0] ?? null,
        totalRotations: this.totalRotations,
        lastRotationMs: this.lastRotationMs ?? null,
        resetsToPrimary: this.resetsToPrimary,
        consecutiveFailures: current === null ? 0 : this.entry(current).health.consecutiveFailures,
        breakerStatus,
        requests: {
          ...structuredClone(r),
          successRate: r.total === 0 ? null : r.succeeded / r.total,
          firstTrySuccessRate: r.total === 0 ? null : r.firstTrySucceeded / r.total,
          meanAttempts: r.total === 0 ? 0 : attemptsSum / r.total,
        },
        accounts: [...this.accounts].map(([id, a]) => {
          rollWindows(a, now);
          // A paced account's windows are in `quotas`; the `:free` minute/day figures are not its.
          const limits = this.paced.has(id)
            ? { perMinute: undefined, perDay: undefined }
            : this.quotaLimits(a);
          return { ...accountSnapshot(id, a, limits, now), probes: this.probeBudget(id, now) };
        }),
        quotas: this.paced.snapshot(now, (id) => this.upstreamIdOf(this.entry(id))),
      },
      models,
    };
  }

  // ── state ────────────────────────────────────────────────────────────────────────────────

  toJSON(): EngineStateJson {
    this.refresh(); // apply due transitions so the saved state is the state as of now
    const models: EngineStateJson['models'] = {};
    for (const [id, e] of this.models) {
      models[id] = {
        health: structuredClone(e.health),
        metrics: {
          ...structuredClone(e.metrics),
          recentOutcomes: e.recent.toArray(),
          latenciesMs: e.latencies.toArray(),
          ttftsMs: e.ttfts.toArray(),
        },
      };
    }
    const accounts: EngineStateJson['accounts'] = {};
    const now = this.clock.now();
    for (const [id, a] of this.accounts) {
      rollWindows(a, now); // windows roll lazily; serialise them as of now so equal states look equal
      accounts[id] = structuredClone(a);
    }
    const system: EngineStateJson['system'] = {
      currentModel: this.current,
      totalRotations: this.totalRotations,
      resetsToPrimary: this.resetsToPrimary,
      requests: structuredClone(this.requests),
    };
    if (this.lastRotationMs !== undefined) system.lastRotationMs = this.lastRotationMs;
    const quotas = this.paced.toJSON(now);
    return {
      version: 1,
      savedAtMs: now,
      models,
      accounts,
      ...(Object.keys(quotas).length > 0 ? { quotas } : {}),
      system,
    };
  }

  /** Replace health, metrics and quota state with a saved state. In-flight counts start at zero. */
  restoreState(state: EngineStateJson): void {
    if (state.version !== 1) throw new Error(`Unsupported engine state version ${String(state.version)}`);
    for (const [id, saved] of Object.entries(state.models)) {
      const e = this.entry(id);
      e.health = structuredClone(saved.health);
      const { recentOutcomes, latenciesMs, ttftsMs, ...counters } = structuredClone(saved.metrics);
      e.metrics = counters;
      e.recent = new SampleWindow(this.options.successWindowSize, recentOutcomes);
      e.latencies = new SampleWindow(this.options.latencyWindowSize, latenciesMs);
      e.ttfts = new SampleWindow(this.options.latencyWindowSize, ttftsMs);
      e.inFlight = 0;
      e.probesInFlight = 0;
    }
    this.accounts.clear();
    for (const [id, a] of Object.entries(state.accounts)) this.accounts.set(id, structuredClone(a));
    this.paced.restore(state.quotas);
    this.current = state.system.currentModel;
    this.lastCurrentNonNull = state.system.currentModel;
    this.totalRotations = state.system.totalRotations;
    this.lastRotationMs = state.system.lastRotationMs;
    this.resetsToPrimary = state.system.resetsToPrimary;
    this.requests = structuredClone(state.system.requests);
    this.nextWakeMs = Number.NEGATIVE_INFINITY;
    this.dirty = true;
    this.refresh();
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────

  private entry(id: string): ModelEntry {
    let e = this.models.get(id);
    if (!e) {
      e = newModelEntry(id, this.options);
      this.models.set(id, e);
    }
    return e;
  }

  private accountOf(e: ModelEntry): string {
    return e.profile.account ?? this.options.defaultAccount;
  }

  private upstreamIdOf(e: ModelEntry): string {
    return e.profile.upstreamId ?? e.id;
  }

  /** The token estimate of one request on `e`: the prompt plus the answer's ceiling (lowered to the model's output limit). */
  private tokenEstimate(e: ModelEntry, needs: RequestNeeds | undefined): number {
    // Without an output limit in the request, what the provider reserves for it (Cerebras: 16,384).
    const asked = needs?.outputTokens ?? this.reservedOutput.get(this.accountOf(e)) ?? 0;
    const output = Math.min(asked, e.profile.maxOutputTokens ?? Number.POSITIVE_INFINITY);
    return (needs?.promptTokens ?? 0) + output;
  }

  private isFree(e: ModelEntry): boolean {
    return e.profile.free ?? isFreeModelId(e.id);
  }

  private account(id: string): AccountState {
    let a = this.accounts.get(id);
    if (!a) {
      a = newAccountState(this.clock.now());
      this.accounts.set(id, a);
    }
    return a;
  }

  private quotaLimits(a: AccountState): { perMinute: number | undefined; perDay: number | undefined } {
    return {
      perMinute: this.options.quota.freeRequestsPerMinute || undefined,
      perDay: a.learnedPerDay ?? this.options.quota.freeRequestsPerDay,
    };
  }

  private capabilityGap(e: ModelEntry, needs: RequestNeeds | undefined): SkipReason | undefined {
    if (e.health.retired) return { model: e.id, reason: 'retired', detail: e.health.retired.reason };
    if (!needs) return undefined;
    const p = e.profile;
    if (needs.tools && p.tools === false) return { model: e.id, reason: 'lacks_tools' };
    if (needs.vision && p.vision === false) return { model: e.id, reason: 'lacks_vision' };
    if (needs.systemPrompt && p.systemPrompt === false) return { model: e.id, reason: 'lacks_system_prompt' };
    if (
      needs.promptTokens !== undefined &&
      p.contextLength !== undefined &&
      needs.promptTokens > p.contextLength
    ) {
      return {
        model: e.id,
        reason: 'context_too_small',
        detail: `needs ~${needs.promptTokens} tokens, has ${p.contextLength}`,
      };
    }
    const account = this.accountOf(e);
    if (this.paced.has(account)) {
      const tooLarge = this.paced.tooLarge(
        account,
        e.id,
        this.upstreamIdOf(e),
        this.tokenEstimate(e, needs),
        this.clock.now(),
      );
      if (tooLarge) return { model: e.id, reason: 'budget_too_small', detail: tooLarge };
    }
    return undefined;
  }

  /** Unavailability that time will cure: account blocks, cooldowns, open breakers. */
  private healthGap(e: ModelEntry, now: number, needs?: RequestNeeds): SkipReason | undefined {
    const pacedAccount = this.paced.has(this.accountOf(e));
    if (this.isFree(e) || pacedAccount) {
      const accountId = this.accountOf(e);
      const a = this.account(accountId);
      if (a.blocked) {
        return {
          model: e.id,
          reason: 'account_blocked',
          untilMs: a.blocked.untilMs,
          detail: `${accountId}: ${a.blocked.detail}`,
          rateLimit: true,
        };
      }
      if (pacedAccount) {
        const gap = this.paced.gap(accountId, e.id, this.upstreamIdOf(e), this.tokenEstimate(e, needs), now);
        if (gap) {
          this.pacedWakeMs = Math.min(this.pacedWakeMs, gap.untilMs);
          return {
            model: e.id,
            reason: gap.per === 'account' ? 'account_quota' : 'model_quota',
            untilMs: gap.untilMs,
            detail: gap.detail,
            rateLimit: true,
          };
        }
      }
      rollWindows(a, now);
      const local = pacedAccount ? undefined : localQuotaBlock(a, this.quotaLimits(a), now);
      if (local) {
        return {
          model: e.id,
          reason: 'account_quota',
          untilMs: local.untilMs,
          detail: `${accountId}: ${local.scope === 'account_day' ? 'daily' : 'per-minute'} free-model quota used up locally`,
          rateLimit: true,
        };
      }
    }
    const h = e.health;
    if (h.cooldown) {
      const gap: SkipReason = {
        model: e.id,
        reason: 'cooling_down',
        untilMs: h.cooldown.untilMs,
        detail: h.cooldown.detail,
      };
      if (h.cooldown.reason === 'rate_limited') gap.rateLimit = true;
      return gap;
    }
    if (h.breaker.state === 'open') {
      return {
        model: e.id,
        reason: 'breaker_open',
        untilMs: h.breaker.untilMs,
        detail: 'circuit breaker open',
      };
    }
    if (h.breaker.state === 'half_open') return this.probeBudgetGap(e, now);
    return undefined;
  }

  /**
   * A half-open `:free` model whose probe the account's daily budget cannot pay for (spent, or what
   * is left is kept for models above it in the rotation): skipped until the budget renews at 00:00 UTC.
   */
  private probeBudgetGap(e: ModelEntry, now: number): SkipReason | undefined {
    // With every probe slot taken, the model is busy (`admissionGap`), not waiting for the budget.
    const slots = this.options.breaker.halfOpenMaxProbes;
    if (!this.isFree(e) || e.probesInFlight >= slots) return undefined;
    const accountId = this.accountOf(e);
    const { spent, budget } = this.probeBudget(accountId, now);
    const rank = this.order.indexOf(e.id);
    if (mayProbe(budget, spent, rank < 0 ? this.order.length : rank)) return undefined;
    return {
      model: e.id,
      reason: 'probe_budget_spent',
      untilMs: nextUtcMidnightMs(now),
      detail:
        spent >= budget
          ? `${accountId}: ${spent} of ${budget} recovery probes spent today (${Math.round(this.options.breaker.probeQuotaShare * 100)} % of the daily free quota)`
          : `${accountId}: ${budget - spent} of ${budget} recovery probes left today, kept for models above this one`,
    };
  }

  /** The account's probe budget for the UTC day of `now`, and the probes its `:free` models spent. */
  private probeBudget(accountId: string, now: number): { spent: number; budget: number } {
    const day = dayStartMs(now);
    let spent = 0;
    for (const m of this.models.values()) {
      const p = m.health.probes;
      if (p && p.dayStartMs === day && this.isFree(m) && this.accountOf(m) === accountId) spent += p.count;
    }
    const a = this.account(accountId);
    const sentToday = a.day.startMs === day ? a.day.count : 0;
    const budget = probeBudgetPerDay(this.options.breaker, this.quotaLimits(a).perDay, sentToday);
    return { spent, budget };
  }

  /** Count a probe admitted now (or take one back: `delta` −1 for a withdrawn one). */
  private countProbe(e: ModelEntry, now: number, delta: 1 | -1): void {
    const day = dayStartMs(now);
    const p = e.health.probes;
    const count = Math.max(0, (p && p.dayStartMs === day ? p.count : 0) + delta);
    e.health.probes = { dayStartMs: day, count };
    if (delta < 0 || !this.isFree(e)) return;
    const accountId = this.accountOf(e);
    const { spent, budget } = this.probeBudget(accountId, now);
    if (spent === budget)
      this.emit({
        type: 'probe_budget_spent',
        atMs: now,
        account: accountId,
        spent,
        budget,
        untilMs: nextUtcMidnightMs(now),
      });
  }

  /** Probes of `e` today (0 when none or counted on another day). */
  private probesToday(e: ModelEntry, now: number): number {
    const p = e.health.probes;
    return p && p.dayStartMs === dayStartMs(now) ? p.count : 0;
  }

  /** What another replica needs of this model's schedule: when its outage began, its probes today. */
  private scheduleFacts(e: ModelEntry): {
    outageSinceMs?: number;
    probes?: { dayStartMs: number; count: number };
  } {
    const h = e.health;
    return {
      ...(h.outage ? { outageSinceMs: h.outage.sinceMs } : {}),
      ...(h.probes ? { probes: { ...h.probes } } : {}),
    };
  }

  /** Follow another replica's schedule: the earlier outage start, the higher probe count of the same day. */
  private mergeRemoteSchedule(
    e: ModelEntry,
    fact: Extract<ExternalFact, { type: 'breaker_open' }>,
    now: number,
  ): void {
    const h = e.health;
    if (fact.outageSinceMs !== undefined && fact.outageSinceMs <= now) {
      if (!h.outage) h.outage = { sinceMs: fact.outageSinceMs, lastOpenMs: this.options.breaker.openBaseMs };
      else h.outage.sinceMs = Math.min(h.outage.sinceMs, fact.outageSinceMs);
    }
    const remote = fact.probes;
    if (remote && remote.dayStartMs === dayStartMs(now)) {
      const local = this.probesToday(e, now);
      if (remote.count > local) h.probes = { dayStartMs: remote.dayStartMs, count: remote.count };
    }
  }

  /** Unavailability that finishing attempts will cure: probe slots and the slow-start ramp. */
  private admissionGap(e: ModelEntry): SkipReason | undefined {
    if (
      e.health.breaker.state === 'half_open' &&
      e.probesInFlight >= this.options.breaker.halfOpenMaxProbes
    ) {
      return { model: e.id, reason: 'half_open_busy', detail: 'a recovery probe is in flight' };
    }
    const limit = e.health.slowStartLimit;
    if (limit !== undefined && e.inFlight >= limit) {
      return { model: e.id, reason: 'slow_start_busy', detail: `recovering: ${limit} concurrent admitted` };
    }
    return this.concurrencyGap(e);
  }

  /** A pooled provider that limits requests in flight at once (GitHub Models): busy at its limit. */
  private concurrencyGap(e: ModelEntry): SkipReason | undefined {
    const account = this.accountOf(e);
    if (!this.paced.has(account)) return undefined;
    const cap = this.paced.concurrencyLimit(account, this.upstreamIdOf(e));
    if (!cap) return undefined;
    let inFlight = e.inFlight;
    if (cap.per === 'account') {
      inFlight = 0;
      for (const m of this.models.values()) if (this.accountOf(m) === account) inFlight += m.inFlight;
    }
    if (inFlight < cap.limit) return undefined;
    return {
      model: e.id,
      reason: 'concurrency_busy',
      detail: `${account}: ${cap.limit} requests at once${cap.per === 'model' ? ' per model' : ''}, all in flight`,
    };
  }

  private admit(e: ModelEntry, now: number, needs?: RequestNeeds): Lease {
    const isProbe = e.health.breaker.state === 'half_open';
    e.inFlight++;
    if (isProbe) {
      e.probesInFlight++;
      this.countProbe(e, now, 1);
    }
    const accountId = this.accountOf(e);
    const paced: PacedCharge | undefined = this.paced.charge(
      accountId,
      e.id,
      this.upstreamIdOf(e),
      this.tokenEstimate(e, needs),
      now,
    );
    const counted = this.isFree(e) && !paced ? this.account(accountId) : undefined;
    if (counted) {
      rollWindows(counted, now);
      counted.minute.count++;
      counted.day.count++;
    }
    const countedIn = counted && { minute: counted.minute.startMs, day: counted.day.startMs };
    const epoch = e.epoch;
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      e.inFlight = Math.max(0, e.inFlight - 1);
      if (isProbe) e.probesInFlight = Math.max(0, e.probesInFlight - 1);
      return true;
    };
    return {
      model: e.id,
      account: accountId,
      isProbe,
      startedAtMs: now,
      epoch,
      succeed: (timing = {}) => {
        if (!settle()) return;
        this.refresh();
        this.onSuccess(e, timing, isProbe);
        this.afterChange();
      },
      fail: (failure, timing = {}) => {
        if (!settle()) return;
        this.refresh();
        this.onFailure(e, failure, timing, isProbe, epoch, paced?.tokens);
        this.afterChange();
      },
      reportUsage: (totalTokens) => {
        if (settled || !paced || !(totalTokens >= 0)) return;
        paced.correct(totalTokens, this.clock.now());
      },
      release: () => {
        if (!settle()) return;
        e.metrics.cancelled++;
      },
      withdraw: () => {
        if (!settle()) return;
        paced?.refund(this.clock.now());
        if (isProbe) this.countProbe(e, this.clock.now(), -1); // never sent: no probe spent
        if (!counted || !countedIn) return;
        // Only from the windows it was counted in (they may have rolled since).
        if (counted.minute.startMs === countedIn.minute)
          counted.minute.count = Math.max(0, counted.minute.count - 1);
        if (counted.day.startMs === countedIn.day) counted.day.count = Math.max(0, counted.day.count - 1);
      },
    };
  }

  private onSuccess(e: ModelEntry, timing: AttemptTiming, isProbe: boolean): void {
    const now = this.clock.now();
    const m = e.metrics;
    m.total++;
    m.successful++;
    m.lastUsedMs = now;
    e.recent.add(1);
    if (timing.latencyMs !== undefined) {
      m.totalLatencyMs += timing.latencyMs;
      m.timedAttempts++;
      e.latencies.add(timing.latencyMs);
    }
    if (timing.ttftMs !== undefined) e.ttfts.add(timing.ttftMs);
    const h = e.health;
    h.consecutiveFailures = 0;
    h.consecutiveRateLimits = 0;
    // Only a probe (or a direct report, which cannot be told apart) may close a half-open breaker;
    // a late success of an attempt admitted before the breaker opened proves less.
    if (h.breaker.state === 'half_open' && (isProbe || e.probesInFlight === 0)) {
      h.breaker = { state: 'closed' };
      h.lastClosedAtMs = now;
      this.emit({ type: 'breaker_closed', atMs: now, model: e.id });
      this.startSlowStart(e);
    }
    if (h.slowStartLimit !== undefined) {
      const next = h.slowStartLimit * 2;
      if (next >= this.options.slowStart.maxConcurrency) delete h.slowStartLimit;
      else h.slowStartLimit = next;
    }
  }

  /**
   * A failed attempt. `epoch` is the model's episode when the attempt was admitted (undefined for
   * direct reports, which always count): if the model's health escalated since, this failure
   * belongs to an incident already counted — it is recorded in the metrics but escalates nothing.
   */
  private onFailure(
    e: ModelEntry,
    failure: Failure,
    timing: AttemptTiming,
    isProbe: boolean,
    epoch?: number,
    /** The token estimate the attempt was counted with in a paced account's windows. */
    tokens?: number,
  ): void {
    const now = this.clock.now();
    const m = e.metrics;
    m.total++;
    m.failed++;
    m.lastUsedMs = now;
    m.byKind[failure.kind] = (m.byKind[failure.kind] ?? 0) + 1;
    if (timing.latencyMs !== undefined) {
      m.totalLatencyMs += timing.latencyMs;
      m.timedAttempts++;
    }
    const h = e.health;
    const stale = epoch !== undefined && epoch !== e.epoch;

    const account = this.accountOf(e);
    const pacedAccount = this.paced.has(account);
    if (failure.kind === 'rate_limit') {
      m.rateLimited++;
      e.recent.add(0);
      if (pacedAccount && failure.window !== undefined) {
        this.onProviderRateLimit(e, account, failure, now, stale);
        return;
      }
      if (failure.scope === 'model') {
        const hinted = hintedDelayMs(failure, now, this.options.maxModelHintMs);
        if (stale) {
          // Part of an incident already counted: a server hint may still lengthen the cooldown in
          // force (a fact about the model), but the backoff does not step up again.
          if (hinted !== undefined && h.cooldown)
            this.setCooldown(e, now + hinted, 'rate_limited', rateLimitDetail(failure, true));
          return;
        }
        h.consecutiveRateLimits++;
        e.epoch++;
        const delay = hinted ?? backoffDelayMs(h.consecutiveRateLimits - 1, this.options.retry, this.random);
        this.setCooldown(e, now + delay, 'rate_limited', rateLimitDetail(failure, hinted !== undefined));
      } else {
        const boundary = failure.scope === 'account_day' ? nextUtcMidnightMs(now) : nextMinuteMs(now);
        const hinted = hintedDelayMs(failure, now, this.options.maxAccountHintMs);
        const detail =
          failure.scope === 'account_day'
            ? 'daily free-model quota spent'
            : 'per-minute free-model quota spent';
        this.blockAccount(
          this.accountOf(e),
          failure.scope,
          hinted === undefined ? boundary : now + hinted,
          detail,
        );
      }
      return;
    }

    if (failure.kind === 'overloaded') {
      // The provider is busy: not the account's fault, no sign the model is broken. A brief
      // cooldown (the server's hint, else the rate-limit backoff) moves traffic elsewhere; no
      // breaker count.
      e.recent.add(0);
      if (stale) return;
      h.consecutiveRateLimits++;
      e.epoch++;
      const hinted = hintedDelayMs(failure, now, this.options.maxModelHintMs);
      const delay = hinted ?? backoffDelayMs(h.consecutiveRateLimits - 1, this.options.retry, this.random);
      const by = failure.providerId ?? failure.provider;
      this.setCooldown(
        e,
        now + delay,
        'overloaded',
        `overloaded${by ? ` (${by})` : ''}: provider capacity, not the quota`,
      );
      return;
    }

    if (failure.providerKind === 'request_too_large' && pacedAccount && failure.window !== undefined) {
      // One request larger than the whole window: never send one this large there again.
      this.paced.learnTooLarge(account, e.id, failure.window, failure.per ?? 'model', tokens ?? 0, now);
    }

    if (failure.kind === 'model_not_found') {
      e.recent.add(0);
      if (!h.retired) {
        h.retired = { atMs: now, reason: failure.message || 'No endpoints found' };
        this.emit({ type: 'model_retired', atMs: now, model: e.id, reason: h.retired.reason });
      }
      return;
    }

    if (!isTransientModelFault(failure)) return; // the request's or the account's fault, not the model's

    e.recent.add(0);
    if (stale) return; // one incident, counted once
    h.consecutiveFailures++;
    e.epoch++;
    const reason = `${h.consecutiveFailures} consecutive failures (last: ${failure.kind})`;
    if (h.breaker.state === 'half_open') {
      if (isProbe || e.probesInFlight === 0)
        this.openBreaker(e, now, `recovery probe failed: ${failure.kind}`, failure.kind);
      return;
    }
    if (h.breaker.state === 'open') return;
    if (h.consecutiveFailures >= this.options.circuitBreakerThreshold) {
      this.openBreaker(e, now, reason, failure.kind);
    } else if (h.consecutiveFailures >= this.options.maxConsecutiveFailures) {
      const step = h.consecutiveFailures - this.options.maxConsecutiveFailures;
      this.setCooldown(
        e,
        now + backoffDelayMs(step, this.options.retry, this.random),
        'consecutive_failures',
        reason,
      );
    }
  }

  /**
   * A paced provider's 429 for a known window. A model's short window cools the pair down as any
   * model-scoped 429 does; a model's day-scale window parks the pair until the window resets; an
   * account-wide window blocks every model of that provider — and only that provider: the
   * request moves on to the next one at once.
   */
  private onProviderRateLimit(
    e: ModelEntry,
    account: string,
    failure: Extract<Failure, { kind: 'rate_limit' }>,
    now: number,
    stale: boolean,
  ): void {
    const window = failure.window!;
    const long = isLongQuotaWindow(window);
    const per = failure.per ?? (failure.scope === 'model' ? 'model' : 'account');
    const hinted = hintedDelayMs(
      failure,
      now,
      long ? this.options.maxAccountHintMs : this.options.maxModelHintMs,
    );
    const h = e.health;
    const what = `${windowWords(window)}${per === 'model' ? ' of this model' : ''}`;
    const detail = `${account}: ${what} spent${hinted === undefined ? ' (backoff)' : ''}`;
    if (per === 'model' && !long) {
      if (stale) {
        if (hinted !== undefined && h.cooldown) this.setCooldown(e, now + hinted, 'rate_limited', detail);
        return;
      }
      h.consecutiveRateLimits++;
      e.epoch++;
      const delay = hinted ?? backoffDelayMs(h.consecutiveRateLimits - 1, this.options.retry, this.random);
      this.setCooldown(e, now + delay, 'rate_limited', detail);
      return;
    }
    // A day-scale or account-wide window: its reset is a fact of the window, not a backoff step.
    const untilMs = now + (hinted ?? this.options.retry.maxDelayMs);
    this.paced.block(account, e.id, window, per, untilMs, 'a 429 said so', now);
    if (per === 'model') this.setCooldown(e, untilMs, 'rate_limited', detail);
    else this.blockAccount(account, long ? 'account_day' : 'account_minute', untilMs, `${what} spent`);
  }

  private setCooldown(e: ModelEntry, untilMs: number, reason: CooldownReason, detail: string): void {
    const existing = e.health.cooldown;
    // Concurrent reports never shorten a cooldown already in force.
    if (existing && existing.untilMs >= untilMs) return;
    e.health.cooldown = { untilMs, reason, detail };
    e.epoch++;
    delete e.health.slowStartLimit;
    this.nextWakeMs = Math.min(this.nextWakeMs, untilMs);
    this.emit({ type: 'cooldown_started', atMs: this.clock.now(), model: e.id, untilMs, reason, detail });
  }

  /**
   * Open (or re-open) the breaker for the probe schedule's next open time: short while the outage
   * is young, doubling after, longer for a silent model (see `probe-schedule.ts`).
   */
  private openBreaker(e: ModelEntry, now: number, reason: string, kind: Failure['kind']): void {
    const h = e.health;
    const b = this.options.breaker;
    if (h.lastClosedAtMs !== undefined && now - h.lastClosedAtMs >= b.forgetAfterMs) {
      h.timesOpened = 0;
      delete h.outage;
    }
    if (h.timesOpened === 0 || !h.outage) h.outage = { sinceMs: now, lastOpenMs: b.openBaseMs };
    h.timesOpened++;
    const nominal = nominalOpenMs(b, h.outage, now);
    h.outage.lastOpenMs = nominal;
    const scaled = scaledOpenMs(b, nominal, kind);
    const r = this.options.retry;
    const jittered = r.jitter ? scaled * (1 + r.jitterRatio * (2 * this.random() - 1)) : scaled;
    const untilMs = now + Math.round(Math.min(b.maxOpenMs, jittered));
    h.breaker = { state: 'open', openedAtMs: now, untilMs };
    e.epoch++;
    delete h.slowStartLimit;
    this.nextWakeMs = Math.min(this.nextWakeMs, untilMs);
    this.emit({
      type: 'breaker_opened',
      atMs: now,
      model: e.id,
      untilMs,
      timesOpened: h.timesOpened,
      reason,
      ...this.scheduleFacts(e),
    });
  }

  private startSlowStart(e: ModelEntry): void {
    if (this.options.slowStart.enabled) e.health.slowStartLimit = this.options.slowStart.initialConcurrency;
  }

  private blockAccount(
    account: string,
    scope: 'account_minute' | 'account_day',
    untilMs: number,
    detail: string,
  ): void {
    const a = this.account(account);
    const now = this.clock.now();
    if (a.blocked && a.blocked.untilMs >= untilMs) return;
    a.blocked = { untilMs, scope, detail, sinceMs: now };
    this.nextWakeMs = Math.min(this.nextWakeMs, untilMs);
    this.emit({ type: 'account_blocked', atMs: now, account, scope, untilMs, detail });
    this.dirty = true;
  }

  /** Apply due time-based transitions, then recompute the current model if anything changed. */
  private refresh(): void {
    const now = this.clock.now();
    if (now >= this.nextWakeMs) {
      let next = Number.POSITIVE_INFINITY;
      for (const e of this.models.values()) {
        const h = e.health;
        if (h.cooldown) {
          if (now >= h.cooldown.untilMs) {
            delete h.cooldown;
            if (h.breaker.state === 'closed') this.startSlowStart(e);
            this.dirty = true;
          } else next = Math.min(next, h.cooldown.untilMs);
        }
        if (h.breaker.state === 'open') {
          if (now >= h.breaker.untilMs) {
            h.breaker = { state: 'half_open', sinceMs: now };
            e.epoch++; // attempts admitted before this are not probes: their results prove nothing
            this.emit({ type: 'breaker_half_open', atMs: now, model: e.id });
            this.dirty = true;
          } else next = Math.min(next, h.breaker.untilMs);
        }
      }
      for (const [id, a] of this.accounts) {
        if (!a.blocked) continue;
        if (now >= a.blocked.untilMs) {
          delete a.blocked;
          this.emit({ type: 'account_unblocked', atMs: now, account: id });
          this.dirty = true;
        } else next = Math.min(next, a.blocked.untilMs);
      }
      this.nextWakeMs = next;
    }
    if (now >= this.pacedWakeMs) {
      // A paced window may have room again: the current model may change.
      this.pacedWakeMs = Number.POSITIVE_INFINITY;
      this.dirty = true;
    }
    if (this.dirty) this.recomputeCurrent(now);
  }

  private afterChange(): void {
    this.dirty = true;
    this.refresh();
  }

  /** Current model = first in the rotation order whose health allows traffic (admission slots ignored). */
  private recomputeCurrent(now: number): void {
    this.dirty = false;
    let next: string | null = null;
    for (const id of this.order) {
      const e = this.entry(id);
      if (!e.health.retired && !this.healthGap(e, now)) {
        next = id;
        break;
      }
    }
    if (next === this.current) return;
    const from = this.current;
    this.current = next;
    if (next === null) return;
    const previous = this.lastCurrentNonNull;
    this.lastCurrentNonNull = next;
    if (previous === null || previous === next) return; // first choice, or back after a gap with no model
    this.totalRotations++;
    this.lastRotationMs = now;
    this.entry(next).metrics.rotationsTo++;
    const fromEntry = this.entry(previous);
    // Moving up the order (a better model is back) is a recovery whatever state the old one is in.
    const up = this.order.indexOf(next) < this.order.indexOf(previous) && this.order.includes(previous);
    const reason = this.orderJustChanged
      ? 'order changed'
      : next === this.order[0]
        ? 'primary recovered'
        : up
          ? 'recovered'
          : fromEntry.health.retired
            ? 'retired'
            : (this.healthGap(fromEntry, now)?.reason ?? (from === null ? 'available again' : 'moved down'));
    this.emit({ type: 'rotation', atMs: now, from: previous, to: next, reason });
    if (next === this.order[0] && !this.orderJustChanged) {
      this.resetsToPrimary++;
      this.emit({ type: 'reset_to_primary', atMs: now, model: next });
    }
  }

  private emit(event: EngineEvent): void {
    if (this.applyingRemote) event.origin = 'remote';
    event.seq = ++this.eventSeq;
    if (this.options.eventsKept > 0) {
      this.events.push(event);
      if (this.events.length > this.options.eventsKept)
        this.events.splice(0, this.events.length - this.options.eventsKept);
    }
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's bug must not break a decision.
      }
    }
  }
}

function emptyRequestStats(): RequestStats {
  return { total: 0, succeeded: 0, failed: 0, firstTrySucceeded: 0, attemptsHistogram: {} };
}

function rateLimitDetail(failure: Failure, hinted: boolean): string {
  const source = failure.provider ? ` by ${failure.provider}` : '';
  return `rate limited${source}${hinted ? ' (server reset hint)' : ' (backoff)'}`;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
