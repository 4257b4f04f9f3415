/**
 * Echoing a bad value in a validation message, shortly and safely: the value found at a zod
 * issue's path, JSON-encoded and cut to a readable length, masked when the field holds a secret.
 */

/** The value at `path` inside `input`, or undefined. */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** ` (got …)` for the value at `path`, or '' when there is none. Fields named like keys are masked. */
export function describeValue(input: unknown, path: readonly PropertyKey[], maxLength = 60): string {
  const value = valueAt(input, path);
  if (value === undefined) return '';
  const secret = path.some((key) => /key|secret|token|password/i.test(String(key)));
  let text = secret ? '"***"' : (JSON.stringify(value) ?? String(value));
  if (text.length > maxLength) text = `${text.slice(0, maxLength - 3)}...`;
  return ` (got ${text})`;
}
