/** A `CommandIo` that records what a registry command prints, for in-process command tests. */
import type { CommandIo } from '../src/registry/command-io.js';

export type CapturedIo = CommandIo & { out: string[]; err: string[] };

export function captureIo(
  options: { colour?: boolean; env?: NodeJS.ProcessEnv; now?: () => Date } = {},
): CapturedIo {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    colour: options.colour ?? false,
    env: options.env ?? {},
    // A fixed day by default, so dates written into registries are stable in assertions.
    now: options.now ?? (() => new Date('2026-08-20T12:00:00Z')),
  };
}
