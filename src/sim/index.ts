/** The OpenRouter simulator's public surface: start one, describe scenarios, read its log. */
export type { AccountSnapshot, QuotaSnapshot } from './account-limits.js';
export type { AttemptOutcome, AttemptRecord } from './attempt-log.js';
export type { ScheduledFault } from './fault-schedule.js';
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
