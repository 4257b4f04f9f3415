/**
 * Where a gateway keeps its engine state between restarts: the engine's serialised form
 * (`EngineStateJson`), saved and loaded whole. The engine knows nothing of stores; a store knows
 * nothing of the engine beyond that JSON.
 */
import type { EngineStateJson } from '../engine/engine-state.js';

export type StoreKind = 'memory' | 'sqlite' | 'redis';

export interface StateStore {
  readonly kind: StoreKind;
  /** Where the state lives, for logs and status (secrets redacted): `memory`, a file path, a Redis URL. */
  readonly location: string;
  /** The last saved state, or undefined when there is none. Throws `StoreError` when it cannot be read. */
  load(): Promise<EngineStateJson | undefined>;
  /** Replace the saved state. Rejects with `StoreError` when it cannot be written. */
  save(state: EngineStateJson): Promise<void>;
  /** True while the store cannot do its job (Redis unreachable, SQLite writes failing): the gateway runs on local state. */
  degraded(): boolean;
  close(): Promise<void>;
}

/** A store that cannot be opened or used, with a one-line message that names it and says what to do. */
export class StoreError extends Error {
  override name = 'StoreError';
}

/** The minimal shape check of a saved state before the engine restores it. */
export function isEngineStateJson(value: unknown): value is EngineStateJson {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    v['version'] === 1 &&
    isObject(v['models']) &&
    isObject(v['accounts']) &&
    isObject(v['system']) &&
    typeof v['savedAtMs'] === 'number'
  );
}

function isObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
