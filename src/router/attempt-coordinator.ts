/** Admission across gateway replicas: the contract a shared store (Redis) implements for the request loop. */

/** The attempt about to be sent, as a coordinator sees it. */
export interface AdmissionRequest {
  model: string;
  account: string;
  /** A half-open recovery probe. */
  isProbe: boolean;
  /** Counts against the account's free-model quota. */
  free: boolean;
}

export type AdmissionVerdict =
  | { ok: true }
  | {
      ok: false;
      /** The account's shared quota is spent (`scope` says which window, `untilMs` when it resets). */
      reason: 'account_quota';
      scope: 'account_minute' | 'account_day';
      untilMs: number;
    }
  | {
      ok: false;
      /** Another replica holds this model's half-open probe; `untilMs` bounds the hold, if known. */
      reason: 'probe_taken';
      untilMs?: number;
    };

/**
 * Decides, across gateway replicas, whether an attempt the local engine admitted may go out: the
 * account's per-minute and per-day counts are shared, and a half-open probe is admitted once in
 * total. Called after `engine.acquire` and before the upstream call; must answer quickly and never
 * reject (when the shared store is unreachable it answers `ok`: local pacing still applies).
 */
export interface AttemptCoordinator {
  admit(request: AdmissionRequest): Promise<AdmissionVerdict>;
}
