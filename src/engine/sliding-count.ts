/**
 * A count of events over a sliding window of whole seconds: one bucket per second, buckets older
 * than the window expire as time moves on. Time comes in through `nowMs`, so budgets built on it
 * run in virtual time.
 */
export class SlidingCount {
  private readonly counts: number[];
  /** Sum of the buckets, kept as they change (read on every request). */
  private sum = 0;
  /** The second (epoch s) the newest bucket stands for. */
  private second = Number.NEGATIVE_INFINITY;

  constructor(
    /** Window length, ms; rounded to whole seconds, at least one. */
    windowMs: number,
    private readonly nowMs: () => number,
  ) {
    this.counts = new Array<number>(Math.max(1, Math.round(windowMs / 1000))).fill(0);
  }

  /** Number of one-second buckets in the window. */
  get seconds(): number {
    return this.counts.length;
  }

  add(n = 1): void {
    this.counts[this.roll()]! += n;
    this.sum += n;
  }

  /** Events in the window, now. */
  total(): number {
    this.roll();
    return this.sum;
  }

  /** Expire buckets older than the window; returns the index of the current second's bucket. */
  private roll(): number {
    const second = Math.floor(this.nowMs() / 1000);
    const size = this.counts.length;
    if (this.second === Number.NEGATIVE_INFINITY) this.second = second;
    else if (second > this.second) {
      const steps = Math.min(size, second - this.second);
      for (let s = 1; s <= steps; s++) {
        const i = mod(this.second + s, size);
        this.sum -= this.counts[i]!;
        this.counts[i] = 0;
      }
      this.second = second;
    }
    return mod(this.second, size);
  }
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
