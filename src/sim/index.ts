/**
 * The simulator's public surface: start one (OpenRouter, plus any built-in provider), describe
 * scenarios, read its log; the same providers in virtual time.
 */
export type { AccountSnapshot, QuotaSnapshot } from './account-limits.js';
export type { AttemptOutcome, AttemptRecord } from './attempt-log.js';
export type { ScheduledFault } from './fault-schedule.js';
export {
  SIMULATED_POOL_PROVIDERS,
  type SimProviderEndpoint,
  type SimProviderSnapshot,
  simulatedKey,
  simulatedProviderEnv,
} from './providers/provider-endpoints.js';
export type { QuotaView } from './providers/provider-quota.js';
export type {
  LimitOverride,
  ProviderUpdate,
  SimProviderInput,
  SimProviderModelInput,
} from './providers/provider-scenario.js';
export { simulatedProviderIds } from './providers/provider-sim-models.js';
export {
  upstreamClientBody,
  VIRTUAL_PROVIDER_ORIGIN,
  type VirtualProviderResponse,
  VirtualProviderTransport,
  type VirtualProviderTransportOptions,
} from './providers/virtual-provider-transport.js';
export {
  type AccountConfig,
  FAULT_KINDS,
  type FaultInput,
  type FaultKind,
  type FaultSpec,
  faultSchema,
  loadScenarioFile,
  parseFaults,
  parseScenario,
  type Scenario,
  ScenarioError,
  type ScenarioInput,
  type SimModelConfig,
  scenarioSchema,
} from './scenario-schema.js';
export { defaultModels, NO_SYSTEM_PROMPT_MODEL_ID, type SimModel } from './sim-models.js';
export type { AccountUpdate, ResetOptions } from './sim-state.js';
export { type Simulator, type SimulatorOptions, startSimulator } from './simulator.js';
