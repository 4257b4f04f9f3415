import { describe, expect, it } from 'vitest';
import { RetryBudget } from './retry-budget.js';

describe('RetryBudget', () => {
  it('allows retries while more than half the tokens remain, and not at exactly half', () => {
    const b = new RetryBudget({ maxTokens: 10, tokenRatio: 0.1 });
    for (let i = 0; i < 4; i++) b.onFailure();
    expect(b.tokens).toBe(6);
    expect(b.allowsRetry()).toBe(true);
    b.onFailure();
    expect(b.tokens).toBe(5);
    expect(b.allowsRetry()).toBe(false);
  });

  it('refills by tokenRatio per success, capped at maxTokens', () => {
    const b = new RetryBudget({ maxTokens: 10, tokenRatio: 0.5 });
    for (let i = 0; i < 20; i++) b.onFailure();
    expect(b.tokens).toBe(0);
    for (let i = 0; i < 11; i++) b.onSuccess();
    expect(b.allowsRetry()).toBe(true);
    for (let i = 0; i < 100; i++) b.onSuccess();
    expect(b.tokens).toBe(10);
  });

  it('maxTokens 0 disables the throttle', () => {
    const b = new RetryBudget({ maxTokens: 0, tokenRatio: 0.1 });
    b.onFailure();
    expect(b.allowsRetry()).toBe(true);
  });
});
