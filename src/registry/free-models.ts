/**
 * Which entries of OpenRouter's model list are free chat models that rotor can rotate across.
 *
 * The rule, in order:
 * 1. Free: the id ends in `:free`, or both the prompt and the completion price are exactly zero.
 *    (Routers use the price `-1`, meaning "depends on the model picked": not free.)
 * 2. Chat: the output modalities are text only. Models that also output audio are music/speech
 *    generators; in the Aug 2026 list those (Lyria) show zero token prices but are billed per song.
 * 3. Not a router: `openrouter/*` ids (e.g. `openrouter/free` picks a random free model — rotating
 *    into it would hide which model answered and duplicate models already in the rotation) and
 *    `~` aliases of other models.
 * 4. Not a content-safety classifier (`guard`, `safety`, `moderation` in the id): those answer
 *    "safe/unsafe", not the prompt.
 */

import { isFreeModelId } from '../engine/account-quota.js';
import type { ApiModel } from './openrouter-model.js';

export interface ExcludedModel {
  id: string;
  reason: string;
}

export interface FreeModelSelection {
  /** Free chat models, in the list's order. */
  models: ApiModel[];
  /** Free (by rule 1) but excluded by rules 2–4, with why. Paid models are not listed. */
  excluded: ExcludedModel[];
}

export function selectFreeModels(models: readonly ApiModel[]): FreeModelSelection {
  const selection: FreeModelSelection = { models: [], excluded: [] };
  for (const model of models) {
    if (!isFreeModel(model.id, model.pricing)) continue;
    const reason = exclusionReason(model);
    if (reason === undefined) selection.models.push(model);
    else selection.excluded.push({ id: model.id, reason });
  }
  return selection;
}

/** Rule 1: a `:free` id, or zero prompt and completion price. Also used for registry entries. */
export function isFreeModel(id: string, pricing?: { prompt?: string; completion?: string } | null): boolean {
  if (isFreeModelId(id)) return true;
  return isZeroPrice(pricing?.prompt) && isZeroPrice(pricing?.completion);
}

function isZeroPrice(price: string | undefined): boolean {
  return price !== undefined && price.trim() !== '' && Number(price) === 0;
}

/** Rules 2–4; undefined when the model qualifies. */
function exclusionReason(model: ApiModel): string | undefined {
  const outputs = model.architecture?.output_modalities ?? ['text'];
  if (!outputs.includes('text')) return `does not output text (outputs ${outputs.join(', ')})`;
  const extra = outputs.filter((modality) => modality !== 'text');
  if (extra.length > 0) return `not a chat model (also outputs ${extra.join(', ')})`;
  if (model.id.startsWith('openrouter/')) return 'a router over other models, not a model';
  if (model.id.startsWith('~')) return 'an alias of another model';
  if (/guard|safety|moderation/i.test(model.id.slice(model.id.indexOf('/') + 1))) {
    return 'a content-safety classifier, not a chat model';
  }
  return undefined;
}
