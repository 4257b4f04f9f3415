/**
 * Every chat request the simulator saw, with what it answered — so a test can assert exactly how
 * many upstream calls a gateway made, to which models, and what each got.
 */
import type { FaultKind } from './scenario-schema.js';

/** How a request was answered: `ok`, a limit or request error, or the fault that hit it. */
export type AttemptOutcome =
  | 'ok'
  | 'unauthorized'
  | 'invalid_request'
  | 'model_not_found'
  | 'account_minute_limit'
  | 'account_day_limit'
  | 'model_cap'
  | 'tools_unsupported'
  | 'context_length'
  | 'upstream_pool'
  | 'system_prompt_unsupported'
  | FaultKind;

export interface AttemptRecord {
  /** Ms since the simulator started (t = 0), by its clock. */
  timeMs: number;
  model: string;
  stream: boolean;
  outcome: AttemptOutcome;
  /** HTTP status sent; null when none was (connection reset, no response). */
  status: number | null;
  /** Id of the scripted fault that produced the outcome, if any. */
  faultId?: string;
}

/** Default cap on kept records; the oldest are dropped past it (benchmarks send millions). */
export const DEFAULT_MAX_ATTEMPTS = 200_000;

export class AttemptLog {
  private records: AttemptRecord[] = [];
  private droppedCount = 0;

  constructor(private readonly maxRecords = DEFAULT_MAX_ATTEMPTS) {}

  add(record: AttemptRecord): void {
    if (this.records.length >= this.maxRecords) {
      // Drop a tenth at once so the copy cost stays amortised.
      const drop = Math.max(1, Math.floor(this.maxRecords / 10));
      this.records.splice(0, drop);
      this.droppedCount += drop;
    }
    this.records.push(record);
  }

  /** Records in arrival order (a copy). */
  list(): AttemptRecord[] {
    return this.records.slice();
  }

  /** Records dropped because the log was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  get size(): number {
    return this.records.length;
  }

  clear(): void {
    this.records = [];
    this.droppedCount = 0;
  }
}
