/**
 * A retry throttle in the manner of gRPC's retry design: a token bucket that loses one token per
 * failed attempt and gains `tokenRatio` per success; retries (attempts after a request's first)
 * are allowed only while more than half the tokens remain. Under total upstream failure it
 * drains and each request makes one attempt, so upstream traffic stays near incoming traffic.
 */
export interface RetryBudgetOptions {
  /** Bucket size (gRPC: 1–1000). 0 disables the throttle. */
  maxTokens: number;
  /** Tokens regained per successful attempt (gRPC: 0.1). */
  tokenRatio: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudgetOptions = { maxTokens: 100, tokenRatio: 0.1 };

export class RetryBudget {
  private tokensLeft: number;

  constructor(readonly options: RetryBudgetOptions = DEFAULT_RETRY_BUDGET) {
    this.tokensLeft = options.maxTokens;
  }

  get tokens(): number {
    return this.tokensLeft;
  }

  /** Whether a retry may be sent now. */
  allowsRetry(): boolean {
    if (this.options.maxTokens <= 0) return true;
    return this.tokensLeft > this.options.maxTokens / 2;
  }

  onFailure(): void {
    this.tokensLeft = Math.max(0, this.tokensLeft - 1);
  }

  onSuccess(): void {
    this.tokensLeft = Math.min(this.options.maxTokens, this.tokensLeft + this.options.tokenRatio);
  }
}
