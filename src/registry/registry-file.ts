/**
 * Reading and writing the registry YAML. Loading keeps the parsed `yaml` Document next to the
 * validated data, because writes edit that Document in place: comments, key order and blank lines
 * survive a `--write`. Every validation problem is reported with file, line, field and bad value.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { type Document, LineCounter, parseDocument, type ToStringOptions } from 'yaml';
import type { z } from 'zod';
import { formatPath, valueAt } from '../describe-value.js';
import { packageRoot } from '../package-root.js';
import { RegistryError, type RegistryProblem } from './registry-error.js';
import { type Registry, registrySchema } from './registry-schema.js';
import { type DataPath, lineOfPath } from './yaml-location.js';

export interface LoadedRegistry {
  /** The validated registry, defaults applied. */
  registry: Registry;
  /** The parsed YAML, for comment-preserving edits (see `registry-edit.ts`). */
  document: Document;
  /** The file it came from (as given). */
  file: string;
}

/** `lineWidth: 0` stops the writer from folding long lines the author wrote on one line. */
const STRINGIFY_OPTIONS: ToStringOptions = { lineWidth: 0 };

/** The registry shipped with rotor: `registry/free-models.yaml` at the package root. */
export function defaultRegistryPath(): string {
  return join(packageRoot(), 'registry', 'free-models.yaml');
}

export async function loadRegistry(path: string): Promise<LoadedRegistry> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new RegistryError([{ file: displayPath(path), field: '', message: `cannot read: ${reason}` }], {
      cause: err,
    });
  }
  return parseRegistry(text, path);
}

/** Parses and validates registry YAML; `file` is only used in error messages. */
export function parseRegistry(text: string, file: string): LoadedRegistry {
  const shownFile = displayPath(file);
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true });
  if (document.errors.length > 0) {
    throw new RegistryError(
      document.errors.map((error) => ({
        file: shownFile,
        line: error.linePos?.[0].line,
        field: '',
        message: `invalid YAML: ${firstLine(error.message)}`,
      })),
    );
  }
  const registry = validateDocument(document, shownFile, lineCounter);
  return { registry, document, file };
}

/**
 * Validates a Document against the schema. Without a `lineCounter` (a Document edited in memory)
 * problems carry no line.
 */
export function validateDocument(document: Document, file: string, lineCounter?: LineCounter): Registry {
  const data: unknown = document.toJS();
  const result = registrySchema.safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) =>
    toProblems(issue, data, document, file, lineCounter),
  );
  throw new RegistryError(problems);
}

/** The Document as text, formatted the way the shipped file is written. */
export function stringifyRegistry(document: Document): string {
  return document.toString(STRINGIFY_OPTIONS);
}

/**
 * Validates, then writes atomically (temp file + rename) so a crash never leaves half a registry.
 * An invalid Document is refused: the file on disk stays as it was.
 */
export async function saveRegistry(path: string, document: Document): Promise<void> {
  validateDocument(document, displayPath(path));
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, stringifyRegistry(document), 'utf8');
  await rename(temp, path);
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

/** Relative to the working directory when the file is inside it, as people type paths. */
function displayPath(path: string): string {
  const absolute = resolve(path);
  const fromCwd = relative(process.cwd(), absolute);
  return fromCwd && !fromCwd.startsWith('..') && !isAbsolute(fromCwd) ? fromCwd : path;
}
