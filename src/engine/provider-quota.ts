/**
 * Quota windows of a provider account (Groq, Cerebras, Gemini, …), paced locally so that a 429 is
 * the exception: each window the catalog names (requests or tokens, per model or for the whole
 * account) is counted as rotor sends, corrected from every response's quota headers, and blocked
 * by 429s until the window's reset. Three reset rules:
 *
 * - `fixed`: the count drops to zero at a clock boundary (next minute, midnight in a time zone).
 * - `rolling`: usage stops counting one period after it was made (kept in 60 buckets per period;
 *   a bucket expires one bucket late, so the count errs on the safe side).
 * - `continuous`: a token bucket that refills at limit/period all the time (Groq, Cerebras).
 *
 * Pure functions over plain, serialisable state; time comes in as `nowMs`. The engine owns one
 * `PacedWindowState` per (account, window, model or account-wide).
 */
import { nextBoundaryMs, periodLengthMs, type QuotaWindow, windowPeriod } from '../providers/quota-window.js';

/** How a window resets (the engine's copy of the catalog's rule). */
export type PacedReset = { rule: 'fixed'; timeZone: string } | { rule: 'rolling' } | { rule: 'continuous' };

/** One limit of a provider account, as the engine paces it. */
export interface PacedLimit {
  window: QuotaWindow;
  /** Counted for each model separately, or once for the whole account. */
  per: 'model' | 'account';
  /** The default figure (per model when `per` is `model`); absent when unknown (then only 429s and headers teach it). */
  limit?: number;
  /** Figures that differ by upstream model id. */
  byModel?: Readonly<Record<string, number>>;
  reset: PacedReset;
  /** Length of a `session` window, ms. */
  sessionMs?: number;
}

/** The state of one window for one key. Plain JSON. */
export interface PacedWindowState {
  window: QuotaWindow;
  /** `''` for an account-wide window; the engine's model id for a per-model one. */
  key: string;
  /** The limit the provider's headers reported; wins over the catalog's figure. */
  learnedLimit?: number;
  /** Amount used: in the current window (fixed), or the bucket's deficit as of `atMs` (continuous). */
  used: number;
  atMs: number;
  /** Fixed windows (and windows known only from headers): when the current window ends. */
  resetAtMs?: number;
  /** Rolling windows: `[bucket start ms, amount]`, oldest first. */
  buckets?: Array<[number, number]>;
  /** A 429 (or `remaining: 0`) said there is no room until then. */
  blockedUntilMs?: number;
  blockedDetail?: string;
  /** A request this large (in the window's unit) never fits: the provider answered "larger than the whole budget". */
  tooLargeFrom?: number;
  /** Bumped whenever headers set `used`: a usage correction reckoned before then no longer applies. */
  observed: number;
}

/** What one response said about one window (see `parseQuotaHeaders`). */
export interface QuotaReport {
  window: QuotaWindow;
  /** Who the window is counted for, when the catalog has no limit for it. Default `model`. */
  per?: 'model' | 'account';
  limit?: number;
  remaining?: number;
  resetAtMs?: number;
  /** Advertised but known not to bind (GitHub's 200s): only a block is learned from it, never a limit. */
  advisory?: boolean;
}

/** Buckets per period of a rolling window. */
const ROLLING_BUCKETS = 60;

/** The metric a window counts: `requests`, `tokens`, `neurons`, `usage`, or `concurrency`. */
export function windowMetric(window: QuotaWindow): string {
  return window === 'concurrency' ? 'concurrency' : window.slice(0, window.indexOf('_'));
}

export function newWindowState(window: QuotaWindow, key: string, nowMs: number): PacedWindowState {
  return { window, key, used: 0, atMs: nowMs, observed: 0 };
}

/** The figure in force for `upstreamModel`: learned from headers, else the catalog's. */
export function effectiveLimit(
  state: PacedWindowState,
  spec: PacedLimit | undefined,
  upstreamModel: string | undefined,
): number | undefined {
  if (state.learnedLimit !== undefined) return state.learnedLimit;
  if (!spec) return undefined;
  return (upstreamModel !== undefined ? spec.byModel?.[upstreamModel] : undefined) ?? spec.limit;
}

