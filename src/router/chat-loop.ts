/**
 * One request's journey: pick a model, call it, classify the outcome, decide, repeat — inside one
 * deadline and one attempt cap, as the rotation contract in docs/design.md lays out.
 *
 * The upstream is always streamed. Each attempt's *head* (up to its first content chunk) is read
 * on its own (`LiveAttempt`), so a silent attempt can be *hedged*: after its model's hedge delay
 * the same request starts on the next available model, and whichever shows content first is
 * followed; the other is cancelled. In `stream` mode the answer is committed when the winner's
 * first content chunk is handed out: before that rotor may fail over freely, after it a failure
 * becomes an in-band error chunk (`finish_reason: "error"`) and the stream ends — or, with
 * `streaming.continueAfterCut`, the next model is asked to continue the text. In `collect` mode
 * nothing is handed out until an attempt completes, so even a failure mid-answer can fail over.
 */
import type { ChatRequest } from '../chat/chat-request-schema.js';
import type { ChatCompletionChunk } from '../chat/chat-types.js';
import { forgetRawChunkText } from '../chat/raw-chunk-text.js';
import { requestNeeds } from '../chat/request-needs.js';
import { startTimer } from '../engine/clock.js';
import type { Lease, RequestNeeds } from '../engine/engine-types.js';
import type { Failure } from '../engine/failure.js';
import type { Random } from '../engine/random.js';
import { InvalidRequestError } from '../errors.js';
import { UpstreamFailure } from '../upstream/upstream-client.js';
import { attemptsMade, type ChatRun, cancelled, type LoopMode, sleepOrCancel } from './chat-run.js';
import { coordinate, probesBusy, union } from './coordinate-attempt.js';
import { decide } from './decide-after-failure.js';
import { type HeadResult, LiveAttempt } from './live-attempt.js';
import type { ChatCallOptions, LoopContext } from './loop-context.js';
import { deadlineError } from './loop-errors.js';
import { clampOutput, outputLimit } from './output-limit.js';
import { PartialAnswer, prefillBody } from './partial-answer.js';
import { requestOrder } from './request-order.js';
import type { RequestState } from './request-state.js';
import { errorChunk, hasContent } from './stream-chunks.js';
import { endOfRequest, waitForAvailability } from './wait-or-end.js';

export { attemptsMade, ChatRun, type LoopMode } from './chat-run.js';
export type { ChatCallOptions, LoopContext } from './loop-context.js';

const ROTOR_FIELDS = new Set(['model', 'models', 'stream', 'stream_options']);

/** The request's chunks one by one (see `runChatBatches`). */
export async function* runChat(
  ctx: LoopContext,
  request: ChatRequest,
  run: ChatRun,
  call: ChatCallOptions,
  mode: LoopMode,
): AsyncGenerator<ChatCompletionChunk, void, undefined> {
  for await (const batch of runChatBatches(ctx, request, run, call, mode)) {
    for (let i = 0; i < batch.length; i++) yield batch[i]!;
  }
}

/**
 * The request's chunks in the groups they arrived in (each non-empty). Chunks move between the
 * upstream, this loop and the gateway as arrays: every async-generator hop costs several
 * microtasks, and paying them per socket read rather than per chunk cut a sixth of the CPU of a
 * streamed request (about ten chunks) in the gateway benchmark.
 */
