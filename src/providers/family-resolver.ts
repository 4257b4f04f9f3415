/**
 * Resolving what a request names — a family (`llama-3.3-70b`, or its display name), or any one
 * provider's id for it (`llama-3.3-70b-versatile`, `meta-llama/llama-3.3-70b-instruct:free`) — to
 * every (provider, model) pair that serves it. Exact matches first; then case-insensitive, since
 * providers disagree on case (`Meta-Llama-3.3-70B-Instruct`). Pure and built once per table.
 */
import type { ModelFamilyTable } from './model-family-table.js';

/** One provider's id for a model. */
export interface ProviderModel {
  provider: string;
  model: string;
}

export interface ResolvedFamily {
  family: string;
  name: string;
  /** Table order: providers as listed in the family. */
  members: ProviderModel[];
}

export interface FamilyResolver {
  /** The family `name` belongs to, or undefined for a model in no family. */
  resolve(name: string): ResolvedFamily | undefined;
  /** The family of one provider's model id (ids are only unique per provider). */
  familyOf(provider: string, model: string): ResolvedFamily | undefined;
  /** Every family, for `GET /v1/models`. */
  families(): ResolvedFamily[];
}

export function createFamilyResolver(table: ModelFamilyTable): FamilyResolver {
  const all: ResolvedFamily[] = table.families.map((f) => ({
    family: f.id,
    name: f.name,
    members: Object.entries(f.members).flatMap(([provider, ids]) =>
      (typeof ids === 'string' ? [ids] : ids).map((model) => ({ provider, model })),
    ),
  }));
  const exact = new Map<string, ResolvedFamily>();
  const folded = new Map<string, ResolvedFamily>();
  const byProviderModel = new Map<string, ResolvedFamily>();
  const add = (key: string, family: ResolvedFamily) => {
    if (!exact.has(key)) exact.set(key, family);
    const lower = key.toLowerCase();
    if (!folded.has(lower)) folded.set(lower, family);
  };
  // Family ids and names first, so they win over a provider id that happens to look the same.
  for (const family of all) {
    add(family.family, family);
    add(family.name, family);
  }
  for (const family of all) {
    for (const m of family.members) {
      add(m.model, family);
      byProviderModel.set(`${m.provider}\u0000${m.model}`, family);
    }
  }
  return {
    resolve: (name) => {
      const key = name.trim();
      return exact.get(key) ?? folded.get(key.toLowerCase());
    },
    familyOf: (provider, model) => byProviderModel.get(`${provider}\u0000${model}`),
    families: () => all,
  };
}
