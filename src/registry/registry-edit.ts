/**
 * In-place edits of a registry Document. Editing the parsed YAML (instead of re-serialising the
 * data) keeps every comment, blank line and the order of models and keys; only what changed moves.
 */
import { type Document, isMap, isScalar, isSeq, type Pair, Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import type { ModelStatus, RegistryModelInput } from './registry-schema.js';

/** Key order of a newly written model, matching the shipped file. */
const MODEL_KEY_ORDER = [
  'id',
  'name',
  'family',
  'status',
  'incompatible_reason',
  'retired_reason',
  'context_length',
  'capabilities',
  'expected_latency_ms',
  'measured',
  'pricing',
  'known_issues',
  'notes',
] as const;

/** The YAML map of the model with this id, or undefined. */
export function findModelNode(doc: Document, id: string): YAMLMap | undefined {
  const models = doc.get('models', true);
  if (!isSeq(models)) return undefined;
  for (const item of models.items) {
    if (isMap(item) && item.get('id') === id) return item as YAMLMap;
  }
  return undefined;
}

/**
 * Sets fields of one model; keys are dot paths (`capabilities.tools`), `undefined` deletes.
 * Existing scalars keep their trailing comments; missing maps are created.
 */
export function updateModelFields(
  doc: Document,
  id: string,
  fields: Readonly<Record<string, unknown>>,
): void {
  const model = requireModel(doc, id);
  for (const [field, value] of Object.entries(fields)) {
    const [key, ...rest] = field.split('.') as [string, ...string[]];
    if (value === undefined) model.deleteIn([key, ...rest]);
    else if (!model.has(key)) insertInOrder(doc, model, key, nest(rest, value));
    else model.setIn([key, ...rest], value);
  }
}

/** Appends a model at the end of `models`, keys in canonical order, optionally under a comment. */
export function appendModel(
  doc: Document,
  model: RegistryModelInput,
  options: { comment?: string } = {},
): void {
  const models = doc.get('models', true);
  if (!isSeq(models)) throw new Error('registry has no `models` list');
  const ordered: Record<string, unknown> = {};
  for (const key of MODEL_KEY_ORDER) {
    const value = model[key];
    if (value === undefined) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) continue;
    ordered[key] = value;
  }
  const node = doc.createNode(ordered);
  // Blank line between models, as in the shipped file.
  node.spaceBefore = true;
  if (options.comment !== undefined) node.commentBefore = ` ${options.comment}`;
  models.add(node);
}

/** Changes a model's status; `reason` goes to `incompatible_reason`/`retired_reason` as fitting. */
export function setModelStatus(doc: Document, id: string, status: ModelStatus, reason?: string): void {
  const model = requireModel(doc, id);
  model.set('status', status);
  if (status !== 'retired') model.delete('retired_reason');
  if (status === 'retired' || status === 'incompatible') {
    const reasonKey = status === 'retired' ? 'retired_reason' : 'incompatible_reason';
    if (reason !== undefined) updateModelFields(doc, id, { [reasonKey]: reason });
  }
}

/** Marks a model retired with a reason and takes it out of the rotation (a retired model cannot serve). */
export function retireModel(doc: Document, id: string, reason: string): void {
  setModelStatus(doc, id, 'retired', reason);
  removeFromRotation(doc, [id]);
}

export interface RotationItem {
  id: string;
  /** Trailing comment on the item's line, e.g. `0.88 s ultra-fast`. */
  comment?: string;
}

/** Replaces the rotation list's items; comments above the `rotation:` key stay. */
export function setRotation(doc: Document, items: readonly RotationItem[]): void {
  const seq = rotationSeq(doc);
  seq.items = items.map((item) => {
    const scalar = new Scalar(item.id);
    if (item.comment !== undefined) scalar.comment = ` ${item.comment}`;
    return scalar;
  });
  // An empty block sequence would print as `[]`; a filled one as a block list.
  seq.flow = items.length === 0;
}

/** Drops ids from the rotation, keeping the other items (and their comments) as they are. */
export function removeFromRotation(doc: Document, ids: readonly string[]): void {
  const seq = doc.get('rotation', true);
  if (!isSeq(seq)) return;
  const drop = new Set(ids);
  seq.items = seq.items.filter((item) => !(isScalar(item) && drop.has(String(item.value))));
  if (seq.items.length === 0) seq.flow = true;
}

/** Records a content change: bumps the patch level of `version` and sets `last_updated`. */
export function markUpdated(doc: Document, todayIsoDate: string): void {
  const version = doc.get('version');
  if (typeof version === 'string') doc.set('version', bumpPatch(version));
  doc.set('last_updated', todayIsoDate);
}

export function bumpPatch(version: string): string {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!match) return version;
  return `${match[1]}.${match[2]}.${Number(match[3]) + 1}`;
}

function rotationSeq(doc: Document): YAMLSeq {
  const existing = doc.get('rotation', true);
  if (isSeq(existing)) return existing;
  const created = doc.createNode([]) as YAMLSeq;
  doc.set('rotation', created);
  return created;
}

/** `nest(['a', 'b'], 1)` → `{ a: { b: 1 } }` */
function nest(path: readonly string[], value: unknown): unknown {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}

function requireModel(doc: Document, id: string): YAMLMap {
  const model = findModelNode(doc, id);
  if (model === undefined) throw new Error(`registry has no model ${id}`);
  return model;
}

/** Adds a new top-level key to a model map at its canonical position rather than at the end. */
function insertInOrder(doc: Document, model: YAMLMap, key: string, value: unknown): void {
  const rank = (name: string) => {
    const index = (MODEL_KEY_ORDER as readonly string[]).indexOf(name);
    return index === -1 ? MODEL_KEY_ORDER.length : index;
  };
  const items = model.items as Pair[];
  const at = items.findIndex(
    (pair) => rank(String(isScalar(pair.key) ? pair.key.value : pair.key)) > rank(key),
  );
  const pair = doc.createPair(key, value) as Pair;
  if (at === -1) items.push(pair);
  else items.splice(at, 0, pair);
}