export async function* runChatBatches(
  ctx: LoopContext,
  request: ChatRequest,
  run: ChatRun,
  call: ChatCallOptions,
  mode: LoopMode,
): AsyncGenerator<ChatCompletionChunk[], void, undefined> {
  const { engine, clock, options } = ctx;
  const startedMs = clock.now();
  const deadlineMs = Math.min(call.deadlineMs ?? options.deadlineMs, options.deadlineMs);
  const order = ctx.orderFor ? ctx.orderFor(request) : requestOrder(request, engine.rotationOrder);
  if (order.length === 0)
    throw new InvalidRequestError('No models to try: the rotation is empty', { param: 'model' });
  const s: RequestState = {
    order,
    needs: engineNeeds(request),
    body: upstreamBody(request),
    mode,
    signal: call.signal,
    deadlineAt: startedMs + deadlineMs,
    deadlineMs,
    maxAttempts: options.engine.retry.maxRetries + 1,
    exclude: new Set(),
    rateLimitedHere: new Set(),
    retriedSameModel: new Set(),
    resentClamped: new Set(),
    resentStripped: new Set(),
    failuresSeen: { rateLimit: 0, other: 0 },
    retryFirst: undefined,
    resend: false,
    lastFailure: undefined,
    terminal: undefined,
    deferred: undefined,
    hedgesLeft: options.hedging.enabled ? options.hedging.maxPerRequest : 0,
    abandonedCalls: 0,
  };
  ctx.budget.deposit();
  let succeeded = false;
  // Models whose half-open probe another replica holds: left out until the next wait or attempt.
  let probeHeldElsewhere: Set<string> | undefined;

  try {
    for (;;) {
      if (s.signal?.aborted) throw cancelled(run);
      if (clock.now() >= s.deadlineAt) throw deadlineError(run.attempts, deadlineMs, s.lastFailure);
      if (callsMade(run, s) >= s.maxAttempts)
        throw endOfRequest(ctx, run, s, `the attempt cap (${s.maxAttempts}) was reached`);

      const first = s.retryFirst;
      const candidates = first ? [first, ...order.filter((m) => m !== first)] : order;
      s.retryFirst = undefined;
      s.resend = false;
      const held = probeHeldElsewhere;
      const acquired = engine.acquire({
        order: candidates,
        needs: s.needs,
        exclude: held ? union(s.exclude, held) : s.exclude,
      });
      const acquisition = held && !acquired.ok ? probesBusy(acquired, held) : acquired;
      if (!acquisition.ok) {
        probeHeldElsewhere = undefined; // after this wait, they may be free again
        await waitForAvailability(ctx, acquisition, run, s);
        continue;
      }

      const lease = acquisition.lease;
      if (ctx.coordinator) {
        const verdict = await coordinate(ctx.coordinator, engine, lease);
        if (!verdict.ok) {
          if (verdict.reason === 'probe_taken') {
            probeHeldElsewhere ??= new Set();
            probeHeldElsewhere.add(lease.model);
          }
          continue; // or an account block is in force now: the next acquisition waits or fails with 429
        }
      }
      probeHeldElsewhere = undefined;
      const winner = await raceForContent(ctx, s, run, startAttempt(ctx, s, lease, s.body));
      if (winner) {
        const partial =
          options.streaming.continueAfterCut && mode === 'stream' ? new PartialAnswer() : undefined;
        const outcome = yield* follow(ctx, s, run, winner, undefined, partial);
        if (outcome.ok) {
          succeeded = true;
          return;
        }
        if (outcome.committed) {
          // The answer has started: continue it elsewhere if allowed, else end with the in-band error.
          let failure = outcome.failure;
          if (!outcome.deadline && partial?.continuable) {
            const left = yield* continueCut(ctx, s, run, winner, partial);
            if (left === undefined) {
              succeeded = true;
              return;
            }
            if (left !== 'not_continued') failure = left;
          }
          yield [endChunk(ctx, s, run, winner, failure, outcome.deadline)];
          return;
        }
        decide(ctx, s, run, winner.lease, outcome.failure, false);
      }
      if (s.retryFirst !== undefined && !s.resend) {
        const delay = jittered(options.sameModelRetryDelayMs, ctx.random);
        if (clock.now() + delay >= s.deadlineAt) throw deadlineError(run.attempts, deadlineMs, s.lastFailure);
        await sleepOrCancel(clock, delay, s.signal, run);
      }
    }
  } finally {
    engine.recordRequest({ attempts: attemptsMade(run.attempts), succeeded });
  }
}

