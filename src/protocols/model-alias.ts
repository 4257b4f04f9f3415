/**
 * What a model name an agent sends means to rotor. Agents name their own vendor's models
 * (`claude-sonnet-4-5`, `gpt-5-codex`); the alias map turns those into rotor models or `auto`.
 * Keys are exact names or patterns with `*` (any run of characters); an exact key wins, then the
 * longest matching pattern. A name no key matches is used as it is.
 */

/** Default: every Claude model name means "let rotor choose". */
export const DEFAULT_MODEL_ALIASES: Readonly<Record<string, string>> = { 'claude-*': 'auto' };

export function resolveModelAlias(model: string, aliases: Readonly<Record<string, string>>): string {
  const exact = aliases[model];
  if (exact !== undefined) return exact;
  let best: { pattern: string; target: string } | undefined;
  for (const [pattern, target] of Object.entries(aliases)) {
    if (!pattern.includes('*') || !globMatches(pattern, model)) continue;
    if (!best || pattern.length > best.pattern.length) best = { pattern, target };
  }
  return best?.target ?? model;
}

function globMatches(pattern: string, value: string): boolean {
  const parts = pattern.split('*');
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!value.startsWith(first) || value.length < first.length + last.length || !value.endsWith(last))
    return false;
  let at = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const found = value.indexOf(parts[i]!, at);
    if (found === -1 || found + parts[i]!.length > end) return false;
    at = found + parts[i]!.length;
  }
  return true;
}
