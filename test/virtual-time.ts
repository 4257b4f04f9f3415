/** Running real async work against a `ManualClock`: skip virtual time forward whenever only sleeps are pending. */
import type { ManualClock } from '../src/engine/clock.js';

export async function drive<T>(clock: ManualClock, promise: Promise<T>): Promise<T> {
  let done = false;
  const settle = () => {
    done = true;
  };
  promise.then(settle, settle);
  while (!done) {
    if (clock.pendingSleeps > 0) await clock.runNext();
    // Sockets may be involved: give I/O a turn before looking again.
    else await new Promise((r) => setTimeout(r, 1));
  }
  return promise;
}
