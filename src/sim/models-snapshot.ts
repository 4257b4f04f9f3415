/**
 * A real `GET /models` snapshot (e.g. models-2026-08.json) as the simulator's catalogue: served
 * as-is, and every model in it can be called, with its context length and free-ness from the file.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { hashString } from './hash.js';
import { genericModel, type SimModel } from './sim-models.js';

const snapshotEntrySchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  canonical_slug: z.string().optional(),
  created: z.number().optional(),
  context_length: z.number().nullish(),
  top_provider: z
    .looseObject({ context_length: z.number().nullish(), max_completion_tokens: z.number().nullish() })
    .optional(),
  supported_parameters: z.array(z.string()).optional(),
});

const snapshotSchema = z.looseObject({ data: z.array(snapshotEntrySchema) });

export interface ModelsSnapshot {
  /** The file's entries, untouched, for `GET /models`. */
  entries: Record<string, unknown>[];
  models: SimModel[];
}

/** Providers assigned to snapshot models (the file does not say which provider serves a model). */
const PROVIDERS = ['Chutes', 'DeepInfra', 'Venice', 'Together', 'Parasail', 'Nebius'];

function toSimModel(entry: z.infer<typeof snapshotEntrySchema>): SimModel {
  const base = genericModel(entry.id);
  const contextLength = entry.context_length ?? entry.top_provider?.context_length ?? base.contextLength;
  const hash = hashString(entry.id);
  return {
    ...base,
    name: entry.name ?? base.name,
    canonicalSlug: entry.canonical_slug ?? base.canonicalSlug,
    created: entry.created ?? base.created,
    contextLength,
    maxCompletionTokens: entry.top_provider?.max_completion_tokens ?? Math.min(contextLength, 16_384),
    tools: entry.supported_parameters?.includes('tools') ?? false,
    provider: PROVIDERS[hash % PROVIDERS.length]!,
    // Spread latencies (0.3–3 s to first token, 20–150 tokens/s) deterministically by id.
    ttftMs: 300 + (hash % 2700),
    tokensPerSecond: 20 + ((hash >>> 12) % 131),
  };
}

export function snapshotFromJson(data: unknown, source: string): ModelsSnapshot {
  const result = snapshotSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`${source} is not a GET /models response: ${issue.path.join('.')}: ${issue.message}`);
  }
  return {
    entries: result.data.data as Record<string, unknown>[],
    models: result.data.data.map(toSimModel),
  };
}

export async function loadModelsSnapshot(path: string): Promise<ModelsSnapshot> {
  const text = await readFile(path, 'utf8');
  return snapshotFromJson(JSON.parse(text), path);
}
