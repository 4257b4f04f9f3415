/**
 * Where the real OpenRouter fixtures live: `shared/fixtures/openrouter/` beside the repository
 * (the CI clone gets a copy of shared/ next to it). Found by walking up, so any checkout depth works.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function sharedFixturesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'shared', 'fixtures', 'openrouter');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('shared/fixtures/openrouter not found above the repository');
    dir = parent;
  }
}

/** The real Aug 2026 `GET /models` snapshot (414 models). */
export function modelsSnapshotPath(): string {
  return join(sharedFixturesDir(), 'models-2026-08.json');
}