/** Start an attempt on `lease`, its output clamped to what the model can give. */
function startAttempt(
  ctx: LoopContext,
  s: RequestState,
  lease: Lease,
  body: Record<string, unknown>,
  hedge = false,
): LiveAttempt {
  if (!hedge) ctx.hedgeBudget.countAttempt();
  const limit = outputLimit(ctx.engine.profile(lease.model), s.needs.promptTokens ?? 0);
  const clamped = clampOutput(body, limit);
  const live = new LiveAttempt({
    transport: ctx.transport,
    clock: ctx.clock,
    lease,
    upstream: ctx.upstreamFor(lease.model),
    body: ctx.prepareBody?.(lease.model, clamped) ?? clamped,
    timeouts: ctx.options.timeouts,
    signal: s.signal,
    deadlineAt: s.deadlineAt,
    keepRawText: s.mode === 'stream',
    ownController: hedge,
    extras: ctx.transportExtras?.(lease), // pooled providers: upstream id, classification, quota headers
  });
  live.hedge = hedge;
  return live;
}

/**
 * Wait for the attempt's first content; if it stays silent past its model's hedge delay, start the
 * same request on the next available model and take whichever shows content first. Failures on
 * the way are settled and decided as they come; returns the winner, or undefined when every
 * attempt failed. Losers are cancelled: their leases released (no verdict), recorded `cancelled`.
 */
async function raceForContent(
  ctx: LoopContext,
  s: RequestState,
  run: ChatRun,
  first: LiveAttempt,
): Promise<LiveAttempt | undefined> {
  const racing = [first];
  let winner: LiveAttempt | undefined;
  // No timer when the share allows no hedge now (most attempts never need one, and a timer in
  // virtual time is a pending sleep); the share is asked again when the delay is up. Refused then
  // (or no candidate free), the timer is armed again after the shortest delay, for as long as the
  // attempt stays silent.
  // An object, not a variable: the timer's callback changes it behind the compiler's back.
  const timer: { state: 'off' | 'armed' | 'due' | 'spent' } = { state: 'off' };
  let wake: (() => void) | undefined;
  let cancelTimer: (() => void) | undefined;
  const arm = (delayMs: number): void => {
    timer.state = 'armed';
    cancelTimer = startTimer(ctx.clock, delayMs, () => {
      timer.state = 'due';
      wake?.();
    });
  };
  if (s.hedgesLeft > 0 && ctx.hedgeBudget.allows()) arm(ctx.hedgeDelays.delayMs(first.model));
  try {
    for (;;) {
      let settled: { live: LiveAttempt; result: HeadResult } | undefined;
      if (racing.length === 1 && (timer.state === 'off' || timer.state === 'spent'))
        settled = { live: racing[0]!, result: await racing[0]!.head };
      else {
        // Whichever comes first: a head settling, or the hedge timer.
        settled = await new Promise<{ live: LiveAttempt; result: HeadResult } | undefined>((resolve) => {
          wake = () => resolve(undefined);
          if (timer.state === 'due') resolve(undefined);
          for (const live of racing) live.head.then((result) => resolve({ live, result }));
        });
        wake = undefined;
        if (settled === undefined) {
          timer.state = 'spent';
          const hedge = await startHedge(ctx, s, run, racing);
          if (hedge instanceof LiveAttempt) racing.push(hedge);
          else if (hedge === 'later' && racing.length === 1) arm(ctx.options.hedging.minDelayMs);
          continue;
        }
      }
      racing.splice(racing.indexOf(settled.live), 1);
      if (settled.result.kind !== 'error') {
        winner = settled.live;
        if (winner.hedge) ctx.hedges.won++;
        return winner;
      }
      if (settled.live.hedge) ctx.hedges.wasted++;
      const failure = settleFailure(ctx, run, settled.live, settled.result.error);
      if (failure.deadline) throw deadlineError(run.attempts, s.deadlineMs, undefined);
      decide(ctx, s, run, settled.live.lease, failure.failure, racing.length > 0);
      if (racing.length === 0) return undefined;
    }
  } finally {
    cancelTimer?.();
    for (const loser of racing) {
      if (loser.hedge) ctx.hedges.wasted++;
      abandon(ctx, s, run, loser, winner ? 'another attempt answered first (hedge)' : 'the request ended');
    }
  }
}

