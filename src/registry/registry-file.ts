/**
 * Reading and writing the registry YAML. Loading keeps the parsed `yaml` Document next to the
 * validated data, because writes edit that Document in place: comments, key order and blank lines
 * survive a `--write`. Every validation problem is reported with file, line, field and bad value.
 */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Document, LineCounter, ToStringOptions } from 'yaml';
import { packageRoot } from '../package-root.js';
import { type Registry, registrySchema } from './registry-schema.js';
import { displayPath, parseYamlDocument, readYamlText, validateYamlDocument } from './yaml-validate.js';

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
  return parseRegistry(await readYamlText(path), path);
}

/** Parses and validates registry YAML; `file` is only used in error messages. */
export function parseRegistry(text: string, file: string): LoadedRegistry {
  const shownFile = displayPath(file);
  const { document, lineCounter } = parseYamlDocument(text, shownFile);
  const registry = validateDocument(document, shownFile, lineCounter);
  return { registry, document, file };
}

/**
 * Validates a Document against the schema. Without a `lineCounter` (a Document edited in memory)
 * problems carry no line.
 */
export function validateDocument(document: Document, file: string, lineCounter?: LineCounter): Registry {
  return validateYamlDocument(registrySchema, document, file, lineCounter);
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
