/** Reading one response header from whatever shape the caller has (undici's lower-case record, a fixture's mixed case). */
import type { HeaderMap } from '../upstream/classify.js';

export type { HeaderMap };

/** The header's first value, trimmed, matched case-insensitively; undefined when absent or empty. */
export function headerText(
  headers: HeaderMap | Readonly<Record<string, unknown>>,
  name: string,
): string | undefined {
  const lower = name.toLowerCase();
  let value: unknown = headers[lower];
  if (value === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === lower) {
        value = headers[key];
        break;
      }
    }
  }
  if (Array.isArray(value)) value = value[0];
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return text === '' ? undefined : text;
}
