/**
 * One provider limit counted the way that provider resets it, in simulated time:
 *
 * - **fixed**: usage drops to zero at each clock boundary in a time zone (Mistral's wall-clock
 *   minute, Gemini's midnight Pacific, Cloudflare's 00:00 UTC, Ollama Cloud's epoch-aligned 5 h
 *   session and Monday 00:00 UTC week);
 * - **rolling**: usage older than one period stops counting (GitHub's "per 86400s");
 * - **continuous**: a token bucket that drains at limit/period all the time (Groq's and Cerebras'
 *   "daily" buckets: one request's worth comes back every 86 400 / limit seconds).
 *
 * Amounts are requests (1 each), tokens, neurons or usage units. Pure: every call takes `nowMs`.
 */
import type { ResetRule } from '../../providers/provider-catalog-schema.js';
import { nextBoundaryMs, type QuotaPeriod } from '../../providers/quota-window.js';

interface RollingEntry {
  atMs: number;
  amount: number;
}

export class LimitCounter {
  /** fixed: the boundary that ends the counted window, and the usage inside it. */
  private boundaryMs = Number.NEGATIVE_INFINITY;
  private fixedUsed = 0;
  /** rolling: what was counted when, oldest first. */
  private entries: RollingEntry[] = [];
  private head = 0;
  private rollingSum = 0;
  /** continuous: the bucket's level at `levelAtMs`. */
  private level = 0;
  private levelAtMs = 0;

  constructor(
    readonly limit: number,
    readonly rule: ResetRule,
    readonly period: QuotaPeriod,
    /** Length of one period, ms (a month counts 30 days; a session its `period_s`). */
    readonly periodMs: number,
  ) {}

  /** Usage counted against the limit at `nowMs` (fractional for a continuous bucket). */
  used(nowMs: number): number {
    switch (this.rule.rule) {
      case 'fixed':
        return this.currentFixed(nowMs);
      case 'rolling':
        this.prune(nowMs);
        return this.rollingSum;
      case 'continuous':
        return Math.max(0, this.level - ((nowMs - this.levelAtMs) * this.limit) / this.periodMs);
    }
  }

  remaining(nowMs: number): number {
    return Math.max(0, this.limit - this.used(nowMs));
  }

  /**
   * How long until `amount` more fits, ms (0: it fits now). An amount larger than the whole limit
   * never fits; the answer is then the time until the window is entirely free again.
   */
  waitMs(amount: number, nowMs: number): number {
    const used = this.used(nowMs);
    if (used + amount <= this.limit) return 0;
    if (amount > this.limit) return Math.max(0, this.resetAtMs(nowMs) - nowMs);
    switch (this.rule.rule) {
      case 'fixed':
        return this.boundaryMs - nowMs;
      case 'rolling': {
        // The oldest entries leave first; wait for the one whose leaving makes room.
        let left = used;
        for (let i = this.head; i < this.entries.length; i++) {
          const entry = this.entries[i]!;
          left -= entry.amount;
          if (left + amount <= this.limit) return entry.atMs + this.periodMs - nowMs;
        }
        return this.periodMs;
      }
      case 'continuous':
        return ((used + amount - this.limit) * this.periodMs) / this.limit;
    }
  }

  /**
   * When the window is entirely free again, epoch ms: the next boundary (fixed), when the newest
   * counted use leaves (rolling), when the bucket has drained (continuous).
   */
  resetAtMs(nowMs: number): number {
    switch (this.rule.rule) {
      case 'fixed':
        this.currentFixed(nowMs);
        return this.boundaryMs;
      case 'rolling': {
        this.prune(nowMs);
        const newest = this.entries[this.entries.length - 1];
        return this.head < this.entries.length && newest ? newest.atMs + this.periodMs : nowMs;
      }
      case 'continuous':
        return nowMs + (this.used(nowMs) * this.periodMs) / this.limit;
    }
  }

  /** Count `amount` at `nowMs`. */
  add(amount: number, nowMs: number): void {
    if (amount <= 0) return;
    switch (this.rule.rule) {
      case 'fixed':
        this.fixedUsed = this.currentFixed(nowMs) + amount;
        return;
      case 'rolling': {
        this.prune(nowMs);
        const last = this.entries[this.entries.length - 1];
        if (last && last.atMs === nowMs && this.head < this.entries.length) last.amount += amount;
        else this.entries.push({ atMs: nowMs, amount });
        this.rollingSum += amount;
        return;
      }
      case 'continuous':
        this.level = this.used(nowMs) + amount;
        this.levelAtMs = nowMs;
        return;
    }
  }

  /** Pretend `used` was already spent at `nowMs` (admin: pre-spend a quota). */
  set(used: number, nowMs: number): void {
    this.reset();
    if (this.rule.rule === 'fixed') {
      this.currentFixed(nowMs);
      this.fixedUsed = used;
    } else this.add(used, nowMs);
  }

  reset(): void {
    this.boundaryMs = Number.NEGATIVE_INFINITY;
    this.fixedUsed = 0;
    this.entries = [];
    this.head = 0;
    this.rollingSum = 0;
    this.level = 0;
    this.levelAtMs = 0;
  }

  /** Usage of the fixed window holding `nowMs`; moving into a new window forgets the old one. */
  private currentFixed(nowMs: number): number {
    if (nowMs < this.boundaryMs) return this.fixedUsed;
    const rule = this.rule as Extract<ResetRule, { rule: 'fixed' }>;
    this.boundaryMs =
      nextBoundaryMs(nowMs, this.period, rule.time_zone, this.periodMs) ?? nowMs + this.periodMs;
    this.fixedUsed = 0;
    return 0;
  }

  private prune(nowMs: number): void {
    const cutoff = nowMs - this.periodMs;
    while (this.head < this.entries.length && this.entries[this.head]!.atMs <= cutoff) {
      this.rollingSum -= this.entries[this.head]!.amount;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    if (this.head >= this.entries.length) this.rollingSum = 0;
  }
}
