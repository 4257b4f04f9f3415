/**
 * The one redaction rule for every text that can leave the process: config errors (and the YAML
 * excerpts in them), logs, error bodies, status and live events. A secret is shown at most as its
 * well-known prefix and last four characters (`sk-or-v1-…EF12`), enough to tell two keys apart and
 * never enough to use one. It catches secrets by shape (`sk-…` keys, `Bearer …`, a URL's password,
 * `apiKey: …`-style fields) and every literal registered with `registerSecret` (the configured
 * upstream key, client keys, the Redis password), whatever their shape.
 */

/** Secrets shorter than this are too short to be worth a tail: they show as `***`. */
const MIN_TAIL_LENGTH = 16;
const PREFIXES = [/^sk-or-v\d+-/, /^sk-ant-(?:[a-z]+\d+-)?/, /^sk-proj-/, /^sk-/];

const known = new Set<string>();

/** Every literal registered here is masked wherever it appears (process-wide: secrets stay secret). */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value === 'string' && value.trim().length >= 4) known.add(value.trim());
}

/** `sk-or-v1-0123…cdef` → `sk-or-v1-…cdef`; short or unknown-shaped secrets → `…cdef` or `***`. */
export function maskSecret(secret: string): string {
  if (secret.length < MIN_TAIL_LENGTH) return '***';
  const prefix = PREFIXES.map((re) => re.exec(secret)?.[0]).find((p) => p !== undefined) ?? '';
  return `${prefix}…${secret.slice(-4)}`;
}

const SHAPES: ReadonlyArray<[RegExp, (match: string, ...groups: string[]) => string]> = [
  // `sk-…` API keys (OpenRouter `sk-or-v1-…`, OpenAI, Anthropic).
  [/\bsk-[A-Za-z0-9_-]{8,}/g, (m) => maskSecret(m)],
  // Authorization schemes with a credential, any case.
  [/\b(bearer|basic)(\s+)([A-Za-z0-9._~+/=-]{4,})/gi, (_m, s, sp, v) => `${s}${sp}${maskSecret(v!)}`],
  // A URL's password: `redis://user:pass@host`.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)([^\s@/]+)@/gi, (_m, head) => `${head}***@`],
  // Fields named like secrets, in YAML, JSON and logfmt: `apiKey: x`, `"password":"x"`, `secret=x`.
  [
    /\b((?:api[_-]?key|password|passwd|secret|token|authorization)["']?\s*[:=]\s*["']?)(?!(?:bearer|basic)\s)([^\s"',}&]{4,})/gi,
    (m, head, v) => (v!.includes('…') ? m : `${head}${maskSecret(v!)}`),
  ],
  // A client key in a query string (`?key=…`).
  [/([?&]key=)([^&\s"#]{4,})/gi, (m, head, v) => (v!.includes('…') ? m : `${head}${maskSecret(v!)}`)],
  // OpenRouter account ids (`user_35tI40u3…`): letters and at least one digit after `user_`.
  [/\buser_(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{4,}/g, () => 'user_…'],
];

/** `text` with every secret masked; `extra` adds literals to mask for this call only. */
export function redact(text: string, extra?: readonly (string | undefined)[]): string {
  let out = text;
  const literals = extra ? [...known, ...extra] : known;
  for (const k of literals) {
    if (k && k.length >= 4 && out.includes(k)) out = out.split(k).join(maskSecret(k));
  }
  for (const [re, replace] of SHAPES) out = out.replace(re, replace as (m: string) => string);
  return out;
}

/** A JSON-able value with every string redacted (for status snapshots and events). */
export function redactJson<T>(value: T): T {
  const text = JSON.stringify(value);
  if (text === undefined) return value;
  const clean = redact(text);
  return clean === text ? value : (JSON.parse(clean) as T);
}

/** A value for a message: at most `maxChars` characters, with how much was cut. */
export function clip(text: string, maxChars = 200): string {
  return text.length <= maxChars
    ? text
    : `${text.slice(0, maxChars)}… (${text.length - maxChars} more characters)`;
}
