/**
 * Builds `dist/` once before the suite, so tests can run the real `rotor` binary (signals, exit
 * codes, terminal output) exactly as users do.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  // The mutation check runs only tests that import the sources; it skips the build.
  if (process.env.ROTOR_TEST_SKIP_BUILD === '1') return;
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
}
