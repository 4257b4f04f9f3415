/** The in-process store: state lives as long as the process (tests, embedded use, the simulated demo). */
import type { EngineStateJson } from '../engine/engine-state.js';
import type { StateStore } from './state-store.js';

export class MemoryStore implements StateStore {
  readonly kind = 'memory' as const;
  readonly location = 'memory';
  private state: EngineStateJson | undefined;

  async load(): Promise<EngineStateJson | undefined> {
    return this.state === undefined ? undefined : structuredClone(this.state);
  }

  async save(state: EngineStateJson): Promise<void> {
    this.state = structuredClone(state);
  }

  degraded(): boolean {
    return false;
  }

  async close(): Promise<void> {}
}
