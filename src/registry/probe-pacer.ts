/**
 * Pacing for `rotor probe`: never more than `limit` request starts in any rolling window. The
 * free tier allows 20 requests per minute per account, counted in aligned minutes; a rolling
 * window is stricter (every aligned minute is one of its windows), so pacing by it can never trip
 * the account's per-minute limit. Time comes from the injected `Clock`.
 */
import type { Clock } from '../engine/clock.js';

export interface PacerOptions {
  /** Most request starts in any window. Default 20 (OpenRouter's free-model limit per minute). */
  limit?: number;
  /** Length of the rolling window, ms. Default 60 000. */
  windowMs?: number;
  /**
   * Added to the window so network jitter cannot make two starts 60 s apart here arrive less than
   * 60 s apart upstream, ms. Default 1 000.
   */
  slackMs?: number;
}

export class RequestPacer {
  readonly limit: number;
  /** Window plus slack, ms. */
  readonly spanMs: number;
  /** Start times of recent requests, oldest first, epoch ms. */
  private starts: number[] = [];

  constructor(
    private readonly clock: Clock,
    options: PacerOptions = {},
  ) {
    this.limit = options.limit ?? 20;
    if (!Number.isInteger(this.limit) || this.limit < 1)
      throw new RangeError('limit must be a positive integer');
    this.spanMs = (options.windowMs ?? 60_000) + (options.slackMs ?? 1_000);
  }

  /** How long the next request has to wait, ms (0: it may start now). */
  delayMs(nowMs: number = this.clock.now()): number {
    this.prune(nowMs);
    if (this.starts.length < this.limit) return 0;
    return this.starts[this.starts.length - this.limit]! + this.spanMs - nowMs;
  }

  /**
   * Waits until a request may start, then records its start. `onWait` is told when a wait begins
   * (with the time it ends). Rejects with the signal's reason when aborted; nothing is recorded then.
   */
  async acquire(signal?: AbortSignal, onWait?: (untilMs: number) => void): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const now = this.clock.now();
      const wait = this.delayMs(now);
      if (wait <= 0) {
        this.starts.push(now);
        return;
      }
      onWait?.(now + wait);
      await this.clock.sleep(wait, signal);
    }
  }

  /**
   * How long `count` more requests would take from now, ms, if each takes `durationMs` and they
   * run one after another, each starting as soon as the window allows. For progress ETAs.
   */
  estimateMs(count: number, durationMs: number, nowMs: number = this.clock.now()): number {
    this.prune(nowMs);
    const starts = [...this.starts];
    let t = nowMs;
    for (let i = 0; i < count; i++) {
      if (starts.length >= this.limit) t = Math.max(t, starts[starts.length - this.limit]! + this.spanMs);
      starts.push(t);
      t += Math.max(0, durationMs);
    }
    return t - nowMs;
  }

  private prune(nowMs: number): void {
    let drop = 0;
    while (drop < this.starts.length && this.starts[drop]! + this.spanMs <= nowMs) drop++;
    if (drop > 0) this.starts.splice(0, drop);
  }
}
