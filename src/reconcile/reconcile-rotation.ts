/**
 * `reconcileRotation()`, pure: given the rotation in force, the live `GET /models` list and the
 * registry, what to retire, restore and add, and the new order. Free models churn every week, so
 * the live list — not the shipped registry — decides what exists; the registry only ranks.
 *
 * - Pinned order (the operator's `rotation.order`): kept as it is; entries no longer listed at all
 *   are retired, nothing is added. (A pinned paid model is the operator's choice, not "gone".)
 * - Unpinned: the still-live entries keep their relative order first, then other live registry
 *   models ranked by their registry stats (`rankModels`; `incompatible` ones stay out), then live
 *   models the registry does not know, as `untested`, by context length (largest first), then id.
 *   Entries that are not free chat models any more leave the order and are retired.
 * - A model retired because the list lacked it comes back (restored) when it is listed again. A
 *   model retired by a 404 during traffic while still listed stays retired: the list alone does not
 *   prove its endpoints are back; once a check finds it unlisted, it is treated like the former.
 */
import type { ModelProfile } from '../engine/engine-types.js';
import { toRegistryEntry } from '../registry/discover.js';
import { selectFreeModels } from '../registry/free-models.js';
import type { ApiModel } from '../registry/openrouter-model.js';
import { rankModels } from '../registry/rank.js';
import type { ModelStatus, RegistryModel } from '../registry/registry-schema.js';

/** Why a model is retired now: missing from the list (or the registry said so), or a 404 in traffic. */
export type RetiredBy = 'list' | 'traffic';

export interface ReconcileInput {
  /** The rotation order in force, primary first. */
  current: readonly string[];
  /** The operator pinned `current`: keep it, add nothing. */
  pinned: boolean;
  /** The whole live model list (`GET /models`); free chat models are selected here. */
  listed: readonly ApiModel[];
  /** The registry's models, for ranking known models. */
  registry: readonly RegistryModel[];
  /** Models retired now (any, in the order or not), and why. */
  retired?: ReadonlyMap<string, RetiredBy>;
  /** Where the list came from, for reasons. */
  baseUrl: string;
  /** When the list was fetched, epoch ms, for reasons. */
  atMs: number;
}

export type ReconcileChange =
  | { type: 'retired'; model: string; reason: string }
  | { type: 'restored'; model: string; reason: string }
  | { type: 'added'; model: string; status: ModelStatus; reason: string }
  | { type: 'order'; reason: string; added: string[]; removed: string[] };

export interface ReconcileResult {
  /** The new rotation order, primary first. */
  order: string[];
  orderChanged: boolean;
  /** Entries to retire now (not retired before). */
  retired: { id: string; reason: string }[];
  /** Retired models to bring back. */
  restored: { id: string; reason: string }[];
  /** Models new to the order, with their registry status (`untested` when the registry lacks them). */
  added: { id: string; status: ModelStatus }[];
  /** Models that left the order. */
  removed: string[];
  /** What the list says about each live model (context, tools, vision), for capability filtering. */
  profiles: ModelProfile[];
  /** After this run: retired models that the list will bring back when it lists them again. */
  retiredByList: string[];
  /** Number of free chat models in the list. */
  liveFree: number;
  /** Everything above, in the order it happened, each with its reason. */
  changes: ReconcileChange[];
}

