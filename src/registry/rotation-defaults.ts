/**
 * What the gateway needs from the registry at start: the default rotation order and each model's
 * capabilities, in camelCase. Absent values mean "not known".
 */
import { defaultRegistryPath, loadRegistry } from './registry-file.js';
import type { ModelStatus, Registry } from './registry-schema.js';

export interface ModelCapabilityFlags {
  systemPrompt?: boolean;
  tools?: boolean;
  vision?: boolean;
  jsonMode?: boolean;
  reasoning?: boolean;
}

export interface ModelDefaults {
  /** Context window, tokens. */
  contextLength?: number;
  capabilities: ModelCapabilityFlags;
  /** Measured p50 if known, else the registry's expected latency, ms. */
  expectedLatencyMs?: number;
  status: ModelStatus;
}

export interface RotationDefaults {
  /** Model ids, primary first. */
  rotation: string[];
  /** Every model in the registry (retired and incompatible too, so the gateway knows to skip them). */
  models: Map<string, ModelDefaults>;
}

/** Loads the registry at `path` (default: the shipped `registry/free-models.yaml`). */
export async function loadRotationDefaults(path: string = defaultRegistryPath()): Promise<RotationDefaults> {
  const { registry } = await loadRegistry(path);
  return rotationDefaultsFrom(registry);
}

export function rotationDefaultsFrom(registry: Registry): RotationDefaults {
  const models = new Map<string, ModelDefaults>();
  for (const model of registry.models) {
    const { system_prompt, tools, vision, json_mode, reasoning } = model.capabilities;
    const capabilities: ModelCapabilityFlags = {};
    if (system_prompt !== undefined) capabilities.systemPrompt = system_prompt;
    if (tools !== undefined) capabilities.tools = tools;
    if (vision !== undefined) capabilities.vision = vision;
    if (json_mode !== undefined) capabilities.jsonMode = json_mode;
    if (reasoning !== undefined) capabilities.reasoning = reasoning;
    const defaults: ModelDefaults = { capabilities, status: model.status };
    if (model.context_length !== undefined) defaults.contextLength = model.context_length;
    const latencyMs = model.measured?.p50_ms ?? model.expected_latency_ms;
    if (latencyMs !== undefined) defaults.expectedLatencyMs = latencyMs;
    models.set(model.id, defaults);
  }
  return { rotation: [...registry.rotation], models };
}
