/**
 * The engine's metrics as plain snapshot objects — the seed's per-model and system metrics and
 * more — built by pure functions from a model entry or an account's state.
 */
import type { SkipReason } from '../errors.js';
import { nextMinuteMs, nextUtcMidnightMs } from './account-quota.js';
import type { AccountState, CooldownReason, RequestStats } from './engine-state.js';
import type { ModelEntry } from './model-entry.js';
import type { PacedQuotaSnapshot } from './paced-accounts.js';

export type { PacedQuotaSnapshot } from './paced-accounts.js';

export interface ModelMetricsSnapshot {
  model: string;
  totalRequests: number;
  successfulRequests: number;
  failedRequests: number;
  rateLimitedRequests: number;
  cancelledRequests: number;
  failuresByKind: Partial<Record<string, number>>;
  /** Mean duration of every timed attempt, successful or not (the seed's "average execution time"), ms. */
  averageExecutionTimeMs: number;
  /** successful / total over the model's life, 0..1; null before any attempt (no data is not 100 %). */
  successRate: number | null;
  /** Success rate over the sliding window of recent outcomes, 0..1; null before any attempt. */
  recentSuccessRate: number | null;
  lastUsedMs: number | null;
  rotationsTo: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  breakerState: 'closed' | 'open' | 'half_open';
  breakerOpenUntilMs: number | null;
  timesOpened: number;
  /**
   * When the next recovery probe may go out, epoch ms: the end of the open period; while half-open,
   * since when it has been due (the next request probes) or, with the day's probe budget spent,
   * 00:00 UTC.
   * Null while the breaker is closed.
   */
  nextProbeAtMs: number | null;
  /** Start of the outage the open or half-open breaker belongs to (its first opening); null while closed. */
  outageSinceMs: number | null;
  /** Recovery probes sent to this model today (UTC). */
  probesToday: number;
  cooldownUntilMs: number | null;
  cooldownReason: CooldownReason | null;
  cooldownDetail: string | null;
  consecutiveFailures: number;
  consecutiveRateLimits: number;
  inFlight: number;
  slowStartLimit: number | null;
  retired: { atMs: number; reason: string } | null;
  /** Whether a plain request could be sent to this model now, and if not why. */
  available: boolean;
  unavailableReason: SkipReason | null;
}

export interface AccountSnapshot {
  account: string;
  minuteUsed: number;
  minuteLimit: number | null;
  minuteRemaining: number | null;
  minuteResetAtMs: number;
  dayUsed: number;
  dayLimit: number | null;
  dayRemaining: number | null;
  dayResetAtMs: number;
  blockedUntilMs: number | null;
  blockedScope: string | null;
  blockedDetail: string | null;
  remote: AccountState['remote'] | null;
}

/** An account's daily recovery-probe budget (README "Recovery probes"), beside its quota. */
export interface AccountProbeSnapshot {
  /** Probes its `:free` models may spend today (a share of the daily limit). */
  budget: number;
  /** Probes they spent today. */
  spent: number;
}

export interface SystemMetricsSnapshot {
  atMs: number;
  currentModel: string | null;
  /** Index of the current model in the rotation order, -1 if none is available. */
  currentIndex: number;
  primaryModel: string | null;
  totalRotations: number;
  lastRotationMs: number | null;
  resetsToPrimary: number;
  /** Consecutive transient failures of the current model. */
  consecutiveFailures: number;
  breakerStatus: Record<string, 'closed' | 'open' | 'half_open'>;
  /** Rates are null before the first request. */
  requests: RequestStats & {
    successRate: number | null;
    firstTrySuccessRate: number | null;
    meanAttempts: number;
  };
  accounts: Array<AccountSnapshot & { probes: AccountProbeSnapshot }>;
  /** Pooled providers' quota windows: account-wide ones always, per-model ones once used. */
  quotas: PacedQuotaSnapshot[];
}

export interface MetricsSnapshot {
  system: SystemMetricsSnapshot;
  /** Rotation order first, then any other model seen. */
  models: ModelMetricsSnapshot[];
}

/** A model's snapshot; `gap` is why it could not take a plain request now (undefined: it could). */
export function modelSnapshot(
  e: ModelEntry,
  gap: SkipReason | undefined,
  probesToday = 0,
): ModelMetricsSnapshot {
  const m = e.metrics;
  const h = e.health;
  const recentMean = e.recent.mean();
  return {
    model: e.id,
    totalRequests: m.total,
    successfulRequests: m.successful,
    failedRequests: m.failed,
    rateLimitedRequests: m.rateLimited,
    cancelledRequests: m.cancelled,
    failuresByKind: { ...m.byKind },
    averageExecutionTimeMs: m.timedAttempts === 0 ? 0 : m.totalLatencyMs / m.timedAttempts,
    successRate: m.total === 0 ? null : m.successful / m.total,
    recentSuccessRate: recentMean ?? null,
    lastUsedMs: m.lastUsedMs ?? null,
    rotationsTo: m.rotationsTo,
    latencyP50Ms: e.latencies.percentile(50) ?? null,
    latencyP95Ms: e.latencies.percentile(95) ?? null,
    ttftP50Ms: e.ttfts.percentile(50) ?? null,
    ttftP95Ms: e.ttfts.percentile(95) ?? null,
    breakerState: h.breaker.state,
    breakerOpenUntilMs: h.breaker.state === 'open' ? h.breaker.untilMs : null,
    timesOpened: h.timesOpened,
    nextProbeAtMs:
      h.breaker.state === 'open'
        ? h.breaker.untilMs
        : h.breaker.state === 'half_open'
          ? gap?.reason === 'probe_budget_spent'
            ? (gap.untilMs ?? null)
            : h.breaker.sinceMs
          : null,
    outageSinceMs: h.breaker.state === 'closed' ? null : (h.outage?.sinceMs ?? null),
    probesToday,
    cooldownUntilMs: h.cooldown?.untilMs ?? null,
    cooldownReason: h.cooldown?.reason ?? null,
    cooldownDetail: h.cooldown?.detail ?? null,
    consecutiveFailures: h.consecutiveFailures,
    consecutiveRateLimits: h.consecutiveRateLimits,
    inFlight: e.inFlight,
    slowStartLimit: h.slowStartLimit ?? null,
    retired: h.retired ?? null,
    available: gap === undefined,
    unavailableReason: gap ?? null,
  };
}

/** An account's quota snapshot as of `nowMs` (its windows already rolled to `nowMs`). */
export function accountSnapshot(
  id: string,
  a: AccountState,
  limits: { perMinute: number | undefined; perDay: number | undefined },
  nowMs: number,
): AccountSnapshot {
  return {
    account: id,
    minuteUsed: a.minute.count,
    minuteLimit: limits.perMinute ?? null,
    minuteRemaining: limits.perMinute === undefined ? null : Math.max(0, limits.perMinute - a.minute.count),
    minuteResetAtMs: nextMinuteMs(nowMs),
    dayUsed: a.day.count,
    dayLimit: limits.perDay ?? null,
    dayRemaining: limits.perDay === undefined ? null : Math.max(0, limits.perDay - a.day.count),
    dayResetAtMs: nextUtcMidnightMs(nowMs),
    blockedUntilMs: a.blocked?.untilMs ?? null,
    blockedScope: a.blocked?.scope ?? null,
    blockedDetail: a.blocked?.detail ?? null,
    remote: a.remote ?? null,
  };
}
