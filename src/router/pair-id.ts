/**
 * The engine's id of a (provider, model) pair. OpenRouter's models keep their bare ids, so every
 * existing configuration, registry and state keeps working; any other provider's model is
 * `<providerId>:<modelId>` (`groq:llama-3.3-70b-versatile`, `nvidia:meta/llama-3.3-70b-instruct`).
 * OpenRouter's own ids never start with a provider id and `:` (they are `vendor/model[:variant]`),
 * so the two cannot collide. `openrouter:<id>` is accepted as another name for `<id>`.
 */

export const OPENROUTER_PROVIDER = 'openrouter';

/** `groq` + `llama-3.3-70b-versatile` → `groq:llama-3.3-70b-versatile`; OpenRouter's ids stay bare. */
export function pairId(provider: string, model: string): string {
  return provider === OPENROUTER_PROVIDER ? model : `${provider}:${model}`;
}

/**
 * The provider and its model id, when `id` starts with one of `providers` and `:`. OpenRouter's
 * bare ids (and unknown prefixes) give undefined; `openrouter:<id>` gives OpenRouter's `<id>`.
 */
export function splitPairId(
  id: string,
  providers: ReadonlySet<string>,
): { provider: string; model: string } | undefined {
  const colon = id.indexOf(':');
  if (colon <= 0) return undefined;
  const provider = id.slice(0, colon);
  if (provider !== OPENROUTER_PROVIDER && !providers.has(provider)) return undefined;
  const model = id.slice(colon + 1);
  return model === '' ? undefined : { provider, model };
}

/** `openrouter:<id>` → `<id>`; anything else unchanged. */
export function normalizePairId(id: string): string {
  const prefix = `${OPENROUTER_PROVIDER}:`;
  return id.startsWith(prefix) && id.length > prefix.length ? id.slice(prefix.length) : id;
}
