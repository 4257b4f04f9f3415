/**
 * The user's provider settings (the `providers:` section of rotor.yaml, keyed by id) on top of the
 * shipped catalog: a known id overrides any field of that provider (objects merge key by key,
 * arrays and values replace whole), an unknown id adds a provider (then every required field must
 * be given). The result is validated with the catalog's own schema, so an override can never
 * produce a provider the catalog would reject. Pure: the config comes in as an argument.
 */
import { z } from 'zod';
import { formatPath } from '../describe-value.js';
import { RegistryError, type RegistryProblem } from '../registry/registry-error.js';
import { checkProvider, type ProviderCatalog, providerSchema } from './provider-catalog-schema.js';

/** `providers:` in rotor.yaml: id → fields to set. */
export const providerOverridesSchema = z.record(
  z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a lower-case provider id like "groq"'),
  z.record(z.string(), z.unknown()),
);
export type ProviderOverrides = z.infer<typeof providerOverridesSchema>;

/**
 * The catalog with `overrides` applied. Throws `RegistryError` listing every problem as
 * `<source>: providers.<id>.<field>: message`.
 */
export function mergeProviderOverrides(
  catalog: ProviderCatalog,
  overrides: unknown,
  source = 'rotor.yaml',
): ProviderCatalog {
  if (overrides === undefined || overrides === null) return catalog;
  const problems: RegistryProblem[] = [];
  const report = (path: readonly PropertyKey[], message: string) =>
    problems.push({ file: source, field: formatPath(['providers', ...path]), message });
  const shape = providerOverridesSchema.safeParse(overrides);
  if (!shape.success) {
    for (const issue of shape.error.issues) {
      // A bad id: zod nests the key's own message.
      report(
        issue.path,
        issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message,
      );
    }
    throw new RegistryError(problems);
  }
  const providers = [...catalog.providers];
  for (const [id, fields] of Object.entries(shape.data)) {
    if (fields['id'] !== undefined && fields['id'] !== id) {
      report([id, 'id'], `must be "${id}" (the key it is written under) or left out`);
      continue;
    }
    const index = providers.findIndex((p) => p.id === id);
    const merged = index >= 0 ? deepMerge(providers[index], fields) : { ...fields, id };
    const result = providerSchema.safeParse(merged);
    if (!result.success) {
      for (const issue of result.error.issues) {
        if (issue.code === 'unrecognized_keys') {
          for (const key of issue.keys) report([id, ...issue.path, key], 'unknown field');
        } else {
          report([id, ...issue.path], issue.message);
        }
      }
      continue;
    }
    checkProvider(result.data, (path, message) => report([id, ...path], message));
    if (index >= 0) providers[index] = result.data;
    else providers.push(result.data);
  }
  if (problems.length > 0) throw new RegistryError(problems);
  return { ...catalog, providers };
}

/** Objects merge key by key; anything else (arrays included) in `over` replaces `base`. */
function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = key in out ? deepMerge(out[key], value) : value;
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
