/**
 * Loading the provider catalog (`registry/providers.yaml`, beside the model registry). Every
 * problem is reported as `file:line: field: message`, the same way as the model registry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { loadYamlWithSchema, parseYamlWithSchema } from '../registry/yaml-validate.js';
import { type ProviderCatalog, providerCatalogSchema } from './provider-catalog-schema.js';

/** The catalog shipped with rotor. */
export function defaultProviderCatalogPath(): string {
  return join(packageRoot(), 'registry', 'providers.yaml');
}

export async function loadProviderCatalog(path = defaultProviderCatalogPath()): Promise<ProviderCatalog> {
  return loadYamlWithSchema(providerCatalogSchema, path);
}

/** Parses and validates catalog YAML; `file` is only used in error messages. Throws `RegistryError`. */
export function parseProviderCatalog(text: string, file: string): ProviderCatalog {
  return parseYamlWithSchema(providerCatalogSchema, text, file);
}

/** The catalog read synchronously (for `createRotor()`, which is synchronous; read once at start). */
export function loadProviderCatalogSync(path = defaultProviderCatalogPath()): ProviderCatalog {
  return parseProviderCatalog(readFileSync(path, 'utf8'), path);
}
