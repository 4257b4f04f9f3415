/**
 * `rotor discover`'s logic, pure: turn OpenRouter model entries into registry entries, diff them
 * against the registry, and apply that diff to the registry's YAML Document in place.
 */
import type { Document } from 'yaml';
import type { ApiModel } from './openrouter-model.js';
import { appendModel, markUpdated, retireModel, setModelStatus, updateModelFields } from './registry-edit.js';
import {
  familyFromId,
  type ModelCapabilities,
  type ModelStatus,
  type Registry,
  type RegistryModelInput,
} from './registry-schema.js';

/** Capabilities the model list tells us about (`system_prompt` it does not). */
const LISTED_CAPABILITIES = ['tools', 'vision', 'json_mode', 'reasoning'] as const;

export interface FieldChange {
  id: string;
  /** Dot path in the model entry, e.g. `context_length`, `capabilities.tools`, `status`. */
  field: string;
  from: unknown;
  to: unknown;
}

export interface RegistryDiff {
  /** Free models not in the registry, as new `untested` entries (sorted by id). */
  added: RegistryModelInput[];
  /** Registry models no longer listed as free (and not already retired), in registry order. */
  retired: { id: string; reason: string }[];
  /** Changes to models in both; a retired model that is listed again goes back to `untested`. */
  changed: FieldChange[];
  /** Ids in both, with nothing to change. */
  unchanged: string[];
}

/** A registry entry for a model from `GET /models`; what the list does not say stays unknown. */
export function toRegistryEntry(model: ApiModel): RegistryModelInput {
  const params = model.supported_parameters ?? undefined;
  const inputs = model.architecture?.input_modalities ?? undefined;
  // Built in the schema's key order, which is the order they are written in.
  const capabilities: ModelCapabilities = {};
  if (params) capabilities.tools = params.includes('tools');
  if (inputs) capabilities.vision = inputs.includes('image');
  if (params) {
    capabilities.json_mode = params.includes('response_format') || params.includes('structured_outputs');
    capabilities.reasoning = params.includes('reasoning') || params.includes('include_reasoning');
  }
  const entry: RegistryModelInput = {
    id: model.id,
    name: model.name ?? model.id,
    family: familyFromId(model.id),
    status: 'untested',
    capabilities,
  };
  const contextLength = contextLengthOf(model);
  if (contextLength !== undefined) entry.context_length = contextLength;
  const { prompt, completion } = model.pricing ?? {};
  if (prompt !== undefined && completion !== undefined) entry.pricing = { prompt, completion };
  return entry;
}

/**
 * The model's context window: `context_length` (the largest among its providers — OpenRouter
 * routes a long prompt to a provider that fits it), else the top provider's.
 */
function contextLengthOf(model: ApiModel): number | undefined {
  for (const tokens of [model.context_length, model.top_provider?.context_length]) {
    if (typeof tokens === 'number' && Number.isInteger(tokens) && tokens > 0) return tokens;
  }
  return undefined;
}

export interface DiffOptions {
  /** ISO date used in retirement reasons. */
  todayIsoDate: string;
}

export function diffRegistry(
  registry: Registry,
  freeModels: readonly ApiModel[],
  options: DiffOptions,
): RegistryDiff {
  const diff: RegistryDiff = { added: [], retired: [], changed: [], unchanged: [] };
  const known = new Map(registry.models.map((model) => [model.id, model]));
  const listed = new Set<string>();
  for (const apiModel of freeModels) {
    if (listed.has(apiModel.id)) continue;
    listed.add(apiModel.id);
    const fresh = toRegistryEntry(apiModel);
    const existing = known.get(apiModel.id);
    if (existing === undefined) {
      diff.added.push(fresh);
      continue;
    }
    const changes: FieldChange[] = [];
    const change = (field: string, from: unknown, to: unknown) =>
      changes.push({ id: existing.id, field, from, to });
    if (existing.status === 'retired') change('status', 'retired', 'untested');
    if (fresh.context_length !== undefined && fresh.context_length !== existing.context_length) {
      change('context_length', existing.context_length, fresh.context_length);
    }
    for (const capability of LISTED_CAPABILITIES) {
      const to = fresh.capabilities?.[capability];
      const from = existing.capabilities[capability];
      if (to !== undefined && to !== from) change(`capabilities.${capability}`, from, to);
    }
    if (changes.length === 0) diff.unchanged.push(existing.id);
    diff.changed.push(...changes);
  }
  for (const model of registry.models) {
    if (model.status === 'retired' || listed.has(model.id)) continue;
    diff.retired.push({
      id: model.id,
      reason: `no longer listed as a free model (rotor discover, ${options.todayIsoDate})`,
    });
  }
  diff.added.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return diff;
}

/** True when the diff changes anything. */
export function diffHasChanges(diff: RegistryDiff): boolean {
  return diff.added.length + diff.retired.length + diff.changed.length > 0;
}

/**
 * Applies a diff to the Document in place: changed fields are set where they are, retired models
 * get `status: retired` + `retired_reason` and leave the rotation, new models are appended under a
 * dated comment; then `version` and `last_updated` are bumped. Returns whether anything changed.
 */
export function applyDiff(document: Document, diff: RegistryDiff, options: DiffOptions): boolean {
  if (!diffHasChanges(diff)) return false;
  for (const change of diff.changed) {
    if (change.field === 'status') setModelStatus(document, change.id, change.to as ModelStatus);
    else updateModelFields(document, change.id, { [change.field]: change.to });
  }
  for (const { id, reason } of diff.retired) retireModel(document, id, reason);
  diff.added.forEach((model, index) => {
    const comment = index === 0 ? `--- Added by rotor discover, ${options.todayIsoDate}. ---` : undefined;
    appendModel(document, model, comment === undefined ? {} : { comment });
  });
  markUpdated(document, options.todayIsoDate);
  return true;
}
