/**
 * Time, injected. Every decision in rotor reads time through a `Clock`, so tests and
 * virtual-time benchmarks run exactly and instantly with a `ManualClock`.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** The real clock: `Date.now()` and timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

interface Sleeper {
  dueMs: number;
  seq: number;
  resolve: () => void;
}

/**
 * A clock that only moves when told to. `advance()` wakes sleepers in due order and lets
 * their continuations run before moving on, so chains of sleeps behave as in real time.
 */
export class ManualClock implements Clock {
  private nowMs: number;
  private sleepers: Sleeper[] = [];
  private seq = 0;

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  /** Number of pending sleeps (useful to assert that nothing waits). */
  get pendingSleeps(): number {
    return this.sleepers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const sleeper: Sleeper = {
        dueMs: this.nowMs + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** Move time forward by `ms`, waking every sleeper due on the way, in order. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.nowMs + ms);
  }

  /** Move time forward to `targetMs` (never backwards). */
  async advanceTo(targetMs: number): Promise<void> {
    await flushMacrotasks();
    for (;;) {
      const next = this.nextDue();
      if (!next || next.dueMs > targetMs) break;
      this.sleepers = this.sleepers.filter((s) => s !== next);
      this.nowMs = Math.max(this.nowMs, next.dueMs);
      next.resolve();
      await flushMacrotasks();
    }
    this.nowMs = Math.max(this.nowMs, targetMs);
    await flushMacrotasks();
  }

  /** Advance to the next pending sleeper, if any; returns whether one was woken. */
  async runNext(): Promise<boolean> {
    await flushMacrotasks();
    const next = this.nextDue();
    if (!next) return false;
    await this.advanceTo(next.dueMs);
    return true;
  }

  private nextDue(): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of this.sleepers) {
      if (!best || s.dueMs < best.dueMs || (s.dueMs === best.dueMs && s.seq < best.seq)) best = s;
    }
    return best;
  }
}

function flushMacrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Call `fire` after `ms` unless cancelled first; returns the cancel function. On the system clock a
 * bare timer (no promise, no abort signal: this runs once per request on the hot path); on any
 * other clock, its `sleep`, so virtual time drives it like everything else.
 */
export function startTimer(clock: Clock, ms: number, fire: () => void): () => void {
  if (clock === systemClock) {
    const timer = setTimeout(fire, Math.max(0, ms));
    return () => clearTimeout(timer);
  }
  const controller = new AbortController();
  clock.sleep(ms, controller.signal).then(fire, () => {});
  return () => controller.abort();
}
