/**
 * A request trace replayed in virtual time, the same for every virtual-time benchmark: each
 * request arrives at its time on a `ManualClock`, runs alongside the others, and the clock jumps
 * from one sleep to the next, so a simulated day takes seconds and is the same on every run.
 */

/**
 * Start request `i` at `arrivalsMs[i]` (clock time) through `handle(i, { arrivedMs, deadlineAt })`
 * (`deadlineAt`: arrival + `deadlineMs`); resolves, when all are done, to each request's
 * `settle(result, { arrivedMs, deadlineAt })` (called at the clock time it finished) or, when
 * `handle` threw, `crashed(err)`.
 */
export async function replayInVirtualTime(clock, arrivalsMs, deadlineMs, { handle, settle, crashed }) {
  const results = new Array(arrivalsMs.length);
  let pending = arrivalsMs.length;
  const arrivals = (async () => {
    for (let i = 0; i < arrivalsMs.length; i++) {
      await clock.sleep(arrivalsMs[i] - clock.now());
      const arrival = { arrivedMs: clock.now(), deadlineAt: clock.now() + deadlineMs };
      handle(i, arrival).then(
        (r) => {
          results[i] = settle(r, arrival);
          pending--;
        },
        (err) => {
          results[i] = crashed(err);
          pending--;
        },
      );
    }
  })();
  let idle = 0;
  while (pending > 0) {
    if (clock.pendingSleeps > 0) {
      idle = 0;
      await clock.runNext();
    } else {
      await new Promise((r) => setImmediate(r));
      if (++idle > 10_000)
        throw new Error(`replay stuck with ${pending} requests pending and nothing asleep`);
    }
  }
  await arrivals;
  return results;
}
