/** The fixture locations under their first names, kept for existing imports (see repo-fixtures.ts). */
import { modelsSnapshotPath, openRouterFixturesDir } from './repo-fixtures.js';

/** `test/fixtures/openrouter/` inside the repository — the same as `openRouterFixturesDir()`. */
export function sharedFixturesDir(): string {
  return openRouterFixturesDir();
}

export { modelsSnapshotPath };
