/**
 * Upstream error text ends up in client responses and logs. Some providers echo the key
 * ("Incorrect API key provided: sk-or-v1-…") and OpenRouter attaches account user ids; strip both.
 */

const SECRET_PATTERNS: readonly RegExp[] = [
  // API keys in the common `sk-…` family (OpenAI, OpenRouter `sk-or-v1-…`, Anthropic `sk-ant-…`).
  /\bsk-[A-Za-z0-9_-]{8,}/g,
  /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi,
  // OpenRouter account ids (`user_35tI40u3…`): letters and at least one digit after `user_`.
  /\buser_(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{4,}/g,
];

/** Replace secrets and user ids in `text` with `[redacted]`; also every literal in `known` (e.g. the configured key). */
export function redactSecrets(text: string, known?: readonly (string | undefined)[]): string {
  let out = text;
  if (known) {
    for (const k of known) if (k && k.length >= 4 && out.includes(k)) out = out.split(k).join('[redacted]');
  }
  for (const re of SECRET_PATTERNS) out = out.replace(re, '[redacted]');
  return out;
}
