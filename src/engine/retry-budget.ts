/**
 * The retry budget, in the manner of Finagle's RetryBudget and Envoy's retry budgets: every client
 * request deposits `percentOfRequests` % of a retry, a floor of `minRetriesPerSecond` is always
 * there, and deposits expire after `windowMs`. A *retry* withdraws one: a same-model retry, or an
 * attempt made after waiting for a model to recover once the request has already failed.
 *
 * Failover — the request's first attempt on another available model — is not a retry and never
 * asks the budget: moving on from a failing model to a healthy one is what rotor is for, and a
 * budget that counted it let a burst of failures on one model starve every request of its
 * second model. So in normal operation the budget is never felt; it engages only when the
 * rotation as a whole is failing and requests start retrying the same models and waiting for
 * them, and then it keeps upstream traffic within `percentOfRequests` % (+ the floor) of
 * incoming traffic.
 *
 * Time comes in through `nowMs`; deposits live in one-second buckets, so the window slides by
 * whole seconds.
 */
import { SlidingCount } from './sliding-count.js';

export interface RetryBudgetOptions {
  /** Retries allowed as a share of client requests in the window, percent (Finagle: 20). */
  percentOfRequests: number;
  /** Retries allowed per second whatever the request rate (Finagle: 10); a quiet gateway can still retry. */
  minRetriesPerSecond: number;
  /** How long a deposit counts, ms (Finagle: 10 s); rounded to whole seconds, at least 1 s. */
  windowMs: number;
  /** false: every retry is allowed (no budget). */
  enabled: boolean;
}

export const DEFAULT_RETRY_BUDGET: RetryBudgetOptions = {
  percentOfRequests: 20,
  minRetriesPerSecond: 10,
  windowMs: 10_000,
  enabled: true,
};

export interface RetryBudgetStatus {
  enabled: boolean;
  /** Retries that may be made now. */
  tokens: number;
  /** Retries the window allows in all: floor + deposits. */
  maxTokens: number;
  /** Whether the next retry would be allowed. */
  retriesAllowed: boolean;
  requestsInWindow: number;
  retriesInWindow: number;
  /** Retries refused since start. */
  refused: number;
}

export class RetryBudget {
  readonly options: RetryBudgetOptions;
  private readonly requests: SlidingCount;
  private readonly retries: SlidingCount;
  private refusedTotal = 0;

  constructor(options: Partial<RetryBudgetOptions> = {}, nowMs: () => number = Date.now) {
    this.options = { ...DEFAULT_RETRY_BUDGET, ...options };
    this.requests = new SlidingCount(this.options.windowMs, nowMs);
    this.retries = new SlidingCount(this.options.windowMs, nowMs);
  }

  /** A client request arrived: deposit its share. */
  deposit(): void {
    this.requests.add();
  }

  /** Take one retry if the budget allows it; false (and counted as refused) if not. */
  tryRetry(): boolean {
    if (!this.options.enabled) return true;
    if (this.balance() < 1) {
      this.refusedTotal++;
      return false;
    }
    this.retries.add();
    return true;
  }

  /** Whether a retry would be allowed now (takes nothing). */
  allowsRetry(): boolean {
    if (!this.options.enabled) return true;
    return this.balance() >= 1;
  }

  status(): RetryBudgetStatus {
    const capacity = this.capacity();
    const retries = this.retries.total();
    const balance = this.options.enabled ? Math.max(0, capacity - retries) : capacity;
    return {
      enabled: this.options.enabled,
      tokens: Math.floor(balance * 10) / 10,
      maxTokens: Math.floor(capacity * 10) / 10,
      retriesAllowed: !this.options.enabled || balance >= 1,
      requestsInWindow: this.requests.total(),
      retriesInWindow: retries,
      refused: this.refusedTotal,
    };
  }

  private capacity(): number {
    const o = this.options;
    return (
      o.minRetriesPerSecond * this.requests.seconds + (o.percentOfRequests / 100) * this.requests.total()
    );
  }

  private balance(): number {
    return this.capacity() - this.retries.total();
  }
}
