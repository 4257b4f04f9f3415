/**
 * What the registry commands read from and write to, injectable so tests run them in-process
 * without touching the real stdout, environment or clock.
 */
import { colourEnabled } from './format-table.js';

export interface CommandIo {
  /** Writes one line or block; a newline is added. */
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stdout gets ANSI colours. */
  colour: boolean;
  env: NodeJS.ProcessEnv;
  now: () => Date;
}

export function processIo(): CommandIo {
  return {
    stdout: (text) => process.stdout.write(`${text}\n`),
    stderr: (text) => process.stderr.write(`${text}\n`),
    colour: colourEnabled(process.stdout, process.env),
    env: process.env,
    now: () => new Date(),
  };
}

/** `2026-08-20` (UTC). */
export function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
