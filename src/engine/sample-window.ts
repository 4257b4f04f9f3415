/**
 * A fixed-size ring of the most recent samples, serialisable as a plain array. Percentiles are
 * computed on demand (snapshots are rare, samples are frequent).
 */
export class SampleWindow {
  private values: number[];
  private next: number;
  private addedTotal = 0;

  constructor(
    readonly capacity: number,
    initial: readonly number[] = [],
  ) {
    this.values = initial.slice(-capacity);
    this.next = this.values.length % capacity;
  }

  add(value: number): void {
    this.addedTotal++;
    if (this.values.length < this.capacity) this.values.push(value);
    else this.values[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Samples added since this window was made (runtime only): tells a cache that the window moved. */
  get added(): number {
    return this.addedTotal;
  }

  get size(): number {
    return this.values.length;
  }

  /** Samples oldest first. */
  toArray(): number[] {
    if (this.values.length < this.capacity) return this.values.slice();
    return [...this.values.slice(this.next), ...this.values.slice(0, this.next)];
  }

  /** Nearest-rank percentile, `p` in [0, 100]; undefined when empty. */
  percentile(p: number): number | undefined {
    if (this.values.length === 0) return undefined;
    const sorted = this.values.slice().sort((a, b) => a - b);
    const rank = Math.ceil((p / 100) * sorted.length);
    return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
  }

  mean(): number | undefined {
    if (this.values.length === 0) return undefined;
    let sum = 0;
    for (const v of this.values) sum += v;
    return sum / this.values.length;
  }
}