/**
 * Start a hedge for the attempts racing now, if the request, the hedge budget and the candidate's
 * quota allow: the next available model (not one already racing), admitted like any attempt.
 */
async function startHedge(
  ctx: LoopContext,
  s: RequestState,
  run: ChatRun,
  racing: readonly LiveAttempt[],
): Promise<LiveAttempt | 'later' | 'never'> {
  const { engine, hedgeBudget } = ctx;
  if (s.hedgesLeft <= 0 || s.signal?.aborted || ctx.clock.now() >= s.deadlineAt) return 'never';
  // The cap bounds every upstream call of the request, a hedge's included.
  if (callsMade(run, s) + racing.length >= s.maxAttempts) return 'never';
  const busy = new Set(s.exclude);
  for (const live of racing) busy.add(live.model);
  // No free candidate, or no room in the share: either may come back while the attempt stays
  // silent, so the caller asks again later.
  const acquired = engine.acquire({ order: s.order, needs: s.needs, exclude: busy });
  if (!acquired.ok) return 'later';
  const lease = acquired.lease;
  // Hedges cost quota: none onto a model whose quota (a free account's, a provider's) is nearly spent.
  if (engine.quotaLeft(lease.model) < ctx.options.hedging.minQuotaLeft) {
    lease.withdraw();
    ctx.hedges.skippedForQuota++;
    return 'never';
  }
  if (!hedgeBudget.tryHedge()) {
    lease.withdraw();
    return 'later';
  }
  if (ctx.coordinator && !(await coordinate(ctx.coordinator, engine, lease)).ok) return 'never';
  s.hedgesLeft--;
  ctx.hedges.started++;
  return startAttempt(ctx, s, lease, s.body, true);
}

/**
 * Upstream calls the request has made, for the attempt cap: attempts with a verdict, and race
 * losers rotor stopped (they reached the upstream too). A client's own cancellation ends the
 * request, so it needs no counting.
 */
function callsMade(run: ChatRun, s: RequestState): number {
  return attemptsMade(run.attempts) + s.abandonedCalls;
}

/** rotor stops an attempt that lost a race: released, no verdict on the model, recorded `cancelled`. */
function abandon(ctx: LoopContext, s: RequestState, run: ChatRun, live: LiveAttempt, why: string): void {
  s.abandonedCalls++;
  live.abandon();
  live.dispose();
  live.lease.release();
  run.attempts.push({
    model: live.model,
    outcome: 'cancelled',
    durationMs: ctx.clock.now() - live.startedMs,
    status: 499,
    message: why,
  });
}

type FollowOutcome = { ok: true } | { ok: false; failure: Failure; committed: boolean; deadline: boolean };

/**
 * Hand out the winner's answer: in `stream` mode its held-back chunks and then every batch as it
 * arrives; in `collect` mode the whole answer once complete. `splice` rewrites a continuation's
 * chunks into the stream being continued (its id; its own opening chunks dropped). `partial`
 * records what the client saw, for a continuation.
 */
