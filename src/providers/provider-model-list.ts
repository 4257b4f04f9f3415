/**
 * A provider's model list read in its own shape (the catalog's `models.shape`): `openai`
 * (`{data: [{id}]}`), `array` (GitHub's catalog, a bare array) or `cloudflare` (the search API's
 * `{result: [{name}]}`). Each model is marked free by the catalog's `models.free` rule, and its id
 * is the one the chat endpoint takes (`strip_prefix` removed: Gemini lists `models/gemini-2.5-flash`).
 * Pure: `rotor discover` and the reconciler fetch the body and pass it in.
 */
import type { Provider } from './provider-catalog-schema.js';

export interface ListedModel {
  /** The id the chat endpoint takes (`strip_prefix` removed). */
  id: string;
  /** Free by the catalog's rule (`all`, `suffix`, `zero_price`, `listed`). */
  free: boolean;
  /** Context window in tokens, when the list says (Groq `context_window`, GitHub `limits.max_input_tokens`, …). */
  contextLength?: number;
  /** What the model does, when the list says and it is not chat (Cloudflare's task, GitHub's output modalities). */
  task?: string;
}

export interface ProviderModelList {
  models: ListedModel[];
  /** Entries without a usable id, with their position (the rest of the list is still used). */
  invalid: { index: number; message: string }[];
}

export class ModelListShapeError extends Error {
  override readonly name = 'ModelListShapeError';
}

type Entry = Record<string, unknown>;

/** Reads `body` as `provider`'s model list; throws `ModelListShapeError` when it is not that shape at all. */
export function parseProviderModelList(provider: Pick<Provider, 'models'>, body: unknown): ProviderModelList {
  const spec = provider.models;
  const entries = entriesOf(spec.shape, body);
  const models: ListedModel[] = [];
  const invalid: ProviderModelList['invalid'] = [];
  const seen = new Set<string>();
  entries.forEach((raw, index) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      invalid.push({ index, message: 'not an object' });
      return;
    }
    const entry = raw as Entry;
    const listedId = spec.shape === 'cloudflare' ? entry.name : entry.id;
    if (typeof listedId !== 'string' || listedId.trim() === '') {
      invalid.push({ index, message: `no ${spec.shape === 'cloudflare' ? 'name' : 'id'}` });
      return;
    }
    const id =
      spec.strip_prefix !== undefined && listedId.startsWith(spec.strip_prefix)
        ? listedId.slice(spec.strip_prefix.length)
        : listedId;
    if (seen.has(id)) return;
    seen.add(id);
    const contextLength = contextLengthOf(entry);
    const task = taskOf(entry);
    models.push({
      id,
      free: isFree(spec, id, entry),
      ...(contextLength === undefined ? {} : { contextLength }),
      ...(task === undefined ? {} : { task }),
    });
  });
  return { models, invalid };
}

function entriesOf(shape: Provider['models']['shape'], body: unknown): unknown[] {
  if (shape === 'array') {
    if (Array.isArray(body)) return body;
    throw new ModelListShapeError('expected a JSON array of models');
  }
  const key = shape === 'cloudflare' ? 'result' : 'data';
  const list = body !== null && typeof body === 'object' ? (body as Entry)[key] : undefined;
  if (Array.isArray(list)) return list;
  throw new ModelListShapeError(`expected {"${key}": [...]}`);
}

function isFree(spec: Provider['models'], id: string, entry: Entry): boolean {
  switch (spec.free) {
    case 'all':
      return true;
    case 'suffix':
      return spec.free_suffix !== undefined && id.endsWith(spec.free_suffix);
    case 'listed':
      return spec.free_models?.includes(id) ?? false;
    case 'zero_price': {
      const pricing = entry.pricing as Entry | undefined;
      return isZero(pricing?.prompt) && isZero(pricing?.completion);
    }
  }
}

function isZero(value: unknown): boolean {
  return (
    (typeof value === 'string' || typeof value === 'number') &&
    String(value).trim() !== '' &&
    Number(value) === 0
  );
}

function contextLengthOf(entry: Entry): number | undefined {
  const limits = entry.limits as Entry | undefined;
  const cloudflare = Array.isArray(entry.properties)
    ? (entry.properties as Entry[]).find((p) => p?.property_id === 'context_window')?.value
    : undefined;
  for (const value of [
    entry.context_length,
    entry.context_window,
    entry.max_context_length,
    limits?.max_input_tokens,
    cloudflare,
  ]) {
    const tokens = typeof value === 'string' ? Number(value) : value;
    if (typeof tokens === 'number' && Number.isInteger(tokens) && tokens > 0) return tokens;
  }
  return undefined;
}

/** Cloudflare's `task.name` unless it is text generation; GitHub's output modalities unless they include text. */
function taskOf(entry: Entry): string | undefined {
  const task = entry.task as Entry | undefined;
  if (typeof task?.name === 'string' && task.name !== 'Text Generation') return task.name;
  const outputs = entry.supported_output_modalities;
  if (Array.isArray(outputs) && outputs.length > 0 && !outputs.includes('text')) return outputs.join(', ');
  return undefined;
}
