/** What one request did (its attempts, the answering model, its waits), and the small rules every part of the loop shares. */
import type { Clock } from '../engine/clock.js';
import { type AttemptRecord, CancelledError } from '../errors.js';

/** What a request did, readable while it runs and after. */
export class ChatRun {
  readonly attempts: AttemptRecord[] = [];
  /** The model that answered (set when the answer is committed or completed). */
  model: string | undefined;
  /** Total time spent waiting for availability, ms. */
  waitedMs = 0;
}

export type LoopMode = 'stream' | 'collect';

/** Attempts that ended with a verdict on the model (a cancelled one has none): what the cap counts. */
export function attemptsMade(attempts: readonly AttemptRecord[]): number {
  let n = 0;
  for (let i = 0; i < attempts.length; i++) if (attempts[i]!.outcome !== 'cancelled') n++;
  return n;
}

export function cancelled(run: ChatRun, cause?: unknown): CancelledError {
  return new CancelledError('The request was cancelled by the caller', {
    attempts: run.attempts,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Sleep; a cancelled sleep is the request's cancellation. */
export async function sleepOrCancel(
  clock: Clock,
  ms: number,
  signal: AbortSignal | undefined,
  run: ChatRun,
): Promise<void> {
  try {
    await clock.sleep(ms, signal);
  } catch (err) {
    throw cancelled(run, err);
  }
}
