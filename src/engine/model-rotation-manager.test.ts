import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { ModelRotationManager } from './model-rotation-manager.js';
import { seededRandom } from './random.js';

const ORDER = ModelRotationManager.DEFAULT_ROTATION_ORDER;

function manager() {
  const clock = new ManualClock(Date.UTC(2026, 7, 14, 12));
  const m = new ModelRotationManager({ clock, random: seededRandom(3), retry: { jitter: false } });
  return { clock, m };
}

describe('ModelRotationManager (the seed API)', () => {
  it("keeps the seed's 12-model default order", () => {
    expect(ORDER).toHaveLength(12);
    expect(ORDER[0]).toBe('meta-llama/llama-3.3-8b-instruct:free');
    expect(ORDER[11]).toBe('deepseek/deepseek-chat-v3.1:free');
  });

  it('rotation to the next model: after onRateLimit() then getNextModel() the current model is the first fallback', () => {
    const { m } = manager();
    expect(m.getCurrentModel()).toBe(ORDER[0]);
    m.onRateLimit(120);
    expect(m.getNextModel()).toBe(ORDER[1]);
    expect(m.getCurrentModel()).toBe(ORDER[1]);
    expect(m.getSummary()).toMatchObject({ currentIndex: 1, totalRotations: 1 });
  });

  it('getNextModel() after a single failure moves on for one backoff step; without a failure it stays', async () => {
    const { m, clock } = manager();
    expect(m.getNextModel()).toBe(ORDER[0]);
    m.onFailure(10);
    expect(m.getNextModel()).toBe(ORDER[1]);
    await clock.advance(1000);
    expect(m.getCurrentModel()).toBe(ORDER[0]);
  });

  it('is safe when many requests report at once: 100 rate limits rotate once', () => {
    const { m } = manager();
    const model = m.getCurrentModel();
    for (let i = 0; i < 100; i++) m.onRateLimit(50, model);
    const next = new Set(Array.from({ length: 100 }, () => m.getNextModel()));
    expect(next).toEqual(new Set([ORDER[1]]));
    expect(m.getSummary().totalRotations).toBe(1);
  });

  it('reset to primary', () => {
    const { m } = manager();
    m.onRateLimit(10);
    m.getNextModel();
    m.onRateLimit(10);
    expect(m.getNextModel()).toBe(ORDER[2]);
    m.resetToPrimary();
    expect(m.getCurrentModel()).toBe(ORDER[0]);
    expect(m.getSummary().resetsToPrimary).toBe(1);
  });

  it('recovers to the primary by itself when its cooldown ends', async () => {
    const { m, clock } = manager();
    m.onRateLimit(10);
    expect(m.getNextModel()).toBe(ORDER[1]);
    await clock.advance(999);
    expect(m.getCurrentModel()).toBe(ORDER[1]);
    await clock.advance(1);
    expect(m.getCurrentModel()).toBe(ORDER[0]);
  });

  it('metrics tracking', () => {
    const { m } = manager();
    m.onSuccess(800);
    m.onSuccess(1000);
    m.onFailure(600);
    const metrics = m.getCurrentMetrics();
    expect(metrics).toMatchObject({
      model: ORDER[0],
      totalRequests: 3,
      successfulRequests: 2,
      failedRequests: 1,
      rateLimitedRequests: 0,
      averageExecutionTimeMs: 800,
    });
    expect(metrics.successRate).toBeCloseTo(2 / 3);
    expect(metrics.lastUsedMs).not.toBeNull();
    expect(Object.keys(m.getMetrics())).toEqual([...ORDER]);
    m.onRateLimit(100);
    expect(m.getMetrics()[ORDER[0]!]?.rateLimitedRequests).toBe(1);
  });

  it('consecutive failure counting: 3 make shouldRotate() true; a success resets the count', () => {
    const { m } = manager();
    m.onFailure(10);
    m.onFailure(10);
    expect(m.shouldRotate()).toBe(false);
    m.onSuccess(10);
    m.onFailure(10);
    m.onFailure(10);
    expect(m.shouldRotate()).toBe(false);
    m.onFailure(10);
    expect(m.shouldRotate()).toBe(true);
    expect(m.getNextModel()).toBe(ORDER[1]);
  });

  it('circuit breaker logic: opens at 5 consecutive failures, probes after the open time, closes on success', async () => {
    const { m, clock } = manager();
    const primary = ORDER[0]!;
    for (let i = 0; i < 4; i++) m.onFailure(10, false, primary);
    expect(m.getSummary().circuitBreakerStatus[primary]).toBe('closed');
    m.onFailure(10, false, primary);
    expect(m.getSummary().circuitBreakerStatus[primary]).toBe('open');
    expect(m.getCurrentModel()).toBe(ORDER[1]);
    await clock.advance(30_000);
    expect(m.getSummary().circuitBreakerStatus[primary]).toBe('half_open');
    expect(m.getCurrentModel()).toBe(primary);
    m.onSuccess(10);
    expect(m.getSummary().circuitBreakerStatus[primary]).toBe('closed');
    expect(m.getSummary().consecutiveFailures).toBe(0);
  });
});