export function reconcileRotation(input: ReconcileInput): ReconcileResult {
  const { current, pinned, baseUrl } = input;
  const checked = `${baseUrl}, checked ${new Date(input.atMs).toISOString()}`;
  const retiredBefore = input.retired ?? new Map<string, RetiredBy>();
  const selection = selectFreeModels(input.listed);
  const live = new Map<string, ApiModel>();
  for (const model of selection.models) if (!live.has(model.id)) live.set(model.id, model);
  const listed = new Map<string, ApiModel>();
  for (const model of input.listed) if (!listed.has(model.id)) listed.set(model.id, model);
  const notChat = new Map(selection.excluded.map((e) => [e.id, e.reason]));
  const registry = new Map(input.registry.map((m) => [m.id, m]));

  /** Still there, for this mode: pinned entries only need to be listed; unpinned ones must be free chat models. */
  const present = (id: string) => (pinned ? listed.has(id) : live.has(id));
  const goneReason = (id: string): string => {
    if (!listed.has(id)) return `no longer listed as a free model on ${checked}`;
    const why = notChat.get(id);
    if (why !== undefined) return `not a chat model: ${why} (${checked})`;
    return `no longer free on ${checked}`;
  };

  // Restore first: a model retired for being unlisted that is listed again.
  const restored: ReconcileResult['restored'] = [];
  for (const [id, by] of retiredBefore) {
    if (by === 'list' && present(id)) {
      restored.push({ id, reason: `listed again as a free model on ${checked}` });
    }
  }
  const restoredIds = new Set(restored.map((r) => r.id));
  const stillRetired = (id: string) => retiredBefore.has(id) && !restoredIds.has(id);

  const retired: ReconcileResult['retired'] = [];
  for (const id of new Set(current)) {
    if (!present(id) && !stillRetired(id)) retired.push({ id, reason: goneReason(id) });
  }

  let order: string[];
  const addedStatus = new Map<string, ModelStatus>();
  if (pinned) {
    order = [...current];
  } else {
    const kept = [...new Set(current)].filter((id) => live.has(id));
    const inOrder = new Set(kept);
    // Models retired by a 404 while still listed would only be skipped: leave them out.
    const eligible = (id: string) => !inOrder.has(id) && !(retiredBefore.get(id) === 'traffic');
    const known = input.registry
      .filter((m) => live.has(m.id) && eligible(m.id))
      // The registry's "retired" is older news than the live list: rank it like a new model.
      .map((m) => (m.status === 'retired' ? { ...m, status: 'untested' as const } : m));
    for (const m of known) addedStatus.set(m.id, m.status);
    const ranked = rankModels(known, { includePaid: true }).ranked.map((r) => r.id);
    const unknown = [...live.values()]
      .filter((m) => !registry.has(m.id) && eligible(m.id))
      .sort(byContextThenId)
      .map((m) => m.id);
    for (const id of unknown) addedStatus.set(id, 'untested');
    order = [...kept, ...ranked, ...unknown];
  }

  const before = new Set(current);
  const after = new Set(order);
  const added = order
    .filter((id) => !before.has(id))
    .map((id) => ({ id, status: addedStatus.get(id) ?? 'untested' }));
  const removed = [...before].filter((id) => !after.has(id));
  const orderChanged = order.length !== current.length || order.some((id, i) => id !== current[i]);

  const profiles: ModelProfile[] = [...live.values()].map(profileOf);

  const retiredAfter = new Map(retiredBefore);
  for (const id of restoredIds) retiredAfter.delete(id);
  for (const { id } of retired) retiredAfter.set(id, 'list');
  const retiredByList = [...retiredAfter]
    .filter(([id, by]) => by === 'list' || !listed.has(id))
    .map(([id]) => id)
    .sort();

  const changes: ReconcileChange[] = [
    ...retired.map(({ id, reason }) => ({ type: 'retired' as const, model: id, reason })),
    ...restored.map(({ id, reason }) => ({ type: 'restored' as const, model: id, reason })),
    ...added.map(({ id, status }) => ({
      type: 'added' as const,
      model: id,
      status,
      reason: registry.has(id)
        ? `listed as a free model on ${baseUrl}; known to the registry (${status})`
        : `new free model on ${baseUrl}, not in the registry (untested)`,
    })),
  ];
  if (orderChanged) {
    changes.push({
      type: 'order',
      reason: orderReason({ baseUrl, liveFree: live.size, order, added, removed, current }),
      added: added.map((a) => a.id),
      removed,
    });
  }

  return {
    order,
    orderChanged,
    retired,
    restored,
    added,
    removed,
    profiles,
    retiredByList,
    liveFree: live.size,
    changes,
  };
}

/** The engine profile of a listed model: what the list says about context and capabilities. */
export function profileOf(model: ApiModel): ModelProfile {
  const entry = toRegistryEntry(model);
  const profile: ModelProfile = { id: model.id };
  if (entry.context_length !== undefined) profile.contextLength = entry.context_length;
  const maxOutput = model.top_provider?.max_completion_tokens;
  if (typeof maxOutput === 'number' && maxOutput > 0) profile.maxOutputTokens = maxOutput;
  if (entry.capabilities?.tools !== undefined) profile.tools = entry.capabilities.tools;
  if (entry.capabilities?.vision !== undefined) profile.vision = entry.capabilities.vision;
  return profile;
}

function byContextThenId(a: ApiModel, b: ApiModel): number {
  const ca = contextOf(a);
  const cb = contextOf(b);
  if (ca !== cb) return cb - ca;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function contextOf(model: ApiModel): number {
  return toRegistryEntry(model).context_length ?? 0;
}

function orderReason(o: {
  baseUrl: string;
  liveFree: number;
  order: readonly string[];
  current: readonly string[];
  added: readonly { id: string; status: ModelStatus }[];
  removed: readonly string[];
}): string {
  const kept = o.current.filter((id) => o.order.includes(id)).length;
  const untested = o.added.filter((a) => a.status === 'untested').length;
  return (
    `rotation rebuilt from ${o.liveFree} free models listed on ${o.baseUrl}: ` +
    `${kept} kept, ${o.added.length} added (${untested} untested), ${o.removed.length} removed`
  );
}