async function* follow(
  ctx: LoopContext,
  s: RequestState,
  run: ChatRun,
  live: LiveAttempt,
  splice: { streamId: string | undefined } | undefined,
  partial: PartialAnswer | undefined,
): AsyncGenerator<ChatCompletionChunk[], FollowOutcome, undefined> {
  const { clock } = ctx;
  // Committed once content has been handed out: a stream whose head ended on content.
  const committed = s.mode === 'stream' && live.ttftMs !== undefined;
  let spliced = false;
  const out = (batch: ChatCompletionChunk[]): ChatCompletionChunk[] => {
    if (splice) {
      const kept: ChatCompletionChunk[] = [];
      for (const chunk of batch) {
        if (!spliced && isOpening(chunk)) continue; // the continuation's own role-only opening
        spliced = true;
        if (splice.streamId !== undefined && chunk.id !== splice.streamId) {
          chunk.id = splice.streamId;
          forgetRawChunkText(chunk);
        }
        kept.push(chunk);
      }
      batch = kept;
    }
    if (partial) for (const chunk of batch) partial.observe(chunk);
    return batch;
  };
  try {
    if (committed) {
      // Hand out everything held back, then every batch as it arrives.
      // The rotation's own id (a pooled provider's pair, `groq:…`): which entry answered, whatever
      // name the upstream gives its model in the chunks.
      run.model ??= live.model;
      const batch = out(live.pending);
      live.pending = [];
      if (batch.length > 0) yield batch;
      for (;;) {
        const next = await live.nextBatch();
        if (next === null) break;
        const batch = out(next);
        if (batch.length > 0) yield batch;
      }
    } else if (live.ttftMs !== undefined) {
      // Collect: read the rest of the answer, hold it all. (A head that ended has nothing left.)
      for (;;) {
        const next = await live.nextBatch();
        if (next === null) break;
        for (let i = 0; i < next.length; i++) live.pending.push(next[i]!);
      }
    }
    const latencyMs = clock.now() - live.startedMs;
    live.lease.succeed(live.ttftMs === undefined ? { latencyMs } : { latencyMs, ttftMs: live.ttftMs });
    run.attempts.push({
      model: live.model,
      outcome: 'success',
      durationMs: latencyMs,
      ...(live.ttftMs === undefined ? {} : { ttftMs: live.ttftMs }),
    });
    run.model ??= live.model;
    const rest = out(live.pending);
    live.pending = [];
    if (rest.length > 0) yield rest;
    return { ok: true };
  } catch (err) {
    const settled = settleFailure(ctx, run, live, err);
    if (settled.deadline && !committed) throw deadlineError(run.attempts, s.deadlineMs, undefined);
    return { ok: false, failure: settled.failure, committed, deadline: settled.deadline };
  } finally {
    await live.stop(); // no-op after a clean end; stops the upstream if the consumer stopped early
    live.lease.release(); // no-op when already settled
    live.dispose();
  }
}

/** A chunk that only opens a stream: no content, no finish, no usage (e.g. the role-only first chunk). */
function isOpening(chunk: ChatCompletionChunk): boolean {
  if (chunk.usage || hasContent(chunk)) return false;
  for (const c of chunk.choices ?? []) if (c.finish_reason) return false;
  return true;
}

/**
 * Settle a failed attempt. Client-caused endings — a disconnect, a shutdown — are no verdict on the
 * model: released, recorded `cancelled` (499), and the request is cancelled (thrown). The
 * request's own deadline likewise (returned with `deadline`, for the caller to end the request).
 * A bug is thrown as it is. An upstream failure is the model's: `lease.fail`, recorded, returned.
 */
function settleFailure(
  ctx: LoopContext,
  run: ChatRun,
  live: LiveAttempt,
  err: unknown,
): { failure: Failure; deadline: boolean } {
  const { clock } = ctx;
  const lease = live.lease;
  live.dispose();
  const record = (outcome: string, extra: { status?: number; message?: string } = {}) =>
    run.attempts.push({ model: lease.model, outcome, durationMs: clock.now() - live.startedMs, ...extra });
  if (live.requestAborted) {
    lease.release();
    record('cancelled', { status: 499, message: 'the client went away' });
    throw cancelled(run, err);
  }
  if (err instanceof UpstreamFailure && err.failure.kind === 'timeout' && err.failure.phase === 'total') {
    lease.release();
    record('cancelled', { status: 499, message: 'the request deadline ran out' });
    return { failure: err.failure, deadline: true };
  }
  if (!(err instanceof UpstreamFailure)) {
    // A bug, not an upstream verdict: free the slot without blaming the model.
    lease.release();
    record('error', { message: 'internal error' });
    throw err;
  }
  const failure = err.failure;
  lease.fail(failure, { latencyMs: clock.now() - live.startedMs });
  if (failure.detail !== undefined)
    ctx.onUpstreamDetail?.({ model: lease.model, kind: failure.kind, detail: failure.detail });
  record(failure.kind === 'rate_limit' ? `rate_limit:${failure.scope}` : failure.kind, {
    ...(failure.status === undefined ? {} : { status: failure.status }),
    message: failure.message,
  });
  return { failure, deadline: false };
}

