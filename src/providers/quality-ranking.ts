/**
 * The shipped model quality ranking (`registry/model-quality.yaml`): one sourced benchmark figure
 * per model family or model, for `model: "best"`. The schema is the type; load errors are
 * `file:line: field: message`, as for the other registry files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { packageRoot } from '../package-root.js';
import { parseYamlWithSchema } from '../registry/yaml-validate.js';

export const qualityEntrySchema = z
  .strictObject({
    /** A family id of `registry/model-families.yaml`. */
    family: z.string().min(1).optional(),
    /** One engine model id (an OpenRouter id, or `<provider>:<id>`). */
    model: z.string().min(1).optional(),
    /** Higher is stronger, in the file's `benchmark` units. */
    score: z.number(),
  })
  .refine((e) => (e.family === undefined) !== (e.model === undefined), {
    message: 'give exactly one of family and model',
  });

export const qualityRankingSchema = z.strictObject({
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'expected a version like 1.0.0'),
  last_updated: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected an ISO date like 2026-11-30'),
  /** What `score` measures, in words. */
  benchmark: z.string().min(1),
  entries: z.array(qualityEntrySchema),
});

export type QualityRanking = z.infer<typeof qualityRankingSchema>;

export function defaultQualityRankingPath(): string {
  return join(packageRoot(), 'registry', 'model-quality.yaml');
}

/** Parses and validates the ranking YAML; throws `RegistryError`. */
export function parseQualityRanking(text: string, file: string): QualityRanking {
  return parseYamlWithSchema(qualityRankingSchema, text, file);
}

/** The shipped ranking, read synchronously (a few lines; read once at start). */
export function loadQualityRankingSync(path = defaultQualityRankingPath()): QualityRanking {
  return parseQualityRanking(readFileSync(path, 'utf8'), path);
}

/** A score lookup: by engine model id first, then by the model's family. */
export function qualityScorer(
  ranking: QualityRanking,
): (model: string, family: string | undefined) => number | undefined {
  const byModel = new Map<string, number>();
  const byFamily = new Map<string, number>();
  for (const e of ranking.entries) {
    if (e.model !== undefined) byModel.set(e.model, e.score);
    if (e.family !== undefined) byFamily.set(e.family, e.score);
  }
  return (model, family) => byModel.get(model) ?? (family === undefined ? undefined : byFamily.get(family));
}
