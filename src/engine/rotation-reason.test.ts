/** Each rotation event says what happened: a move down for a reason, a recovery up, back to primary, a new order. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import type { EngineEvent } from './engine-events.js';
import type { Failure } from './failure.js';
import { seededRandom } from './random.js';
import { RotationEngine } from './rotation-engine.js';

const A = 'a/primary:free';
const B = 'b/second:free';
const C = 'c/third:free';
const modelRateLimit: Failure = { kind: 'rate_limit', scope: 'model', message: '429', status: 429 };

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 7, 14, 12));
  const engine = new RotationEngine(
    { rotationOrder: [A, B, C], retry: { jitter: false }, quota: { freeRequestsPerMinute: 0 } },
    { clock, random: seededRandom(1) },
  );
  const events: EngineEvent[] = [];
  engine.subscribe((e) => events.push(e));
  return { clock, engine, rotations: () => events.filter((e) => e.type === 'rotation') };
}

describe('rotation reasons', () => {
  it('a better model than the current one coming back is a recovery, not an order change', async () => {
    const { clock, engine, rotations } = setup();
    engine.retire(A, 'gone');
    expect(engine.currentModel()).toBe(B);
    engine.recordFailure(B, modelRateLimit); // first backoff step: 1 s
    expect(engine.currentModel()).toBe(C);
    await clock.advance(999);
    expect(engine.currentModel()).toBe(C);
    await clock.advance(1);
    expect(engine.currentModel()).toBe(B);
    expect(rotations().map((e) => (e.type === 'rotation' ? [e.from, e.to, e.reason] : []))).toEqual([
      [A, B, 'retired'],
      [B, C, 'cooling_down'],
      [C, B, 'recovered'],
    ]);
  });
});