/**
 * The answer was cut after content reached the client: ask the next available model to continue
 * the text (assistant prefill) and splice its answer into the same stream. Returns undefined when
 * the answer was completed; the failure to report when a continuation failed after adding text;
 * `'not_continued'` when no continuation got that far (the original cut is reported).
 */
async function* continueCut(
  ctx: LoopContext,
  s: RequestState,
  run: ChatRun,
  cut: LiveAttempt,
  partial: PartialAnswer,
): AsyncGenerator<ChatCompletionChunk[], Failure | 'not_continued' | undefined, undefined> {
  const { engine, clock } = ctx;
  const streamId = cut.streamId;
  s.exclude.add(cut.model);
  if (callsMade(run, s) >= s.maxAttempts || clock.now() >= s.deadlineAt) return 'not_continued';
  const acquired = engine.acquire({ order: s.order, needs: s.needs, exclude: s.exclude });
  if (!acquired.ok) return 'not_continued'; // no waiting: the client is mid-answer
  const lease = acquired.lease;
  if (ctx.coordinator && !(await coordinate(ctx.coordinator, engine, lease)).ok) return 'not_continued';
  const live = startAttempt(ctx, s, lease, prefillBody(s.body, partial.text));
  const head = await live.head;
  if (head.kind === 'error') {
    // It rejected the prefill or failed: the client hears the original cut, never this answer.
    const settled = settleFailure(ctx, run, live, head.error);
    if (!settled.deadline) s.exclude.add(lease.model);
    return 'not_continued';
  }
  const outcome = yield* follow(ctx, s, run, live, { streamId }, partial);
  if (outcome.ok) return undefined;
  return outcome.committed ? outcome.failure : 'not_continued';
}

/** The in-band error chunk that ends a committed stream. */
function endChunk(
  ctx: LoopContext,
  s: RequestState,
  run: ChatRun,
  live: LiveAttempt,
  failure: Failure,
  deadline: boolean,
): ChatCompletionChunk {
  const now = ctx.clock.now();
  const reported: Failure = deadline
    ? {
        kind: 'timeout',
        phase: 'total',
        status: 504,
        message: deadlineError(run.attempts, s.deadlineMs, undefined).message,
      }
    : failure;
  return errorChunk(reported, run.model ?? live.model, now, live.streamId);
}

function engineNeeds(request: ChatRequest): RequestNeeds {
  const n = requestNeeds(request);
  return {
    tools: n.tools,
    vision: n.vision,
    systemPrompt: n.systemPrompt,
    promptTokens: n.estimatedPromptTokens,
    ...(outputCeiling(request) === undefined ? {} : { outputTokens: outputCeiling(request) }),
  };
}

/** The answer's ceiling the client asked for (`max_completion_tokens`, else `max_tokens`). */
function outputCeiling(request: ChatRequest): number | undefined {
  return request.max_completion_tokens ?? request.max_tokens ?? undefined;
}

/** The body sent upstream: the client's request minus what rotor decides (model, fallback list, streaming). */
function upstreamBody(request: ChatRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(request)) if (!ROTOR_FIELDS.has(k) && v !== undefined) body[k] = v;
  return body;
}

function jittered(ms: number, random: Random): number {
  return Math.round(ms * (0.8 + 0.4 * random()));
}
