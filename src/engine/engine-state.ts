/**
 * The engine's serialisable state: plain JSON, so persistence (SQLite, Redis) is a detail. The
 * breaker is a discriminated union; in-flight counts are not persisted (they die with the process).
 */
import type { FailureKind, RateLimitScope } from './failure.js';
import type { OutageState } from './probe-schedule.js';
import type { PacedWindowState } from './provider-quota.js';

export type BreakerState =
  | { state: 'closed' }
  | { state: 'open'; openedAtMs: number; untilMs: number }
  | { state: 'half_open'; sinceMs: number };

export type CooldownReason = 'rate_limited' | 'overloaded' | 'consecutive_failures' | 'manual';

export interface Cooldown {
  untilMs: number;
  reason: CooldownReason;
  detail: string;
}

export interface ModelHealthState {
  consecutiveFailures: number;
  consecutiveRateLimits: number;
  cooldown?: Cooldown;
  breaker: BreakerState;
  /** Openings since the breaker was last forgotten; scales the open time. */
  timesOpened: number;
  /** When the breaker last closed (or never opened: undefined). */
  lastClosedAtMs?: number;
  /** The outage the breaker belongs to (since its first opening, until forgotten): drives the probe schedule. */
  outage?: OutageState;
  /** Recovery probes admitted on one UTC day (`dayStartMs`): the account's probe budget sums them. */
  probes?: { dayStartMs: number; count: number };
  /** Slow-start ramp in progress: admitted concurrency. */
  slowStartLimit?: number;
  retired?: { atMs: number; reason: string };
}

export interface ModelMetricsState {
  total: number;
  successful: number;
  failed: number;
  rateLimited: number;
  /** Attempts that ended without a verdict (caller aborted). Not part of `total`. */
  cancelled: number;
  byKind: Partial<Record<FailureKind, number>>;
  /** Sum of attempt durations, ms, over `timedAttempts` attempts (successful or not). */
  totalLatencyMs: number;
  timedAttempts: number;
  lastUsedMs?: number;
  rotationsTo: number;
  /** Recent outcomes, oldest first: 1 success, 0 failure. */
  recentOutcomes: number[];
  /** Recent latencies, oldest first, ms. */
  latenciesMs: number[];
  /** Recent times to first token, oldest first, ms. */
  ttftsMs: number[];
}

export interface QuotaWindowState {
  /** Start of the window, epoch ms (minute boundary or 00:00 UTC). */
  startMs: number;
  count: number;
}

export interface AccountState {
  minute: QuotaWindowState;
  day: QuotaWindowState;
  blocked?: { untilMs: number; scope: Exclude<RateLimitScope, 'model'>; detail: string; sinceMs: number };
  /** Limits learned at run time (from `/key` or 429 headers); override the configured ones. */
  learnedPerDay?: number;
  /** Last quota report from the upstream (`/key`), if any. */
  remote?: { limit: number | null; remaining: number | null; used: number | null; atMs: number };
}

export interface RequestStats {
  total: number;
  succeeded: number;
  failed: number;
  firstTrySucceeded: number;
  /** attempts → number of requests that made that many upstream attempts. */
  attemptsHistogram: Record<string, number>;
}

export interface EngineStateJson {
  version: 1;
  savedAtMs: number;
  models: Record<string, { health: ModelHealthState; metrics: ModelMetricsState }>;
  accounts: Record<string, AccountState>;
  /** Provider accounts' paced quota windows (see `provider-quota.ts`); absent in states saved before them. */
  quotas?: Record<string, PacedWindowState[]>;
  system: {
    currentModel: string | null;
    totalRotations: number;
    lastRotationMs?: number;
    resetsToPrimary: number;
    requests: RequestStats;
  };
}