function periodMs(window: QuotaWindow, spec: PacedLimit | undefined): number | undefined {
  const period = windowPeriod(window);
  return period === undefined ? undefined : periodLengthMs(period, spec?.sessionMs);
}

function boundaryMs(state: PacedWindowState, spec: PacedLimit, nowMs: number): number | undefined {
  if (spec.reset.rule !== 'fixed') return undefined;
  const period = windowPeriod(state.window);
  return period === undefined
    ? undefined
    : nextBoundaryMs(nowMs, period, spec.reset.timeZone, spec.sessionMs);
}

/**
 * Bring the state up to `nowMs`: a fixed window past its boundary starts again, a continuous one
 * refills, a rolling one forgets buckets older than a period, a block that is over is lifted.
 * `limit` is the figure in force (needed for the continuous refill rate).
 */
export function settleWindow(
  state: PacedWindowState,
  spec: PacedLimit | undefined,
  limit: number | undefined,
  nowMs: number,
): void {
  if (state.blockedUntilMs !== undefined && nowMs >= state.blockedUntilMs) {
    delete state.blockedUntilMs;
    delete state.blockedDetail;
  }
  const rule = spec?.reset.rule;
  if (rule === 'continuous') {
    const length = periodMs(state.window, spec);
    if (limit !== undefined && length !== undefined && nowMs > state.atMs) {
      state.used = Math.max(0, state.used - ((nowMs - state.atMs) * limit) / length);
    }
  } else if (rule === 'rolling') {
    const length = periodMs(state.window, spec);
    if (length !== undefined && state.buckets) {
      const bucketMs = length / ROLLING_BUCKETS;
      // A bucket's last use may be as late as its end: it stops counting one period after that.
      while (state.buckets.length > 0 && state.buckets[0]![0] + bucketMs + length <= nowMs)
        state.buckets.shift();
    }
  } else {
    // Fixed, or a window known only from headers (its `resetAtMs` came from them).
    if (state.resetAtMs === undefined && spec) state.resetAtMs = boundaryMs(state, spec, nowMs);
    if (state.resetAtMs !== undefined && nowMs >= state.resetAtMs) {
      state.used = 0;
      state.resetAtMs = spec ? boundaryMs(state, spec, nowMs) : undefined;
      if (state.resetAtMs === undefined) delete state.resetAtMs;
    }
  }
  state.atMs = Math.max(state.atMs, nowMs);
}

/** Amount counted in the window now (call `settleWindow` first). */
export function usedAmount(state: PacedWindowState): number {
  if (state.buckets) {
    let sum = 0;
    for (const [, amount] of state.buckets) sum += amount;
    return sum;
  }
  return state.used;
}

/** Count `amount` (negative: give back) against the window at `nowMs` (already settled). */
export function chargeWindow(
  state: PacedWindowState,
  spec: PacedLimit | undefined,
  amount: number,
  nowMs: number,
): void {
  if (amount === 0) return;
  if (spec?.reset.rule === 'rolling') {
    const length = periodMs(state.window, spec);
    if (length === undefined) return;
    const bucketMs = length / ROLLING_BUCKETS;
    const start = Math.floor(nowMs / bucketMs) * bucketMs;
    state.buckets ??= [];
    if (amount < 0) {
      // Give back from the newest buckets: that is where the charge went.
      let left = -amount;
      for (let i = state.buckets.length - 1; i >= 0 && left > 0; i--) {
        const take = Math.min(left, state.buckets[i]![1]);
        state.buckets[i]![1] -= take;
        left -= take;
      }
      state.buckets = state.buckets.filter(([, a]) => a > 0);
      return;
    }
    const last = state.buckets[state.buckets.length - 1];
    if (last && last[0] === start) last[1] += amount;
    else state.buckets.push([start, amount]);
    return;
  }
  state.used = Math.max(0, state.used + amount);
}

