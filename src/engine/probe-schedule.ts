/**
 * The recovery-probe schedule, as pure functions: how long an open breaker waits before its next
 * half-open probe, and how many probes an account's free-model quota may pay for in a UTC day.
 *
 * Why this shape (README "Recovery probes" has the worked timeline):
 * - Most outages are short. While an outage is young (`fastProbeForMs`, 10 min) every opening
 *   lasts `openBaseMs` (20 s, ±20 % jitter, so at most 24 s): a model that recovers within those
 *   minutes gets traffic back within 30 s under steady traffic. (The old "30 s × times opened"
 *   lengthened the wait after each failed probe — 30 s, 60 s, … — so a 45 s outage kept the
 *   primary away for about a minute after it recovered.)
 * - A model that stays dead must not cost probes for ever: past the young phase each failed probe
 *   doubles the open time, up to `maxOpenMs` (10 min) — at most ~8 probes an hour from then on.
 * - A silent model (timeouts) makes each probe's client wait for the first-token limit before it
 *   fails over, so its open times are `timeoutOpenFactor` (2) times longer.
 * - Probes of `:free` models spend the account's daily quota (failed attempts count): an account
 *   may spend at most `probeQuotaShare` (10 %) of its daily limit on probes, the rotation's top
 *   models first (see `probeReserve`).
 */
import type { BreakerOptions } from './engine-options.js';
import type { FailureKind } from './failure.js';

/** OpenRouter's smaller free tier, requests a day: the least daily limit assumed while the real one is unknown. */
export const ASSUMED_FREE_PER_DAY = 50;

/** The outage a breaker belongs to: when it began and the open time (un-jittered, unscaled) of its last opening. */
export interface OutageState {
  sinceMs: number;
  lastOpenMs: number;
}

/**
 * The nominal open time of the next opening (before the failure-kind factor and jitter): the base
 * while the outage is young, else double the last one, capped.
 */
export function nominalOpenMs(options: BreakerOptions, outage: OutageState, nowMs: number): number {
  const young = nowMs - outage.sinceMs < options.fastProbeForMs;
  const next = young ? options.openBaseMs : 2 * Math.max(outage.lastOpenMs, options.openBaseMs);
  return Math.min(options.maxOpenMs, next);
}

/** The open time for a breaker opened by a failure of `kind`: timeouts wait `timeoutOpenFactor` times longer. */
export function scaledOpenMs(options: BreakerOptions, nominalMs: number, kind: FailureKind): number {
  const factor = kind === 'timeout' ? options.timeoutOpenFactor : 1;
  return Math.min(options.maxOpenMs, nominalMs * factor);
}

/**
 * Probes an account may spend in a UTC day: `probeQuotaShare` of its daily free-model limit, and
 * at least one. While the limit is unknown (the library without `quota.freeRequestsPerDay`, before
 * `GET /key` or a daily 429 taught it), the share is taken of what the account has sent today, but
 * of no less than `ASSUMED_FREE_PER_DAY`: an account that cannot send more than 50 gets 5, one that
 * has sent 600 gets 60 — never more than the share of its real limit, whichever tier it is.
 */
export function probeBudgetPerDay(
  options: BreakerOptions,
  perDay: number | undefined,
  sentToday = 0,
): number {
  const limit = perDay === undefined || perDay <= 0 ? Math.max(ASSUMED_FREE_PER_DAY, sentToday) : perDay;
  return Math.max(1, Math.floor(options.probeQuotaShare * limit));
}

/**
 * How much of the day's budget must stay unspent before the model at `rank` (0 = primary) may
 * take a probe from it: nothing for the primary, half for the second model, three quarters for
 * the third … — each model down the rotation may use only half of what the one above it may. So
 * when the budget runs low, the remaining probes go to the models that matter most.
 */
export function probeReserve(budget: number, rank: number): number {
  return budget * (1 - 2 ** -Math.max(0, rank));
}

/** Whether the model at `rank` may take one more probe when `spent` of `budget` are gone today. */
export function mayProbe(budget: number, spent: number, rank: number): boolean {
  return budget - spent > probeReserve(budget, rank);
}
