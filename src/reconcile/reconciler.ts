/**
 * `startReconciler()`: keeps the engine's rotation in step with the live model list — once at
 * start, in the background (no request ever waits for it), then every `intervalMs`. Each run
 * fetches the list under its own timeout, computes the changes with `reconcileRotation()`, applies
 * them to the engine (which emits `model_retired` / `model_restored` / `order_changed` for the
 * dashboard) and logs them. When the list cannot be fetched the rotation stays as it is and the
 * report says why.
 */
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../engine/clock.js';
import type { EngineEvent } from '../engine/engine-events.js';
import type { RotationEngine } from '../engine/rotation-engine.js';
import type { ApiModel } from '../registry/openrouter-model.js';
import type { RegistryModel } from '../registry/registry-schema.js';
import { type ReconcileChange, type RetiredBy, reconcileRotation } from './reconcile-rotation.js';

/** One run, as shown on `/v1/rotor/status` under `reconcile`. */
export interface ReconcileReport {
  /** When the run finished, epoch ms. */
  atMs: number;
  ok: boolean;
  /** Why the list could not be used (only when `ok` is false). */
  error?: string;
  baseUrl: string;
  pinned: boolean;
  /** Free chat models in the list; when `ok` is false, from the last successful run (0 if none). */
  liveFree: number;
  /** The last successful run, epoch ms (this one when `ok`), or null. */
  lastOkAtMs: number | null;
  /** What this run changed; empty when nothing changed or the run failed. */
  changes: ReconcileChange[];
}

export interface ReconcilerOptions {
  /** The engine whose rotation is reconciled (`rotor.engine`). */
  engine: RotationEngine;
  /** Fetches the whole live model list; should give up when `signal` aborts. */
  fetchModels: (signal: AbortSignal) => Promise<readonly ApiModel[]>;
  /** Where the list comes from, for reasons and logs. */
  baseUrl: string;
  /** The registry's models, to rank known models. */
  registry: readonly RegistryModel[];
  /** The operator pinned the order: retire what is gone, add nothing. */
  pinned: boolean;
  /** Time between runs, ms; 0 = only the run at start. */
  intervalMs: number;
  /** Limit of one fetch, ms. */
  timeoutMs: number;
  clock?: Clock;
  logger?: Logger;
  /**
   * Which rotation entries this list speaks for (pooled providers: OpenRouter's bare ids, not
   * `<provider>:<id>` pairs). The others keep their places; the reconciled entries take the slot
   * of the first one. Default: every entry.
   */
  owns?: (model: string) => boolean;
  /** Runs `run` every `ms`, returns a cancel function. Default: an unref'd `setInterval`. */
  every?: (ms: number, run: () => void) => () => void;
}

export interface Reconciler {
  /** The run started at start (resolves, never rejects). */
  readonly first: Promise<ReconcileReport>;
  /** Run now (joins a run in progress). Never rejects: a failure is a report with `ok: false`. */
  reconcileNow(): Promise<ReconcileReport>;
  /** The latest finished run, or null before the first finishes. */
  last(): ReconcileReport | null;
  /** Stop the timer and abort a fetch in progress. */
  stop(): void;
}

export const realInterval = (ms: number, run: () => void): (() => void) => {
  const timer = setInterval(run, ms);
  timer.unref();
  return () => clearInterval(timer);
};

/**
 * Start `run` now and then every `intervalMs` (0: only now), never two at a time: a call while one
 * is running joins it. `run` must not reject. The timer is `every` (default: an unref'd
 * `setInterval`); `cancel` stops it.
 */
export function runPeriodically<T>(
  run: () => Promise<T>,
  intervalMs: number,
  every: (ms: number, run: () => void) => () => void = realInterval,
): { first: Promise<T>; runNow: () => Promise<T>; cancel: () => void } {
  let running: Promise<T> | undefined;
  const runNow = (): Promise<T> => {
    running ??= run().finally(() => {
      running = undefined;
    });
    return running;
  };
  const first = runNow();
  const cancel = intervalMs > 0 ? every(intervalMs, () => void runNow()) : () => {};
  return { first, runNow, cancel };
}

