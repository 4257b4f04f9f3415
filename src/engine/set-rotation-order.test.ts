/** `setRotationOrder`: replacing the order is an event with its reason, not a recovery. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import type { EngineEvent } from './engine-events.js';
import { seededRandom } from './random.js';
import { RotationEngine } from './rotation-engine.js';

const A = 'a/primary:free';
const B = 'b/second:free';
const C = 'c/third:free';
const NOW = Date.UTC(2026, 7, 14, 12);

function setup() {
  const engine = new RotationEngine(
    { rotationOrder: [A, B], quota: { freeRequestsPerMinute: 0 } },
    { clock: new ManualClock(NOW), random: seededRandom(1) },
  );
  const events: EngineEvent[] = [];
  engine.subscribe((e) => events.push(e));
  return { engine, events };
}

describe('setRotationOrder', () => {
  it('emits order_changed with the reason and the models added and removed', () => {
    const { engine, events } = setup();
    engine.setRotationOrder([C, B], 'reconciled with the live list');
    expect(engine.rotationOrder).toEqual([C, B]);
    expect(events.find((e) => e.type === 'order_changed')).toMatchObject({
      type: 'order_changed',
      atMs: NOW,
      reason: 'reconciled with the live list',
      added: [C],
      removed: [A],
    });
  });

  it('a new primary is a rotation for "order changed", not a reset to primary', () => {
    const { engine, events } = setup();
    engine.setRotationOrder([C, B]);
    expect(engine.currentModel()).toBe(C);
    expect(events.find((e) => e.type === 'rotation')).toMatchObject({
      from: A,
      to: C,
      reason: 'order changed',
    });
    expect(events.some((e) => e.type === 'reset_to_primary')).toBe(false);
    expect(engine.metrics().system.resetsToPrimary).toBe(0);
    expect((events.find((e) => e.type === 'order_changed') as { reason: string }).reason).toBe(
      'rotation order replaced',
    );
  });

  it('the same order again emits nothing; a pure reordering is still a change', () => {
    const { engine, events } = setup();
    engine.setRotationOrder([A, B], 'no-op');
    expect(events).toEqual([]);
    engine.setRotationOrder([B, A], 'swap');
    expect(events.find((e) => e.type === 'order_changed')).toMatchObject({
      added: [],
      removed: [],
      reason: 'swap',
    });
  });

  it('a later recovery of the primary is again a reset to primary', () => {
    const { engine, events } = setup();
    engine.setRotationOrder([C, A]);
    engine.retire(C, 'gone');
    engine.restore(C, 'back');
    expect(events.filter((e) => e.type === 'reset_to_primary')).toHaveLength(1);
  });
});
