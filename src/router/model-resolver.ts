/**
 * What a requested model name means when providers are pooled: the (provider, model) pairs that
 * may serve it, best first.
 *
 * - `fast`: the rotation, lowest observed latency (p50) first; models not yet measured keep their
 *   rotation order after the measured ones.
 * - `best`: the rotation, strongest first by the shipped quality ranking
 *   (`registry/model-quality.yaml`); unranked models follow in rotation order.
 * - A family (`llama-3.3-70b`), or any one provider's id for it (`llama-3.3-70b-versatile`,
 *   `meta-llama/llama-3.3-70b-instruct:free`, `groq:llama-3.3-70b-versatile`): every pooled pair
 *   of that family, in rotation order (the one named first when it is a pair).
 * - `openrouter:<id>` is `<id>`.
 * - A bare id one pooled provider serves (`llama-3.1-8b-instant` in no family): that pair.
 *
 * Anything else is returned as it is. Pure: what the engine knows comes in as functions.
 */
import type { FamilyResolver, ResolvedFamily } from '../providers/family-resolver.js';
import { normalizePairId, pairId, splitPairId } from './pair-id.js';

export interface ModelResolverDeps {
  families?: FamilyResolver | undefined;
  /** Providers pooled here (their pairs exist): `openrouter` when OpenRouter is an upstream. */
  providers: ReadonlySet<string>;
  /** Every model id the engine knows (rotation first). */
  knownModels(): readonly string[];
  /** The id the upstream knows `model` by. */
  upstreamIdOf(model: string): string;
  /** The provider (upstream) serving `model`. */
  providerOf(model: string): string;
  /** Observed latency p50, ms; undefined before any sample. */
  latencyMs(model: string): number | undefined;
  /** Quality score (higher is stronger); undefined when unranked. */
  quality(model: string): number | undefined;
}

/** Names that rank the whole rotation rather than naming a model. */
export const RANKING_ALIASES: ReadonlySet<string> = new Set(['fast', 'best']);

/** The pairs a name stands for, best first; `[name]` when it means nothing more. */
export function expandModelName(
  name: string,
  rotation: readonly string[],
  deps: ModelResolverDeps,
): string[] {
  if (name === 'fast') return rankBy(rotation, (m) => deps.latencyMs(m), 'ascending');
  if (name === 'best') return rankBy(rotation, (m) => deps.quality(m), 'descending');
  const id = normalizePairId(name);
  const family = familyOfName(id, deps);
  if (family) {
    const members = family.members
      .filter((m) => deps.providers.has(m.provider))
      .map((m) => pairId(m.provider, m.model));
    const position = new Map(rotation.map((m, i) => [m, i]));
    const ordered = members
      .map((m, i) => ({ m, at: position.get(m) ?? rotation.length + i }))
      .sort((a, b) => a.at - b.at)
      .map((x) => x.m);
    const named = splitPairId(id, deps.providers) ? [id] : [];
    const pairs = [...new Set([...named, ...ordered])];
    return pairs.length > 0 ? pairs : [id];
  }
  const known = deps.knownModels();
  if (known.includes(id)) return [id];
  const served = known.filter((m) => deps.upstreamIdOf(m) === id);
  return served.length > 0 ? served : [id];
}

/** The family of a family id/name, a provider's bare id, or a pair id. */
export function familyOfName(
  id: string,
  deps: Pick<ModelResolverDeps, 'families' | 'providers'>,
): ResolvedFamily | undefined {
  const families = deps.families;
  if (!families) return undefined;
  const pair = splitPairId(id, deps.providers);
  if (pair) return families.familyOf(pair.provider, pair.model);
  return families.resolve(id);
}

function rankBy(
  rotation: readonly string[],
  score: (model: string) => number | undefined,
  direction: 'ascending' | 'descending',
): string[] {
  const sign = direction === 'ascending' ? 1 : -1;
  return rotation
    .map((m, i) => ({ m, i, s: score(m) }))
    .sort((a, b) => {
      if (a.s === undefined || b.s === undefined) {
        if (a.s === undefined && b.s === undefined) return a.i - b.i;
        return a.s === undefined ? 1 : -1;
      }
      return sign * (a.s - b.s) || a.i - b.i;
    })
    .map((x) => x.m);
}
