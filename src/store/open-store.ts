/**
 * Open the store a URL names (see `parse-store-url.ts`): the state store, and for Redis the
 * coordinator that shares quota, probes and health facts between replicas.
 */
import type { Logger } from 'pino';
import { MemoryStore } from './memory-store.js';
import { parseStoreUrl } from './parse-store-url.js';
import type { RedisCoordinator } from './redis-coordinator.js';
import { SqliteStore } from './sqlite-store.js';
import type { StateStore } from './state-store.js';

export interface OpenStoreOptions {
  logger?: Logger | undefined;
  /** Redis: the stable name under which this replica keeps its own state; none = shared state only. */
  replicaId?: string | undefined;
  /** Redis: longest hold of a half-open probe slot, ms. */
  probeLockMs?: number | undefined;
  /** SQLite: how long to wait for another connection's lock, ms. */
  busyTimeoutMs?: number | undefined;
}

export interface OpenedStore {
  store: StateStore;
  /** Present for Redis: pass it to `createRotor` and `attach` it to the engine. */
  coordinator: RedisCoordinator | undefined;
}

/** Throws `StoreError` (one clear line) when the URL is invalid or the store cannot be opened. */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<OpenedStore> {
  const parsed = parseStoreUrl(url);
  switch (parsed.kind) {
    case 'memory':
      return { store: new MemoryStore(), coordinator: undefined };
    case 'sqlite':
      return {
        store: SqliteStore.open(parsed.path, {
          ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
          onNotice: (message) => options.logger?.warn({ store: 'sqlite' }, message),
        }),
        coordinator: undefined,
      };
    case 'redis': {
      const { kind: _kind, display, ...address } = parsed;
      // Loaded only when asked for: ioredis costs ~9 MB of memory in every gateway otherwise.
      const [{ RedisCoordinator }, { RedisStateStore }] = await Promise.all([
        import('./redis-coordinator.js'),
        import('./redis-store.js'),
      ]);
      const coordinator = await RedisCoordinator.connect({
        address,
        display,
        logger: options.logger,
        ...(options.probeLockMs === undefined ? {} : { probeLockMs: options.probeLockMs }),
      });
      return { store: new RedisStateStore(coordinator, options.replicaId), coordinator };
    }
  }
}
