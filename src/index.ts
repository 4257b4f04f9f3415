/**
 * rotor's public surface. Everything exported here is supported; anything else is internal.
 */

// Chat shapes (OpenAI-compatible, with OpenRouter's additions).
export { assembleCompletion } from './chat/assemble-completion.js';
export type { ChatMessage, ChatRequest } from './chat/chat-request-schema.js';
export { chatRequestSchema, parseChatRequest } from './chat/chat-request-schema.js';
export type { ChatCompletion, ChatCompletionChunk, Usage } from './chat/chat-types.js';
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
// State stores and coordination across replicas.
export type {
  EngineEvent,
  EngineEventListener,
  EngineEventType,
  ExternalFact,
} from './engine/engine-events.js';
export type { EngineOptions, EngineOptionsInput } from './engine/engine-options.js';
export { engineOptionsSchema } from './engine/engine-options.js';
export type { EngineStateJson } from './engine/engine-state.js';
export type {
  AcquireRequest,
  Acquisition,
  AttemptTiming,
  Lease,
  ModelProfile,
  RequestNeeds,
} from './engine/engine-types.js';
export type { Failure, FailureKind, RateLimitScope, TimeoutPhase } from './engine/failure.js';
export { FAILURE_KINDS } from './engine/failure.js';
export type {
  AccountSnapshot,
  MetricsSnapshot,
  ModelMetricsSnapshot,
  SystemMetricsSnapshot,
} from './engine/metrics-snapshot.js';
export type { ModelRotationManagerOptions, RotationSummary } from './engine/model-rotation-manager.js';
export { ModelRotationManager } from './engine/model-rotation-manager.js';
export type { Random } from './engine/random.js';
export { seededRandom, systemRandom } from './engine/random.js';
export type { RetryBudgetOptions, RetryBudgetStatus } from './engine/retry-budget.js';
export { RetryBudget } from './engine/retry-budget.js';
export { RotationEngine } from './engine/rotation-engine.js';
export { SEED_MODELS, SEED_ROTATION_ORDER } from './engine/seed-defaults.js';
export type { AttemptRecord, SkipReason, WireError } from './errors.js';
// Errors: one hierarchy, one wire shape.
export {
  AuthenticationError,
  CancelledError,
  DeadlineExceededError,
  HttpProtocolError,
  InsufficientCreditsError,
  InvalidRequestError,
  MethodNotAllowedError,
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
export type { AdmissionRequest, AdmissionVerdict, AttemptCoordinator } from './router/attempt-coordinator.js';
export type { ChatCallOptions } from './router/chat-loop.js';
export { ChatRun } from './router/chat-loop.js';
export type {
  ChatResult,
  ChatStream,
  Rotor,
  RotorDeps,
  RotorStatus,
  UpstreamDetail,
} from './router/create-rotor.js';
// Router: one request's journey, and the library entry point.
export { createRotor, parseRotorOptions } from './router/create-rotor.js';
export type {
  ModelOptions,
  RotorOptions,
  RotorOptionsInput,
  UpstreamOptions,
} from './router/rotor-options.js';
export { rotorOptionsSchema } from './router/rotor-options.js';
export type { Gateway, GatewayDeps } from './server/gateway.js';
// Gateway and simulator.
export { startGateway } from './server/gateway.js';
export type { GatewayConfig, GatewayConfigInput } from './server/gateway-config.js';
export {
  ConfigError,
  gatewayConfigSchema,
  loadGatewayConfig,
  parseGatewayConfig,
} from './server/gateway-config.js';
export type { Simulator, SimulatorOptions } from './sim/simulator.js';
export { startSimulator } from './sim/simulator.js';
export { MemoryStore } from './store/memory-store.js';
export type { OpenedStore, OpenStoreOptions } from './store/open-store.js';
export { openStore } from './store/open-store.js';
export { RedisCoordinator } from './store/redis-coordinator.js';
export { SqliteStore } from './store/sqlite-store.js';
export type { StateStore, StoreKind } from './store/state-store.js';
export { StoreError } from './store/state-store.js';
export { classifyBodyError, classifyHttpError } from './upstream/classify.js';
export type { AttemptTimeouts, ChatTransport, TransportRequest } from './upstream/upstream-client.js';
// Upstream: the transport contract and rotor's undici client.
export { UpstreamClient, UpstreamFailure } from './upstream/upstream-client.js';
export type { UpstreamConfig } from './upstream/upstream-config.js';
