/**
 * `reconcileProviderPairs()`, pure: one pooled provider's pairs against its live model list. The
 * provider's rotation stays what the catalog (or the config) says — its list also names models
 * that are not chat models (Gemini's embeddings, Groq's Whisper), so nothing is added from it —
 * but a pair whose model the list no longer names is retired, and comes back when it is listed
 * again. The same rule as OpenRouter's: a pair retired by a 404 in traffic while still listed stays
 * retired (the list does not prove it answers again); once a check finds it unlisted, it returns
 * like the others when it reappears.
 */
import type { ModelProfile } from '../engine/engine-types.js';
import type { ListedModel } from '../providers/provider-model-list.js';
import type { RetiredBy } from './reconcile-rotation.js';

/** The reason's start for a pair the list retired: it is how a restart still tells list from traffic. */
export const NOT_LISTED_PREFIX = 'no longer listed by';

export interface ProviderPair {
  /** The engine's id: `groq:llama-3.1-8b-instant`. */
  id: string;
  /** The provider's own id for the model. */
  upstreamId: string;
  /** Retired now, and why; absent when in service. */
  retired?: RetiredBy;
}

export interface ProviderPairsInput {
  provider: string;
  pairs: readonly ProviderPair[];
  listed: readonly ListedModel[];
  /** Where the list came from, for reasons. */
  url: string;
  atMs: number;
}

export type ProviderPairChange =
  | { type: 'retired'; model: string; reason: string }
  | { type: 'restored'; model: string; reason: string };

export type ProviderPairsResult =
  | {
      ok: true;
      retired: { id: string; reason: string }[];
      restored: { id: string; reason: string }[];
      /** Context windows the list tells, for the engine's capability filter. */
      profiles: ModelProfile[];
      /** After this run: retired pairs the list brings back when it names them again. */
      retiredByList: string[];
      changes: ProviderPairChange[];
    }
  | { ok: false; error: string };

export function reconcileProviderPairs(input: ProviderPairsInput): ProviderPairsResult {
  const { provider, pairs, url } = input;
  const checked = `${url}, checked ${new Date(input.atMs).toISOString()}`;
  const listed = new Map(input.listed.map((m) => [m.id, m]));
  // A list that names none of the provider's pairs is far more likely a glitch (a wrong page, an
  // empty answer) than every model gone at once; traffic's 404s retire a pair that really is gone.
  if (pairs.length > 0 && !pairs.some((p) => listed.has(p.upstreamId))) {
    return {
      ok: false,
      error:
        input.listed.length === 0
          ? `the model list from ${url} is empty; keeping ${provider}'s pairs`
          : `the model list from ${url} names none of ${provider}'s ${pairs.length} pair(s); keeping them`,
    };
  }
  const retired: { id: string; reason: string }[] = [];
  const restored: { id: string; reason: string }[] = [];
  const retiredByList: string[] = [];
  const changes: ProviderPairChange[] = [];
  const profiles: ModelProfile[] = [];
  for (const pair of pairs) {
    const model = listed.get(pair.upstreamId);
    const usable = model?.free === true;
    if (model?.contextLength !== undefined)
      profiles.push({ id: pair.id, contextLength: model.contextLength });
    if (!usable) {
      if (pair.retired === undefined) {
        const reason =
          model === undefined
            ? `${NOT_LISTED_PREFIX} ${provider} at ${checked}`
            : `listed by ${provider} but not free by its catalog rule, at ${checked}`;
        retired.push({ id: pair.id, reason });
        changes.push({ type: 'retired', model: pair.id, reason });
      }
      retiredByList.push(pair.id);
    } else if (pair.retired === 'list') {
      const reason = `listed again by ${provider} at ${checked}`;
      restored.push({ id: pair.id, reason });
      changes.push({ type: 'restored', model: pair.id, reason });
    }
  }
  return { ok: true, retired, restored, profiles, retiredByList, changes };
}
