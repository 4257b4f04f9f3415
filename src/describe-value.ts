/**
 * Naming and echoing what a validation issue points at: the path as a reader writes it
 * (`messages[0].role`), the value found there, and a short, safe echo of it (masked when the field
 * holds a secret; secrets inside it redacted). Shared by every schema that reports bad input: requests, config, registry, scenarios.
 */
import { redact } from './redact.js';

/** `["messages", 0, "role"]` → `messages[0].role`; '' for the root. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** The value at `path` inside `input`, or undefined. */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** One line per issue for options and config files: `server.port: Invalid input … (got "eighty")`. */
export function issueLines(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  input: unknown,
): string[] {
  return issues.map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    return `${path}: ${issue.message}${describeValue(input, issue.path)}`;
  });
}

/** ` (got …)` for the value at `path`, or '' when there is none. Fields named like keys are masked. */
export function describeValue(input: unknown, path: readonly PropertyKey[], maxLength = 60): string {
  const value = valueAt(input, path);
  if (value === undefined) return '';
  const secret = path.some((key) => /key|secret|token|password/i.test(String(key)));
  let text = secret ? '"***"' : redact(JSON.stringify(value) ?? String(value));
  if (text.length > maxLength) text = `${text.slice(0, maxLength - 3)}...`;
  return ` (got ${text})`;
}
