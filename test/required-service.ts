/**
 * Tests that need a service from outside Node (Redis, Chromium) skip loudly on a developer machine
 * without it, but FAIL under CI (`CI` set, as `.ci/run` does): a CI run that silently skipped them
 * would report green for code it never ran.
 */
import { it } from 'vitest';

export type ServiceVerdict = 'run' | 'skip' | 'fail';

/** What to do, given why the service is unavailable (undefined: it is available) and the environment. */
export function serviceVerdict(
  problem: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ServiceVerdict {
  if (problem === undefined) return 'run';
  return env.CI && env.CI !== 'false' && env.CI !== '0' ? 'fail' : 'skip';
}

/**
 * Call at the top of a test file; returns whether its service tests must be skipped. Under CI an
 * unavailable service adds one failing test naming the problem (and the real tests are skipped, so
 * they do not each time out against nothing).
 */
export function skipWithoutService(name: string, problem: string | undefined): boolean {
  const verdict = serviceVerdict(problem);
  if (verdict === 'fail')
    it(`${name} is available (CI=${process.env.CI} requires it)`, () => {
      throw new Error(`${problem} — CI must not skip the ${name} tests`);
    });
  else if (verdict === 'skip') console.warn(`${problem} — ${name} tests skipped (they fail under CI)`);
  return verdict !== 'run';
}
