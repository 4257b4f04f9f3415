/** Keeping a store in step with an engine: restore, debounced saves, periodic saves, the last save. */
import { describe, expect, it } from 'vitest';
import type { EngineStateJson } from '../engine/engine-state.js';
import { seededRandom } from '../engine/random.js';
import { RotationEngine } from '../engine/rotation-engine.js';
import { MemoryStore } from './memory-store.js';
import { persistEngine, restoreEngine } from './persist-engine.js';
import { StoreError } from './state-store.js';

const A = 'a/primary:free';
const B = 'b/second:free';
const newEngine = () => new RotationEngine({ rotationOrder: [A, B] }, { random: seededRandom(1) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class CountingStore extends MemoryStore {
  saves = 0;
  fail = false;
  override async save(state: EngineStateJson): Promise<void> {
    if (this.fail) throw new StoreError('disk full');
    this.saves++;
    await super.save(state);
  }
}

describe('persistEngine / restoreEngine', () => {
  it('a health change is saved shortly after it, once for a burst', async () => {
    const engine = newEngine();
    const store = new CountingStore();
    const p = persistEngine(engine, store, { debounceMs: 20, intervalMs: 60_000 });
    engine.coolDown(A, 60_000, 'rate_limited', 'x');
    engine.coolDown(B, 60_000, 'rate_limited', 'x');
    expect(store.saves).toBe(0);
    await sleep(80);
    expect(store.saves).toBe(1);
    expect((await store.load())?.models[A]?.health.cooldown?.untilMs).toBeGreaterThan(Date.now());
    await p.close();
  });

  it('changes without events are saved by the periodic tick; nothing new, nothing written', async () => {
    const engine = newEngine();
    const store = new CountingStore();
    const p = persistEngine(engine, store, { debounceMs: 10, intervalMs: 30 });
    engine.recordSuccess(A, { latencyMs: 100 });
    await sleep(100);
    const saves = store.saves;
    expect(saves).toBeGreaterThanOrEqual(1);
    await sleep(100);
    expect(store.saves).toBe(saves);
    await p.close();
  });

  it('close saves a last time, and a restored engine decides the same', async () => {
    const engine = newEngine();
    const store = new CountingStore();
    const p = persistEngine(engine, store, { debounceMs: 10_000, intervalMs: 60_000 });
    engine.coolDown(A, 60_000, 'rate_limited', 'x');
    await p.close();
    expect(store.saves).toBe(1);
    const restarted = newEngine();
    expect(await restoreEngine(restarted, store)).toBe(true);
    expect(restarted.unavailability(A)?.reason).toBe('cooling_down');
    expect(restarted.currentModel()).toBe(B);
  });

  it('a failing store is logged once per outage and never throws', async () => {
    const engine = newEngine();
    const store = new CountingStore();
    const warnings: string[] = [];
    const infos: string[] = [];
    const logger = {
      warn: (_: unknown, msg: string) => warnings.push(msg),
      info: (_: unknown, msg: string) => infos.push(msg),
    } as never;
    const p = persistEngine(engine, store, { debounceMs: 5, intervalMs: 60_000, logger });
    store.fail = true;
    engine.coolDown(A, 1000, 'manual', 'x');
    await p.flush();
    engine.coolDown(B, 1000, 'manual', 'x');
    await p.flush();
    expect(warnings).toHaveLength(1);
    store.fail = false;
    await p.flush();
    expect(infos).toHaveLength(1);
    expect(store.saves).toBe(1);
    await p.close();
  });

  it('restoring nothing leaves the engine as it was', async () => {
    const engine = newEngine();
    expect(await restoreEngine(engine, new MemoryStore())).toBe(false);
    expect(engine.currentModel()).toBe(A);
  });
});
