/**
 * The engine state of one replica, kept in Redis next to the shared facts. Only a replica with a
 * stable name (`store.replicaId` / `ROTOR_REPLICA_ID`) keeps its own rolling stats across restarts;
 * what all replicas share — health facts and quota counts — lives in Redis either way and is
 * re-synced by the coordinator. While Redis is unreachable this store loads nothing and saves
 * nothing (the coordinator says so in the log and in metrics).
 */
import type { EngineStateJson } from '../engine/engine-state.js';
import type { RedisCoordinator } from './redis-coordinator.js';
import { isEngineStateJson, type StateStore, StoreError } from './state-store.js';

const STATE_TTL_MS = 7 * 86_400_000;

export class RedisStateStore implements StateStore {
  readonly kind = 'redis' as const;
  readonly location: string;
  private readonly key: string | undefined;

  constructor(
    private readonly coordinator: RedisCoordinator,
    replicaId: string | undefined,
  ) {
    this.location = coordinator.display;
    this.key = replicaId ? coordinator.key('state', replicaId) : undefined;
  }

  async load(): Promise<EngineStateJson | undefined> {
    if (!this.key || !this.coordinator.connected) return undefined;
    let text: string | null;
    try {
      text = await this.coordinator.client.get(this.key);
    } catch {
      return undefined; // unreachable: start on local state; the coordinator re-syncs shared facts later
    }
    if (text === null) return undefined;
    let state: unknown;
    try {
      state = JSON.parse(text);
    } catch {
      state = undefined;
    }
    if (!isEngineStateJson(state)) {
      throw new StoreError(
        `Redis store ${this.location}: the saved state at ${this.key} is unreadable; delete that key to start with fresh state.`,
      );
    }
    return state;
  }

  async save(state: EngineStateJson): Promise<void> {
    if (!this.key || !this.coordinator.connected) return;
    await this.coordinator.client.set(this.key, JSON.stringify(state), 'PX', STATE_TTL_MS);
  }

  degraded(): boolean {
    return this.coordinator.degraded();
  }

  async close(): Promise<void> {
    await this.coordinator.close();
  }
}
