/**
 * `startProviderReconciler()`: keeps each pooled provider's pairs in step with that provider's
 * live model list — once at start, in the background (no request waits for it), then every
 * `intervalMs`, each provider under its own timeout and in parallel. Each run retires the pairs
 * whose model the list no longer names and restores those it names again (`reconcileProviderPairs`);
 * the engine emits `model_retired` / `model_restored` for the dashboard. A provider whose list
 * cannot be read keeps its pairs as they are, and its report says why. OpenRouter's own list is
 * the other reconciler's (`reconciler.ts`).
 */
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../engine/clock.js';
import type { RotationEngine } from '../engine/rotation-engine.js';
import type { JoinedProvider } from '../providers/discover-providers.js';
import type { ListedModel } from '../providers/provider-model-list.js';
import {
  NOT_LISTED_PREFIX,
  type ProviderPair,
  type ProviderPairChange,
  reconcileProviderPairs,
} from './reconcile-provider-pairs.js';
import { abortable, runPeriodically } from './reconciler.js';

/** One provider's latest check, as `/v1/rotor/status` shows it under `providers.joined[].reconcile`. */
export interface ProviderReconcileReport {
  provider: string;
  /** When the check finished, epoch ms. */
  atMs: number;
  ok: boolean;
  /** Why the list could not be used (only when `ok` is false). */
  error?: string;
  /** Where the list is read; null when the provider has none. */
  url: string | null;
  /** Models the list named; when `ok` is false, from the last good check (0 if none). */
  listed: number;
  /** The last good check, epoch ms, or null. */
  lastOkAtMs: number | null;
  /** What this check changed. */
  changes: ProviderPairChange[];
}

export type ListSource = Pick<JoinedProvider, 'id' | 'provider' | 'modelsUrl' | 'apiKey'>;

export interface ProviderReconcilerOptions {
  engine: RotationEngine;
  /** The joined providers (OpenRouter apart). */
  providers: readonly ListSource[];
  /** Reads one provider's whole list; should give up when `signal` aborts. */
  fetchList: (provider: ListSource, signal: AbortSignal) => Promise<readonly ListedModel[]>;
  /** Time between checks, ms; 0 = only the check at start. */
  intervalMs: number;
  /** Limit of one provider's fetch, ms. */
  timeoutMs: number;
  clock?: Clock;
  logger?: Logger;
  /** Runs `run` every `ms`, returns a cancel function. Default: an unref'd `setInterval`. */
  every?: (ms: number, run: () => void) => () => void;
}

export interface ProviderReconciler {
  /** The checks started at start (resolves, never rejects). */
  readonly first: Promise<ProviderReconcileReport[]>;
  /** Check every provider now (joins a check in progress). Never rejects. */
  reconcileNow(): Promise<ProviderReconcileReport[]>;
  /** A provider's latest finished check, or null before its first. */
  last(provider: string): ProviderReconcileReport | null;
  stop(): void;
}

export function startProviderReconciler(options: ProviderReconcilerOptions): ProviderReconciler {
  const { engine, logger } = options;
  const clock = options.clock ?? systemClock;
  const stopped = new AbortController();
  const latest = new Map<string, ProviderReconcileReport>();
  /** Per provider: pairs the list retired (this run's memory; a restart reads the retirement's reason). */
  const retiredByList = new Map<string, Set<string>>();

  const pairsOf = (provider: string): ProviderPair[] => {
    const retired = new Map(
      engine
        .metrics()
        .models.filter((m) => m.retired)
        .map((m) => [m.model, m.retired!.reason]),
    );
    const byList = retiredByList.get(provider);
    return engine
      .knownModels()
      .filter((id) => engine.profile(id).account === provider)
      .map((id) => {
        const reason = retired.get(id);
        const byTheList =
          byList?.has(id) === true ||
          (reason !== undefined && (reason.startsWith(NOT_LISTED_PREFIX) || reason.startsWith('listed by ')));
        return {
          id,
          upstreamId: engine.profile(id).upstreamId ?? id,
          ...(reason === undefined ? {} : { retired: byTheList ? ('list' as const) : ('traffic' as const) }),
        };
      });
  };

  const checkOne = async (source: ListSource): Promise<ProviderReconcileReport> => {
    const provider = source.id;
    const url = source.modelsUrl ?? null;
    const failed = (error: string): ProviderReconcileReport => {
      const before = latest.get(provider);
      const report: ProviderReconcileReport = {
        provider,
        atMs: clock.now(),
        ok: false,
        error,
        url,
        listed: before?.listed ?? 0,
        lastOkAtMs: before?.lastOkAtMs ?? null,
        changes: [],
      };
      latest.set(provider, report);
      if (!stopped.signal.aborted)
        logger?.warn(
          { provider, url, error },
          "cannot check a provider's model list; its pairs stay as they are",
        );
      return report;
    };
    if (url === null) return failed('no model list to check');
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = AbortSignal.any([stopped.signal, timeout]);
    let listed: readonly ListedModel[];
    try {
      listed = await abortable(options.fetchList(source, signal), signal);
    } catch (err) {
      return failed(
        timeout.aborted
          ? `no model list within ${options.timeoutMs} ms`
          : err instanceof Error
            ? err.message
            : String(err),
      );
    }
    if (stopped.signal.aborted) return failed('stopped');
    const atMs = clock.now();
    const result = reconcileProviderPairs({ provider, pairs: pairsOf(provider), listed, url, atMs });
    if (!result.ok) return failed(result.error);
    for (const profile of result.profiles) engine.upsertProfile(profile);
    for (const { id, reason } of result.restored) engine.restore(id, reason);
    for (const { id, reason } of result.retired) engine.retire(id, reason);
    retiredByList.set(provider, new Set(result.retiredByList));
    const report: ProviderReconcileReport = {
      provider,
      atMs,
      ok: true,
      url,
      listed: listed.length,
      lastOkAtMs: atMs,
      changes: result.changes,
    };
    latest.set(provider, report);
    logger?.info(
      {
        provider,
        url,
        listed: listed.length,
        retired: result.retired.map((r) => r.id),
        restored: result.restored.map((r) => r.id),
      },
      result.changes.length > 0
        ? "provider's pairs reconciled with its live model list"
        : "provider's pairs match its live model list",
    );
    return report;
  };

  const periodic = runPeriodically(
    (): Promise<ProviderReconcileReport[]> =>
      Promise.all(
        options.providers.map((p) =>
          checkOne(p).catch((err: unknown) => {
            const report: ProviderReconcileReport = {
              provider: p.id,
              atMs: clock.now(),
              ok: false,
              error: err instanceof Error ? err.message : String(err),
              url: p.modelsUrl ?? null,
              listed: latest.get(p.id)?.listed ?? 0,
              lastOkAtMs: latest.get(p.id)?.lastOkAtMs ?? null,
              changes: [],
            };
            latest.set(p.id, report);
            return report;
          }),
        ),
      ),
    options.intervalMs,
    options.every,
  );
  return {
    first: periodic.first,
    reconcileNow: periodic.runNow,
    last: (provider) => latest.get(provider) ?? null,
    stop() {
      periodic.cancel();
      stopped.abort(new Error('reconciler stopped'));
    },
  };
}
