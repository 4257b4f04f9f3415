/** What every request of one rotor shares: the engine, the transport, time, budgets and hedging state. */
import type { ChatRequest } from '../chat/chat-request-schema.js';
import type { Clock } from '../engine/clock.js';
import type { Lease } from '../engine/engine-types.js';
import type { HedgeBudget } from '../engine/hedge-budget.js';
import type { Random } from '../engine/random.js';
import type { RetryBudget } from '../engine/retry-budget.js';
import type { RotationEngine } from '../engine/rotation-engine.js';
import type { ChatTransport, TransportRequest } from '../upstream/upstream-client.js';
import type { UpstreamConfig } from '../upstream/upstream-config.js';
import type { AttemptCoordinator } from './attempt-coordinator.js';
import type { HedgeDelays } from './hedge-delay.js';
import type { RotorOptions } from './rotor-options.js';

/** Hedges since start: started, won (the hedge answered first), wasted (it lost or failed). */
export interface HedgeCounts {
  started: number;
  won: number;
  wasted: number;
  /** Not started because the candidate's account had too little quota left. */
  skippedForQuota: number;
}

export interface LoopContext {
  engine: RotationEngine;
  transport: ChatTransport;
  clock: Clock;
  random: Random;
  options: RotorOptions;
  budget: RetryBudget;
  hedgeBudget: HedgeBudget;
  hedgeDelays: HedgeDelays;
  hedges: HedgeCounts;
  upstreamFor(model: string): UpstreamConfig;
  /** Admission shared with other gateway replicas; absent for a single gateway (nothing awaited). */
  coordinator?: AttemptCoordinator | undefined;
  /** Told a failed attempt's low-level detail, which clients never see (see `RotorDeps`). */
  onUpstreamDetail?: ((info: { model: string; kind: string; detail: string }) => void) | undefined;
  /** Pooled providers: the candidates a request names (families, `fast`, `best`). Default: `requestOrder`. */
  orderFor?: ((request: ChatRequest) => string[]) | undefined;
  /** Pooled providers: the body as `model`'s provider accepts it (parameters stripped or translated). */
  prepareBody?: ((model: string, body: Record<string, unknown>) => Record<string, unknown>) | undefined;
  /** Pooled providers: remember parameters `model`'s provider rejected; true if a resend without them may work. */
  learnRejectedParams?: ((model: string, params: readonly string[]) => boolean) | undefined;
  /** Pooled providers: the transport hooks of one attempt (the model's upstream id, classification, quota headers, usage). */
  transportExtras?: ((lease: Lease) => Partial<TransportRequest> | undefined) | undefined;
}

export interface ChatCallOptions {
  /** Aborts the request: the upstream call and any pending wait. No attempts follow. */
  signal?: AbortSignal;
  /** Shortens the configured deadline for this request, ms. */
  deadlineMs?: number;
}
