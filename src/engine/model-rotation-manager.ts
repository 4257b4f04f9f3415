/**
 * The seed's API (`ModelRotationManager` from the original Python system), for people porting it,
 * built on the rotation engine. Same meaning as the seed, but safe when many requests report at
 * once: health is per model, so 100 simultaneous rate limits on the primary rotate once, not 100
 * times, and `getNextModel()` is idempotent for callers that saw the same failure.
 */
import { nominalDelayMs, type RetryOptions } from './backoff.js';
import type { Clock } from './clock.js';
import { retryOptionsSchema } from './engine-options.js';
import type { MetricsSnapshot, ModelMetricsSnapshot, SystemMetricsSnapshot } from './metrics-snapshot.js';
import type { Random } from './random.js';
import { RotationEngine } from './rotation-engine.js';
import { SEED_ROTATION_ORDER } from './seed-defaults.js';

export interface ModelRotationManagerOptions {
  /** Rotation order, primary first (default: the seed's 12 models). */
  rotationOrder?: readonly string[];
  /** Consecutive failures that make `shouldRotate()` true and cool the model down (default 3). */
  maxConsecutiveFailures?: number;
  /** Consecutive failures that open the model's breaker (default 5). */
  circuitBreakerThreshold?: number;
  /** The seed's `RetryConfig` (defaults: maxRetries 5, baseDelayMs 1000, maxDelayMs 60000, ×2, jitter). */
  retry?: Partial<RetryOptions>;
  clock?: Clock;
  random?: Random;
}

export interface RotationSummary {
  currentModel: string;
  currentIndex: number;
  primaryModel: string;
  totalRotations: number;
  lastRotationMs: number | null;
  resetsToPrimary: number;
  consecutiveFailures: number;
  circuitBreakerStatus: Record<string, 'closed' | 'open' | 'half_open'>;
  models: Array<{
    model: string;
    totalRequests: number;
    successRate: number | null;
    averageExecutionTimeMs: number;
    available: boolean;
  }>;
}

export class ModelRotationManager {
  /** The seed's 12-model order (Oct 2025), primary first. These models have since aged out of the free list. */
  static readonly DEFAULT_ROTATION_ORDER: readonly string[] = SEED_ROTATION_ORDER;

  /** The engine underneath, for callers who outgrow the seed API. */
  readonly engine: RotationEngine;
  /** The model the caller is using (what the seed's `current_model_index` pointed at). */
  private active: string;

