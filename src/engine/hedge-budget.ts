/**
 * The hedge budget: hedged attempts may be at most `maxShare` of all upstream attempts over a
 * sliding window — the bound "hedging costs at most 10 % more upstream traffic" holds by
 * construction, whatever the traffic. There is no floor: a gateway that has sent few attempts
 * lately may not hedge yet (with 10 %, one hedge needs nine other attempts in the window).
 * Time comes in through `nowMs`.
 */
import { SlidingCount } from './sliding-count.js';

export interface HedgeBudgetOptions {
  /** Hedged attempts as a share of all attempts in the window, 0..1 (default 0.1). */
  maxShare: number;
  /** Window, ms (whole seconds). */
  windowMs: number;
}

export interface HedgeBudgetStatus {
  attemptsInWindow: number;
  hedgesInWindow: number;
  /** Whether a hedge would be allowed now. */
  hedgeAllowed: boolean;
  /** Hedges refused by the budget since start. */
  refused: number;
}

export class HedgeBudget {
  private readonly attempts: SlidingCount;
  private readonly hedges: SlidingCount;
  private refusedTotal = 0;

  constructor(
    readonly options: HedgeBudgetOptions,
    nowMs: () => number,
  ) {
    this.attempts = new SlidingCount(options.windowMs, nowMs);
    this.hedges = new SlidingCount(options.windowMs, nowMs);
  }

  /** An upstream attempt (not a hedge) was started. */
  countAttempt(): void {
    this.attempts.add();
  }

  /** Take a hedge if it keeps hedges within the share (the hedge counts as an attempt too). */
  tryHedge(): boolean {
    if (!this.allows()) {
      this.refusedTotal++;
      return false;
    }
    this.attempts.add();
    this.hedges.add();
    return true;
  }

  status(): HedgeBudgetStatus {
    return {
      attemptsInWindow: this.attempts.total(),
      hedgesInWindow: this.hedges.total(),
      hedgeAllowed: this.allows(),
      refused: this.refusedTotal,
    };
  }

  /** Whether a hedge would be allowed now (takes nothing). */
  allows(): boolean {
    // (hedges + 1) / (attempts + 1) ≤ maxShare, with a little slack for floating point.
    return this.hedges.total() + 1 <= this.options.maxShare * (this.attempts.total() + 1) + 1e-9;
  }
}
