/**
 * When nothing can take the request now: wait for the earliest recovery, or end with the honest
 * error. Both read the request's state; neither sends anything upstream.
 */
import type { Acquisition } from '../engine/engine-types.js';
import { isTransientModelFault } from '../engine/failure.js';
import type { RotorError, SkipReason } from '../errors.js';
import { attemptsMade, type ChatRun, sleepOrCancel } from './chat-run.js';
import type { LoopContext } from './loop-context.js';
import { earliestRecoveryMs, failedEverywhere, noCandidate, unavailable } from './loop-errors.js';
import type { RequestState } from './request-state.js';

/**
 * Wait for the earliest recovery if it fits the deadline, the queue limit and — once the request
 * has failed somewhere, when the wait is a retry — the retry budget; else end with the honest
 * error (429 for rate limits, 503 for failures, `Retry-After`). Models this request saw
 * rate-limited count with their cooldowns: after the wait they are candidates again.
 */
export async function waitForAvailability(
  ctx: LoopContext,
  acquisition: Extract<Acquisition, { ok: false }>,
  run: ChatRun,
  s: RequestState,
): Promise<void> {
  const { clock, options, engine } = ctx;
  const now = clock.now();
  const skipped = acquisition.skipped.map((x) =>
    x.reason === 'already_tried' && s.rateLimitedHere.has(x.model)
      ? (engine.unavailability(x.model, s.needs) ?? x)
      : x,
  );
  const retryAtMs = earliestRecoveryMs(skipped);
  if (retryAtMs === undefined && !acquisition.busy) {
    throw endOfRequest(ctx, run, s, 'every model was tried', skipped);
  }
  const polling = acquisition.busy && (retryAtMs === undefined || retryAtMs > now + options.busyPollMs);
  const waitUntil = polling ? now + options.busyPollMs : (retryAtMs as number);
  const waitMs = Math.max(0, waitUntil - now);
  const fitsDeadline = waitUntil < s.deadlineAt;
  const fitsQueue = run.waitedMs + waitMs <= options.maxQueueWaitMs;
  if (!fitsDeadline || !fitsQueue) throw unavailable(run.attempts, skipped, waitMs, now, s.deadlineMs);
  // Polling for a busy probe or slow-start slot is not a retry; waiting to try again after a failure is.
  if (!polling && attemptsMade(run.attempts) > 0 && !ctx.budget.tryRetry()) {
    throw unavailable(
      run.attempts,
      skipped,
      waitMs,
      now,
      s.deadlineMs,
      'and the retry budget allows no more waiting now (the rotation as a whole is failing)',
    );
  }
  await sleepOrCancel(clock, waitMs, s.signal, run);
  run.waitedMs += waitMs;
  if (!polling) {
    for (const m of s.rateLimitedHere) s.exclude.delete(m);
    s.rateLimitedHere.clear();
  }
}

/**
 * The request ends without an answer: the attempt cap is reached, or every candidate has failed
 * for it or is out. What the client hears is what happened — never a bare 502 for rate limits:
 * 429 when rate limits were the cause, 503 when the models are failing (cooling or broken), each
 * with `Retry-After` = the earliest recovery and every model's reason; a request-shaped failure
 * (context, features, auth) as itself.
 */
export function endOfRequest(
  ctx: LoopContext,
  run: ChatRun,
  s: RequestState,
  why: string,
  skippedNow?: SkipReason[],
): RotorError {
  const { lastFailure, failuresSeen } = s;
  const now = ctx.clock.now();
  if (s.deferred) return s.deferred;
  const transient =
    lastFailure === undefined ||
    lastFailure.kind === 'rate_limit' ||
    lastFailure.kind === 'overloaded' ||
    isTransientModelFault(lastFailure);
  if (s.terminal || !transient || failuresSeen.rateLimit + failuresSeen.other === 0)
    return noCandidate(run.attempts, skippedNow ?? [], lastFailure, s.terminal, now);
  const skipped: SkipReason[] = [];
  for (const m of s.order) {
    const gap = ctx.engine.unavailability(m, s.needs);
    if (gap) skipped.push(gap);
  }
  const retryAtMs = earliestRecoveryMs(skipped);
  return failedEverywhere(run.attempts, skipped, lastFailure, {
    byRateLimits: failuresSeen.other === 0,
    retryAfterMs: retryAtMs === undefined ? 1000 : retryAtMs - now,
    deadlineMs: s.deadlineMs,
    why,
  });
}
