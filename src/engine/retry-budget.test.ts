import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { RetryBudget } from './retry-budget.js';

function budget(options = {}) {
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 12, 0, 0));
  return { clock, b: new RetryBudget(options, () => clock.now()) };
}

describe('RetryBudget', () => {
  it('a quiet gateway may retry minRetriesPerSecond × window: the 100th retry passes, the 101st is refused', () => {
    const { b } = budget({ minRetriesPerSecond: 10, windowMs: 10_000, percentOfRequests: 20 });
    for (let i = 0; i < 100; i++) expect(b.tryRetry()).toBe(true);
    expect(b.tryRetry()).toBe(false);
    expect(b.status()).toMatchObject({ retriesAllowed: false, retriesInWindow: 100, refused: 1 });
  });

  it('each request deposits percentOfRequests % of a retry: 50 requests at 20 % add exactly 10', () => {
    const { b } = budget({ minRetriesPerSecond: 0, percentOfRequests: 20 });
    for (let i = 0; i < 50; i++) b.deposit();
    for (let i = 0; i < 10; i++) expect(b.tryRetry()).toBe(true);
    expect(b.tryRetry()).toBe(false);
  });

  it('deposits and retries expire after the window, not before (9.999 s: still spent; 10 s: free again)', async () => {
    const { b, clock } = budget({ minRetriesPerSecond: 1, windowMs: 10_000, percentOfRequests: 0 });
    for (let i = 0; i < 10; i++) expect(b.tryRetry()).toBe(true);
    expect(b.tryRetry()).toBe(false);
    await clock.advance(9_999);
    expect(b.tryRetry()).toBe(false);
    await clock.advance(1);
    expect(b.tryRetry()).toBe(true);
  });

  it('refills: a budget spent now allows retries again a window later (it never stays empty)', async () => {
    const { b, clock } = budget({ minRetriesPerSecond: 2, windowMs: 5_000, percentOfRequests: 0 });
    while (b.tryRetry()) {}
    expect(b.allowsRetry()).toBe(false);
    await clock.advance(5_000);
    expect(b.allowsRetry()).toBe(true);
    expect(b.status().tokens).toBe(10);
  });

  it('disabled: every retry is allowed', () => {
    const { b } = budget({ enabled: false, minRetriesPerSecond: 0, percentOfRequests: 0 });
    for (let i = 0; i < 1000; i++) expect(b.tryRetry()).toBe(true);
    expect(b.status().refused).toBe(0);
  });

  it('zero floor and zero share: no retry at all', () => {
    const { b } = budget({ minRetriesPerSecond: 0, percentOfRequests: 0 });
    b.deposit();
    expect(b.tryRetry()).toBe(false);
  });
});