/**
 * When the window has room for `cost` more (epoch ms), or undefined if it has room now. A cost
 * larger than the whole limit needs an empty window (whether it fits at all is `tooLarge`'s call).
 */
export function roomAtMs(
  state: PacedWindowState,
  spec: PacedLimit | undefined,
  limit: number | undefined,
  cost: number,
  nowMs: number,
): number | undefined {
  if (state.blockedUntilMs !== undefined && state.blockedUntilMs > nowMs) return state.blockedUntilMs;
  if (limit === undefined || cost <= 0) return undefined;
  const need = Math.min(cost, limit);
  const used = usedAmount(state);
  if (used + need <= limit) return undefined;
  const rule = spec?.reset.rule;
  const length = periodMs(state.window, spec);
  if (rule === 'continuous' && length !== undefined) {
    return nowMs + Math.ceil(((used + need - limit) * length) / limit);
  }
  if (rule === 'rolling' && length !== undefined && state.buckets) {
    const bucketMs = length / ROLLING_BUCKETS;
    let left = used;
    for (const [start, amount] of state.buckets) {
      left -= amount;
      if (left + need <= limit) return start + bucketMs + length;
    }
    return nowMs + length;
  }
  return state.resetAtMs ?? (length === undefined ? undefined : nowMs + length);
}

/** Whether a request of `cost` can never fit this window (it is larger than the whole budget). */
export function tooLarge(state: PacedWindowState, limit: number | undefined, cost: number): boolean {
  if (state.tooLargeFrom !== undefined && cost >= state.tooLargeFrom) return true;
  return limit !== undefined && cost > limit;
}

/**
 * Apply what a response's headers said. A limit teaches the figure (unless advisory); remaining
 * sets the count (the provider's count is authoritative: other clients may share the key); a spent
 * window with a reset time is blocked until then — except a continuous one, which has room again
 * as soon as it refills by one request.
 */
export function observeWindow(
  state: PacedWindowState,
  spec: PacedLimit | undefined,
  report: QuotaReport,
  upstreamModel: string | undefined,
  nowMs: number,
): void {
  if (!report.advisory && report.limit !== undefined && report.limit > 0) state.learnedLimit = report.limit;
  const limit = effectiveLimit(state, spec, upstreamModel);
  settleWindow(state, spec, limit, nowMs);
  const rule = spec?.reset.rule;
  if (
    report.resetAtMs !== undefined &&
    report.resetAtMs > nowMs &&
    (rule === undefined || rule === 'fixed')
  ) {
    state.resetAtMs = report.resetAtMs;
  }
  if (report.advisory || report.remaining === undefined) {
    if (report.remaining === 0 && !report.advisory) blockUntil(state, report.resetAtMs, nowMs);
    return;
  }
  if (limit !== undefined) {
    const target = Math.max(0, limit - report.remaining);
    chargeWindow(state, spec, target - usedAmount(state), nowMs);
    state.observed++;
  }
  if (report.remaining === 0 && rule !== 'continuous') blockUntil(state, report.resetAtMs, nowMs);
}

function blockUntil(state: PacedWindowState, untilMs: number | undefined, nowMs: number): void {
  if (untilMs === undefined || untilMs <= nowMs) return;
  if (state.blockedUntilMs !== undefined && state.blockedUntilMs >= untilMs) return;
  state.blockedUntilMs = untilMs;
  state.blockedDetail = 'the provider reported none left';
}

/** A 429 for this window: no room until `untilMs`. Never shortens a block in force. */
export function blockWindow(state: PacedWindowState, untilMs: number, detail: string): void {
  if (state.blockedUntilMs !== undefined && state.blockedUntilMs >= untilMs) return;
  state.blockedUntilMs = untilMs;
  state.blockedDetail = detail;
}

/** The cost of one request in a window's unit: 1 request, the token estimate, or 0 (units rotor cannot estimate). */
export function requestCost(window: QuotaWindow, estimatedTokens: number): number {
  const metric = windowMetric(window);
  if (metric === 'requests') return 1;
  if (metric === 'tokens') return estimatedTokens;
  return 0;
}
