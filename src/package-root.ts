/** Where rotor's own files (registry, dashboard assets) live, from `src/` under vitest or `dist/` when built. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The directory holding rotor's `package.json`, found by walking up from this module. */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`rotor: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
