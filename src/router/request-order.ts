/**
 * The order in which one request tries models: `model: "auto"` walks the rotation; a named model
 * is tried first, then the rotation; an OpenRouter-style `models: [...]` array is the request's own
 * order (with a named `model` first if it is not already in it).
 */
import type { ChatRequest } from '../chat/chat-request-schema.js';

/** Model names that mean "let rotor choose". */
export const AUTO_MODELS: ReadonlySet<string> = new Set([
  'auto',
  'rotor/auto',
  'openai/auto',
  'openrouter/auto',
  'rotor',
]);

export function isAutoModel(model: string): boolean {
  return AUTO_MODELS.has(model);
}

/**
 * `expand` (pooled providers, see `model-resolver.ts`) turns one name into the pairs it stands
 * for — a family, `fast`, `best`; without it every name is itself.
 */
export function requestOrder(
  request: Pick<ChatRequest, 'model' | 'models'>,
  rotation: readonly string[],
  expand?: (name: string) => string[],
): string[] {
  const named = isAutoModel(request.model) ? undefined : request.model;
  const names = (ids: readonly string[]) => (expand ? ids.flatMap((id) => expand(id)) : ids);
  if (request.models && request.models.length > 0) {
    return dedupe(names(named ? [named, ...request.models] : request.models));
  }
  if (!named) return [...rotation];
  return dedupe([...names([named]), ...rotation]);
}

function dedupe(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}
