/**
 * Keeps a store in step with an engine: restore at start, then save shortly after every health
 * change (an engine event), every few seconds for what changes without events (rolling stats,
 * quota counts), and once more on close. Saves that would write what is already saved are
 * skipped. A failing save is logged once per transition and never stops the gateway.
 */
import type { Logger } from 'pino';
import type { EngineStateJson } from '../engine/engine-state.js';
import type { RotationEngine } from '../engine/rotation-engine.js';
import { type StateStore, StoreError } from './state-store.js';

export interface PersistOptions {
  /** Delay from a health change to its save, ms (changes inside it share one save). Default 250. */
  debounceMs?: number;
  /** Save at least this often when anything changed, ms. Default 5000. */
  intervalMs?: number;
  logger?: Logger;
}

export interface EnginePersistence {
  /** Save now (skipped when nothing changed since the last save). Never rejects. */
  flush(): Promise<void>;
  /** Stop saving on changes and timers, then save a last time. */
  close(): Promise<void>;
  /** When the last save went through, epoch ms (engine clock), or null. */
  lastSavedAtMs(): number | null;
}

/** Load the store's state into the engine. Returns whether there was one. Throws `StoreError`. */
export async function restoreEngine(engine: RotationEngine, store: StateStore): Promise<boolean> {
  const state = await store.load();
  if (!state) return false;
  try {
    engine.restoreState(state);
  } catch (err) {
    throw new StoreError(
      `${store.kind} store ${store.location}: the saved state cannot be restored (${(err as Error).message}); remove it to start with fresh state.`,
    );
  }
  return true;
}

export function persistEngine(
  engine: RotationEngine,
  store: StateStore,
  options: PersistOptions = {},
): EnginePersistence {
  const debounceMs = options.debounceMs ?? 250;
  const logger = options.logger;
  let lastText: string | undefined;
  let lastSavedAtMs: number | null = null;
  let failing = false;
  let closed = false;
  let soon: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let serialising = false;

  const saveOnce = async (): Promise<void> => {
    serialising = true;
    let state: EngineStateJson;
    try {
      state = engine.toJSON(); // may apply due transitions, whose events must not schedule another save
    } finally {
      serialising = false;
    }
    const text = JSON.stringify({ ...state, savedAtMs: 0 });
    if (text === lastText) return;
    try {
      await store.save(state);
      lastText = text;
      lastSavedAtMs = state.savedAtMs;
      if (failing) logger?.info({ store: store.kind, location: store.location }, 'state store: saving again');
      failing = false;
    } catch (err) {
      if (!failing) {
        logger?.warn(
          { store: store.kind, location: store.location, err: (err as Error).message },
          'state store: cannot save engine state; serving on local state',
        );
      }
      failing = true;
    }
  };

  // One save at a time; a request during a save runs once more after it.
  const flush = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await saveOnce();
      } while (again);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const unsubscribe = engine.subscribe(() => {
    if (closed || serialising || soon) return;
    soon = setTimeout(() => {
      soon = undefined;
      void flush();
    }, debounceMs);
    soon.unref();
  });
  const tick = setInterval(() => void flush(), options.intervalMs ?? 5000);
  tick.unref();

  return {
    flush,
    lastSavedAtMs: () => lastSavedAtMs,
    async close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(tick);
      if (soon) clearTimeout(soon);
      soon = undefined;
      await flush();
    },
  };
}
