/**
 * Parsing a YAML file and validating it against a zod schema, with every problem reported as
 * file, line, field and bad value. Shared by the model registry and the provider catalog, so both
 * point at the line to fix in the same words.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { type Document, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { formatPath, valueAt } from '../describe-value.js';
import { RegistryError, type RegistryProblem } from './registry-error.js';
import { type DataPath, lineOfPath } from './yaml-location.js';

export interface ParsedYaml {
  document: Document;
  lineCounter: LineCounter;
}

/** Reads a YAML file's text; a missing or unreadable file throws a `RegistryError` naming it. */
export async function readYamlText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new RegistryError([{ file: displayPath(path), field: '', message: `cannot read: ${reason}` }], {
      cause: err,
    });
  }
}

/** Parses YAML text; syntax errors throw a `RegistryError` naming `file` and the line. */
export function parseYamlDocument(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true });
  if (document.errors.length > 0) {
    throw new RegistryError(
      document.errors.map((error) => ({
        file,
        line: error.linePos?.[0].line,
        field: '',
        message: `invalid YAML: ${firstLine(error.message)}`,
      })),
    );
  }
  return { document, lineCounter };
}

/**
 * Validates a Document against `schema`. Without a `lineCounter` (a Document edited in memory)
 * problems carry no line.
 */
export function validateYamlDocument<S extends z.ZodType>(
  schema: S,
  document: Document,
  file: string,
  lineCounter?: LineCounter,
): z.infer<S> {
  const data: unknown = document.toJS();
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) =>
    toProblems(issue, data, document, file, lineCounter),
  );
  throw new RegistryError(problems);
}

/** Parses YAML text and validates it against `schema`; `file` is only used in error messages. */
export function parseYamlWithSchema<S extends z.ZodType>(schema: S, text: string, file: string): z.infer<S> {
  const shownFile = displayPath(file);
  const { document, lineCounter } = parseYamlDocument(text, shownFile);
  return validateYamlDocument(schema, document, shownFile, lineCounter);
}

/** Reads, parses and validates a YAML file against `schema`. Throws `RegistryError`. */
export async function loadYamlWithSchema<S extends z.ZodType>(schema: S, path: string): Promise<z.infer<S>> {
  return parseYamlWithSchema(schema, await readYamlText(path), path);
}

/** Relative to the working directory when the file is inside it, as people type paths. */
export function displayPath(path: string): string {
  const absolute = resolve(path);
  const fromCwd = relative(process.cwd(), absolute);
  return fromCwd && !fromCwd.startsWith('..') && !isAbsolute(fromCwd) ? fromCwd : path;
}

function toProblems(
  issue: z.core.$ZodIssue,
  data: unknown,
  document: Document,
  file: string,
  lineCounter: LineCounter | undefined,
): RegistryProblem[] {
  const line = (path: DataPath, key?: string) =>
    lineCounter === undefined ? undefined : lineOfPath(document, lineCounter, path, key);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      file,
      line: line(issue.path, key),
      field: formatPath([...issue.path, key]),
      message: 'unknown field',
    }));
  }
  const value = valueAt(data, issue.path);
  return [
    { file, line: line(issue.path), field: formatPath(issue.path), message: describeIssue(issue, value) },
  ];
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_value': {
      const expected = `one of ${issue.values.map(String).join('|')}`;
      return value === undefined
        ? `missing (expected ${expected})`
        : `expected ${expected}, got ${showValue(value)}`;
    }
    case 'invalid_type':
      return value === undefined
        ? `missing (expected ${issue.expected})`
        : `expected ${issue.expected}, got ${typeName(value)} ${showValue(value)}`;
    case 'invalid_key':
      // A bad map key: the field path already shows the key, so say what a key must look like.
      return `bad key: ${issue.issues[0]?.message ?? issue.message}`;
    default:
      return value === undefined ? issue.message : `${issue.message}, got ${showValue(value)}`;
  }
}

function showValue(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}
