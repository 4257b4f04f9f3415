/**
 * Every chat request the simulator saw, with what it answered — so a test can assert exactly how
 * many upstream calls a gateway made, to which models, and what each got.
 */
import type { QuotaWindow } from '../providers/quota-window.js';
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
  /** Providers: a spent quota window (`window` says which). */
  | 'rate_limit'
  /** Providers: one request larger than a whole budget (Groq's TPM 413, GitHub's per-request cap). */
  | 'request_too_large'
  /** Providers: a parameter the provider rejects (Mistral's 422, Gemini's "Unknown name"). */
  | 'bad_param'
  /** Providers: a request shape the provider cannot serve (NVIDIA's auto tool choice, Mistral's tool-call ids). */
  | 'unsupported'
  /** Providers: a listed model without free quota (Gemini's "limit: 0"). */
  | 'no_free_quota'
  /** Providers: a path the provider does not route (Cloudflare's wrong account id). */
  | 'config'
  /** Virtual time: the client's own timeout fired before the answer came. */
  | 'timeout'
  /** Virtual time: the client gave up (aborted) while waiting. */
  | 'cancelled'
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
  /** The simulated provider that answered; absent for OpenRouter. */
  provider?: string;
  /** For `rate_limit`: the spent window. */
  window?: QuotaWindow;
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
