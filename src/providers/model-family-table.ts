/**
 * The shipped table of model families (`registry/model-families.yaml`): one open model, the id each
 * provider serves it under. The schema is the type; load errors are `file:line: field: message`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { packageRoot } from '../package-root.js';
import { loadYamlWithSchema, parseYamlWithSchema } from '../registry/yaml-validate.js';

const familyId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]*$/, 'expected a lower-case family id like "llama-3.3-70b"');

export const modelFamilySchema = z.strictObject({
  id: familyId,
  name: z.string().min(1),
  /** Provider id → the model id (or ids) it serves this family under. */
  members: z.record(
    z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a provider id like "groq"'),
    z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  ),
});

export const modelFamilyTableSchema = z
  .strictObject({
    version: z.string().regex(/^\d+\.\d+\.\d+$/, 'expected a version like 1.0.0'),
    last_updated: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected an ISO date like 2026-11-30'),
    families: z.array(modelFamilySchema),
  })
  .superRefine((table, ctx) => {
    const families = new Set<string>();
    const owner = new Map<string, string>();
    table.families.forEach((family, index) => {
      if (families.has(family.id)) {
        ctx.addIssue({ code: 'custom', path: ['families', index, 'id'], message: 'duplicate family id' });
      }
      families.add(family.id);
      for (const [provider, ids] of Object.entries(family.members)) {
        for (const id of typeof ids === 'string' ? [ids] : ids) {
          const key = `${provider}\u0000${id}`;
          const other = owner.get(key);
          if (other !== undefined && other !== family.id) {
            ctx.addIssue({
              code: 'custom',
              path: ['families', index, 'members', provider],
              message: `${provider} model "${id}" is already in family "${other}"`,
            });
          }
          owner.set(key, family.id);
        }
      }
    });
  });

export type ModelFamily = z.infer<typeof modelFamilySchema>;
export type ModelFamilyTable = z.infer<typeof modelFamilyTableSchema>;

export function defaultModelFamiliesPath(): string {
  return join(packageRoot(), 'registry', 'model-families.yaml');
}

export async function loadModelFamilies(path = defaultModelFamiliesPath()): Promise<ModelFamilyTable> {
  return loadYamlWithSchema(modelFamilyTableSchema, path);
}

/** Parses and validates the families YAML; throws `RegistryError`. */
export function parseModelFamilies(text: string, file: string): ModelFamilyTable {
  return parseYamlWithSchema(modelFamilyTableSchema, text, file);
}

/** The families read synchronously (for `createRotor()`; read once at start). */
export function loadModelFamiliesSync(path = defaultModelFamiliesPath()): ModelFamilyTable {
  return parseModelFamilies(readFileSync(path, 'utf8'), path);
}
