/**
 * Where the real OpenRouter fixtures live: `test/fixtures/openrouter/` inside this repository
 * (provenance in the README there). Resolved from this file's own location and never above the
 * repository root, so a clone with nothing beside it finds everything it needs.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: this file lives in `<root>/test/`. */
export const repoRoot = dirname(dirname(fileURLToPath(import.meta.url)));

/** `test/fixtures/openrouter/` — real OpenRouter response bodies, each with its source. */
export function openRouterFixturesDir(): string {
  return join(repoRoot, 'test', 'fixtures', 'openrouter');
}

/** The real Aug 2026 `GET /models` snapshot (414 models). */
export function modelsSnapshotPath(): string {
  return join(openRouterFixturesDir(), 'models-2026-08.json');
}

/** `test/fixtures/providers/` — real error bodies of the other free-tier providers, each with its source. */
export function providerFixturesDir(): string {
  return join(repoRoot, 'test', 'fixtures', 'providers');
}
