/**
 * `startQuotaPoller()`: reads the account's free-model daily quota from the upstream (`GET /key` →
 * `free_model_daily_requests {limit, remaining, used}`) at start, in the background (no request
 * ever waits for it), then every `intervalMs`, and hands it to the engine (`setAccountQuota`):
 * the engine learns the daily limit and, once it is spent, answers `:free` traffic at once with
 * 429 and `Retry-After` to 00:00 UTC instead of collecting 429s upstream.
 */
import type { Logger } from 'pino';
import type { RotationEngine } from '../engine/rotation-engine.js';

/** One poll, as shown on `/v1/rotor/status` under `keyQuota`. */
export interface QuotaReport {
  /** When the poll finished, epoch ms. */
  atMs: number;
  ok: boolean;
  /** Why the quota could not be read (only when `ok` is false). */
  error?: string;
  /** The upstream's free-model daily counter; nulls when it does not report one. */
  limit: number | null;
  remaining: number | null;
  used: number | null;
}

export interface QuotaPollerOptions {
  engine: RotationEngine;
  /** The quota account the key belongs to (the upstream's id). */
  account: string;
  /** `GET /key`'s `data` object; should give up when `signal` aborts. */
  fetchKeyInfo: (signal: AbortSignal) => Promise<Record<string, unknown>>;
  /** Time between polls after the one at start, ms; 0 = only at start. */
  intervalMs: number;
  /** Limit of one poll, ms. */
  timeoutMs: number;
  logger?: Logger | undefined;
}

export interface QuotaPoller {
  /** The poll started at start (resolves, never rejects). */
  readonly first: Promise<QuotaReport>;
  /** Poll now (joins a poll in progress). Never rejects. */
  pollNow(): Promise<QuotaReport>;
  /** The latest finished poll, or null before the first finishes. */
  last(): QuotaReport | null;
  /** Stop the timer and abort a poll in progress. */
  stop(): void;
}

export function startQuotaPoller(options: QuotaPollerOptions): QuotaPoller {
  const { engine, account, logger } = options;
  const stopped = new AbortController();
  let latest: QuotaReport | null = null;
  let running: Promise<QuotaReport> | undefined;
  let failing = false;
  let spentSaid = false;

  const runOnce = async (): Promise<QuotaReport> => {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = AbortSignal.any([stopped.signal, timeout]);
    const atMs = () => engine.clock.now();
    let data: Record<string, unknown>;
    try {
      data = await options.fetchKeyInfo(signal);
    } catch (err) {
      const error = timeout.aborted
        ? `no key info within ${options.timeoutMs} ms`
        : err instanceof Error
          ? err.message
          : String(err);
      if (!failing && !stopped.signal.aborted)
        logger?.warn({ error }, 'quota: cannot read the key info (GET /key)');
      failing = true;
      return { atMs: atMs(), ok: false, error, limit: null, remaining: null, used: null };
    }
    if (failing) logger?.info('quota: key info readable again');
    failing = false;
    const quota = freeModelDailyRequests(data);
    if (!quota || stopped.signal.aborted)
      return { atMs: atMs(), ok: true, limit: null, remaining: null, used: null };
    engine.setAccountQuota(account, quota);
    if (quota.remaining === 0 && !spentSaid) {
      logger?.warn(
        { account, ...quota },
        'quota: the daily free-model quota is spent; :free requests are answered 429 until 00:00 UTC',
      );
    }
    spentSaid = quota.remaining === 0;
    return { atMs: atMs(), ok: true, ...quota };
  };

  const pollNow = (): Promise<QuotaReport> => {
    running ??= runOnce()
      .then((report) => {
        latest = report;
        return report;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const first = pollNow();
  let timer: NodeJS.Timeout | undefined;
  if (options.intervalMs > 0) {
    timer = setInterval(() => void pollNow(), options.intervalMs);
    timer.unref();
  }
  return {
    first,
    pollNow,
    last: () => latest,
    stop() {
      if (timer) clearInterval(timer);
      stopped.abort();
    },
  };
}

/** `free_model_daily_requests` of a `GET /key` data object, if present and well-formed. */
export function freeModelDailyRequests(
  data: Record<string, unknown>,
): { limit: number | null; remaining: number | null; used: number | null } | undefined {
  const q = data['free_model_daily_requests'];
  if (q === null || typeof q !== 'object') return undefined;
  const r = q as Record<string, unknown>;
  const num = (v: unknown): number | null =>
    typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
  const quota = { limit: num(r['limit']), remaining: num(r['remaining']), used: num(r['used']) };
  return quota.limit === null && quota.remaining === null && quota.used === null ? undefined : quota;
}