export function startReconciler(options: ReconcilerOptions): Reconciler {
  const { engine, baseUrl, pinned } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger;
  const stopped = new AbortController();
  // Models the list retired (or the registry said were retired): the list brings them back.
  const retiredByList = new Set(options.registry.filter((m) => m.status === 'retired').map((m) => m.id));
  let latest: ReconcileReport | null = null;

  // Every change to the rotation is logged once, whoever made it (this reconciler, or a 404 in traffic).
  const unsubscribe = engine.subscribe((event: EngineEvent) => {
    if (!logger) return;
    if (event.type === 'model_retired' || event.type === 'model_restored') {
      logger.info({ event: event.type, model: event.model, reason: event.reason }, `rotation: ${event.type}`);
    } else if (event.type === 'order_changed') {
      logger.info(
        { event: event.type, added: event.added, removed: event.removed, reason: event.reason },
        'rotation: order changed',
      );
    }
  });

  const runOnce = async (): Promise<ReconcileReport> => {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = AbortSignal.any([stopped.signal, timeout]);
    let listed: readonly ApiModel[];
    try {
      listed = await abortable(options.fetchModels(signal), signal);
    } catch (err) {
      const reason = timeout.aborted
        ? `no model list within ${options.timeoutMs} ms`
        : err instanceof Error
          ? err.message
          : String(err);
      return failed(reason);
    }
    if (stopped.signal.aborted) return failed('stopped');

    const owns = options.owns ?? (() => true);
    const retired = new Map<string, RetiredBy>();
    for (const m of engine.metrics().models) {
      if (m.retired && owns(m.model)) retired.set(m.model, retiredByList.has(m.model) ? 'list' : 'traffic');
    }
    const atMs = clock.now();
    const result = reconcileRotation({
      current: engine.rotationOrder.filter(owns),
      pinned,
      listed,
      registry: options.registry,
      retired,
      baseUrl,
      atMs,
    });
    if (result.liveFree === 0) {
      // An empty list is far more likely an upstream glitch than every free model gone at once.
      return failed(`the model list from ${baseUrl} has no free chat models; keeping the rotation`);
    }

    for (const profile of result.profiles) engine.upsertProfile(profile);
    for (const { id, reason } of result.restored) engine.restore(id, reason);
    // The order first, then retirements: retiring dead entries one by one while they are still in
    // the order would record a rotation through each of them.
    const orderChange = result.changes.find((c) => c.type === 'order');
    if (result.orderChanged)
      engine.setRotationOrder(mergeOwned(engine.rotationOrder, result.order, owns), orderChange?.reason);
    for (const { id, reason } of result.retired) engine.retire(id, reason);
    retiredByList.clear();
    for (const id of result.retiredByList) retiredByList.add(id);

    const report: ReconcileReport = {
      atMs,
      ok: true,
      baseUrl,
      pinned,
      liveFree: result.liveFree,
      lastOkAtMs: atMs,
      changes: result.changes,
    };
    latest = report;
    logger?.info(
      {
        baseUrl,
        liveFree: result.liveFree,
        retired: result.retired.length,
        restored: result.restored.length,
        added: result.added.length,
        primary: engine.rotationOrder[0] ?? null,
      },
      result.changes.length > 0
        ? 'rotation reconciled with the live model list'
        : 'rotation matches the live model list',
    );
    return report;
  };

  const failed = (error: string): ReconcileReport => {
    const report: ReconcileReport = {
      atMs: clock.now(),
      ok: false,
      error,
      baseUrl,
      pinned,
      liveFree: latest?.liveFree ?? 0,
      lastOkAtMs: latest?.lastOkAtMs ?? null,
      changes: [],
    };
    latest = report;
    if (!stopped.signal.aborted)
      logger?.warn(
        { baseUrl, error },
        'cannot reconcile the rotation with the live model list; serving as is',
      );
    return report;
  };

  const periodic = runPeriodically(
    () => runOnce().catch((err: unknown) => failed(err instanceof Error ? err.message : String(err))),
    options.intervalMs,
    options.every,
  );

  return {
    first: periodic.first,
    reconcileNow: periodic.runNow,
    last: () => latest,
    stop() {
      periodic.cancel();
      unsubscribe();
      stopped.abort(new Error('reconciler stopped'));
    },
  };
}

/** Settles with `promise`, or rejects as soon as `signal` aborts (for fetchers that ignore it). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** `order` in place of the entries of `rotation` that `owns` claims (at the first one's slot; at the end if none). */
function mergeOwned(
  rotation: readonly string[],
  order: readonly string[],
  owns: (model: string) => boolean,
): string[] {
  const out: string[] = [];
  let placed = false;
  for (const id of rotation) {
    if (!owns(id)) out.push(id);
    else if (!placed) {
      out.push(...order);
      placed = true;
    }
  }
  if (!placed) out.push(...order);
  return out;
}
