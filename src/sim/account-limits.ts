/**
 * The account's free-model quota, exactly as OpenRouter enforces it: per account (not per key or
 * model), 20 `:free` requests per minute and 50 per UTC day (1000 once 10 credits were bought).
 * Every request that gets past this gate counts, whatever its outcome; a request refused here does
 * not (so the 21st in a minute is refused and the first of the next minute passes).
 */

import { admit, WindowCounter, type WindowRefusal, windowEndMs } from './quota-window.js';
import type { AccountConfig } from './scenario-schema.js';

export const FREE_PER_DAY_WITHOUT_CREDITS = 50;
export const FREE_PER_DAY_WITH_CREDITS = 1000;

export interface QuotaSnapshot {
  limit: number;
  used: number;
  remaining: number;
  /** Epoch ms when the window resets. */
  resetMs: number;
}

export interface AccountSnapshot {
  hasCredits: boolean;
  enforced: boolean;
  minute: QuotaSnapshot;
  day: QuotaSnapshot;
}

export class AccountLimits {
  private readonly minute = new WindowCounter('minute');
  private readonly day = new WindowCounter('day');
  private hasCredits: boolean;
  private perDayOverride: number | undefined;

  constructor(private readonly config: AccountConfig) {
    this.hasCredits = config.hasCredits;
    this.perDayOverride = config.perDay;
  }

  get userId(): string {
    return this.config.userId;
  }

  get creditsBought(): boolean {
    return this.hasCredits;
  }

  get perMinute(): number {
    return this.config.perMinute;
  }

  get perDay(): number {
    return (
      this.perDayOverride ?? (this.hasCredits ? FREE_PER_DAY_WITH_CREDITS : FREE_PER_DAY_WITHOUT_CREDITS)
    );
  }

  /**
   * Count a `:free` request at `nowMs`, or say which window is full (day wins when both are).
   * With limits off the request is still counted, so `/key` shows the usage.
   */
  admitFree(nowMs: number): WindowRefusal | undefined {
    if (!this.config.freeLimits) {
      this.day.add(nowMs);
      this.minute.add(nowMs);
      return undefined;
    }
    return admit(
      [
        [this.day, this.perDay],
        [this.minute, this.perMinute],
      ],
      nowMs,
    );
  }

  setHasCredits(hasCredits: boolean): void {
    this.hasCredits = hasCredits;
    // An explicit per-day limit from the scenario described the old credit state only.
    this.perDayOverride = undefined;
  }

  /** Pretend this many `:free` requests were already made in the current windows. */
  setUsage(nowMs: number, usage: { minuteUsed?: number; dayUsed?: number }): void {
    if (usage.minuteUsed !== undefined) this.minute.set(nowMs, usage.minuteUsed);
    if (usage.dayUsed !== undefined) this.day.set(nowMs, usage.dayUsed);
  }

  reset(): void {
    this.minute.reset();
    this.day.reset();
  }

  snapshot(nowMs: number): AccountSnapshot {
    const quota = (counter: WindowCounter, limit: number): QuotaSnapshot => {
      const used = counter.used(nowMs);
      return { limit, used, remaining: Math.max(0, limit - used), resetMs: windowEndMs(counter.unit, nowMs) };
    };
    return {
      hasCredits: this.hasCredits,
      enforced: this.config.freeLimits,
      minute: quota(this.minute, this.perMinute),
      day: quota(this.day, this.perDay),
    };
  }
}
