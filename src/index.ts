/**
 * rotor's public surface. Everything exported here is supported; anything else is internal.
 */

export type { RetryOptions } from './engine/backoff.js';
// Engine: pure decisions, time and chance injected.
export {
  backoffDelayMs,
  DEFAULT_RETRY,
  delayBandMs,
  hintedDelayMs,
  nominalDelayMs,
} from './engine/backoff.js';
export type { Clock } from './engine/clock.js';
export { ManualClock, systemClock } from './engine/clock.js';
export type { EngineEvent, EngineEventListener, EngineEventType } from './engine/engine-events.js';
export type { EngineOptions, EngineOptionsInput } from './engine/engine-options.js';
export { engineOptionsSchema } from './engine/engine-options.js';
export type { EngineStateJson } from './engine/engine-state.js';
export type { Failure, FailureKind, RateLimitScope, TimeoutPhase } from './engine/failure.js';
export { FAILURE_KINDS } from './engine/failure.js';
export type { ModelRotationManagerOptions, RotationSummary } from './engine/model-rotation-manager.js';
export { ModelRotationManager } from './engine/model-rotation-manager.js';
export type { Random } from './engine/random.js';
export { seededRandom, systemRandom } from './engine/random.js';
export type {
  AccountSnapshot,
  AcquireRequest,
  Acquisition,
  AttemptTiming,
  Lease,
  MetricsSnapshot,
  ModelMetricsSnapshot,
  ModelProfile,
  RequestNeeds,
  SystemMetricsSnapshot,
} from './engine/rotation-engine.js';
export { RotationEngine } from './engine/rotation-engine.js';
export { SEED_MODELS, SEED_ROTATION_ORDER } from './engine/seed-defaults.js';
export type { AttemptRecord, SkipReason, WireError } from './errors.js';
// Errors: one hierarchy, one wire shape.
export {
  AuthenticationError,
  CancelledError,
  DeadlineExceededError,
  InsufficientCreditsError,
  InvalidRequestError,
  NoModelAvailableError,
  NotFoundError,
  PayloadTooLargeError,
  PermissionDeniedError,
  RateLimitError,
  RotorError,
  ShuttingDownError,
  toWireError,
  UpstreamError,
  UpstreamRequestError,
} from './errors.js';