  constructor(options: ModelRotationManagerOptions = {}) {
    const order = [...(options.rotationOrder ?? ModelRotationManager.DEFAULT_ROTATION_ORDER)];
    if (order.length === 0) throw new Error('rotationOrder must name at least one model');
    this.engine = new RotationEngine(
      {
        rotationOrder: order,
        maxConsecutiveFailures: options.maxConsecutiveFailures ?? 3,
        circuitBreakerThreshold: options.circuitBreakerThreshold ?? 5,
        retry: retryOptionsSchema.parse(options.retry ?? {}),
        // The seed API reports outcomes without admissions; quota pacing is the gateway's job.
        quota: { freeRequestsPerMinute: 0 },
        slowStart: { enabled: false },
      },
      {
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.random ? { random: options.random } : {}),
      },
    );
    this.active = order[0]!;
  }

  get rotationOrder(): readonly string[] {
    return this.engine.rotationOrder;
  }

  /**
   * The model to use now: the first model in the order whose health allows traffic. When every
   * model is unavailable, the one that recovers soonest.
   */
  getCurrentModel(): string {
    this.active = this.engine.currentModel() ?? this.soonestAvailable();
    return this.active;
  }

  /**
   * Move on from the model in use after a failure. If it is unavailable (rate limited, cooling,
   * breaker open) this returns the first available model; if it is still admissible but failed
   * since its last success, it is set aside for one backoff step first. If it has not failed,
   * nothing changes. So concurrent callers that saw the same failure all land on the same
   * fallback instead of walking down the list once each.
   */
  getNextModel(): string {
    const from = this.active;
    const snapshot = this.modelSnapshot(from);
    const failedSinceSuccess = snapshot.consecutiveFailures > 0 || snapshot.consecutiveRateLimits > 0;
    if (failedSinceSuccess && this.engine.unavailability(from) === undefined) {
      const retry = this.engine.options.retry;
      this.engine.coolDown(from, nominalDelayMs(0, retry), 'manual', 'rotated away by getNextModel()');
    }
    return this.getCurrentModel();
  }

  /** Go back to the primary model now, forgetting its cooldown, breaker and failure counts. */
  resetToPrimary(): void {
    const primary = this.engine.rotationOrder[0]!;
    this.engine.resetHealth(primary);
    this.active = this.engine.currentModel() ?? primary;
  }

  /** The model in use answered. Resets its consecutive-failure count (and closes a half-open breaker). */
  onSuccess(executionTimeMs: number, model: string = this.active): void {
    this.engine.recordSuccess(model, { latencyMs: executionTimeMs });
  }

  /** The model in use failed; `isRateLimited` marks an HTTP 429 (cooldown, rotate) versus a transient error. */
  onFailure(executionTimeMs: number, isRateLimited = false, model: string = this.active): void {
    this.engine.recordFailure(
      model,
      isRateLimited
        ? { kind: 'rate_limit', scope: 'model', message: 'rate limited', status: 429 }
        : { kind: 'server_error', message: 'request failed' },
      { latencyMs: executionTimeMs },
    );
  }

  /** The model in use answered HTTP 429. */
  onRateLimit(executionTimeMs: number, model: string = this.active): void {
    this.onFailure(executionTimeMs, true, model);
  }

  /**
   * Whether the caller should move on: the model in use reached `maxConsecutiveFailures`, or is
   * unavailable for any other reason (rate limited, breaker open, retired).
   */
  shouldRotate(): boolean {
    const snapshot = this.modelSnapshot(this.active);
    return (
      snapshot.consecutiveFailures >= this.engine.options.maxConsecutiveFailures ||
      this.engine.unavailability(this.active) !== undefined
    );
  }

  /** Every model's metrics, keyed by model id (the seed's `get_metrics()`). */
  getMetrics(): Record<string, ModelMetricsSnapshot> {
    const out: Record<string, ModelMetricsSnapshot> = {};
    for (const m of this.engine.metrics().models) out[m.model] = m;
    return out;
  }

  /** Metrics of the model in use. */
  getCurrentMetrics(): ModelMetricsSnapshot {
    return this.modelSnapshot(this.getCurrentModel());
  }

  /** The system view: current model and index, rotations, resets, failures, breakers, per-model summary. */
  getSummary(): RotationSummary {
    const snapshot: MetricsSnapshot = this.engine.metrics();
    const s: SystemMetricsSnapshot = snapshot.system;
    const current = this.getCurrentModel();
    return {
      currentModel: current,
      currentIndex: this.engine.rotationOrder.indexOf(current),
      primaryModel: this.engine.rotationOrder[0]!,
      totalRotations: s.totalRotations,
      lastRotationMs: s.lastRotationMs,
      resetsToPrimary: s.resetsToPrimary,
      consecutiveFailures: this.modelSnapshot(current).consecutiveFailures,
      circuitBreakerStatus: s.breakerStatus,
      models: snapshot.models.map((m) => ({
        model: m.model,
        totalRequests: m.totalRequests,
        successRate: m.successRate,
        averageExecutionTimeMs: m.averageExecutionTimeMs,
        available: m.available,
      })),
    };
  }

  private modelSnapshot(model: string): ModelMetricsSnapshot {
    const found = this.engine.metrics().models.find((m) => m.model === model);
    if (!found) throw new Error(`Unknown model ${model}`);
    return found;
  }

  private soonestAvailable(): string {
    let best: { model: string; untilMs: number } | undefined;
    for (const model of this.engine.rotationOrder) {
      const gap = this.engine.unavailability(model);
      if (gap?.reason === 'retired') continue;
      const untilMs = gap?.untilMs ?? Number.POSITIVE_INFINITY;
      if (!best || untilMs < best.untilMs) best = { model, untilMs };
    }
    return best?.model ?? this.engine.rotationOrder[0]!;
  }
}
