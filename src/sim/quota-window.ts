/**
 * Fixed quota windows as OpenRouter counts them: per minute aligned to the wall-clock minute,
 * per day aligned to 00:00 UTC. Pure: the caller passes the time in.
 */

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

export type WindowUnit = 'minute' | 'day';

const UNIT_MS: Record<WindowUnit, number> = { minute: MINUTE_MS, day: DAY_MS };

/** Epoch ms at which the window containing `nowMs` ends (next minute boundary / next 00:00 UTC). */
export function windowEndMs(unit: WindowUnit, nowMs: number): number {
  const size = UNIT_MS[unit];
  return (Math.floor(nowMs / size) + 1) * size;
}

/** Counts events in the current fixed window; the count drops to 0 when a new window starts. */
export class WindowCounter {
  private windowIndex = -1;
  private count = 0;

  constructor(readonly unit: WindowUnit) {}

  /** Events counted in the window containing `nowMs`. */
  used(nowMs: number): number {
    return Math.floor(nowMs / UNIT_MS[this.unit]) === this.windowIndex ? this.count : 0;
  }

  /** Count one event at `nowMs`. */
  add(nowMs: number): void {
    const index = Math.floor(nowMs / UNIT_MS[this.unit]);
    if (index !== this.windowIndex) {
      this.windowIndex = index;
      this.count = 0;
    }
    this.count++;
  }

  /** Set the count of the window containing `nowMs` (admin: pre-spend a quota). */
  set(nowMs: number, count: number): void {
    this.windowIndex = Math.floor(nowMs / UNIT_MS[this.unit]);
    this.count = count;
  }

  reset(): void {
    this.windowIndex = -1;
    this.count = 0;
  }
}

/** A limit that is full at `nowMs`, with when it frees up. */
export interface WindowRefusal {
  unit: WindowUnit;
  limit: number;
  resetMs: number;
}

/**
 * Admit one event against every `[counter, limit]` pair: if all have room, counts it in each and
 * returns undefined; otherwise returns the first full one without counting anything (a refused
 * request does not use up quota).
 */
export function admit(
  limits: ReadonlyArray<readonly [WindowCounter, number]>,
  nowMs: number,
): WindowRefusal | undefined {
  for (const [counter, limit] of limits) {
    if (counter.used(nowMs) >= limit)
      return { unit: counter.unit, limit, resetMs: windowEndMs(counter.unit, nowMs) };
  }
  for (const [counter] of limits) counter.add(nowMs);
  return undefined;
}
