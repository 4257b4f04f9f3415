/**
 * One request's journey: pick a model, call it, classify the outcome, decide, repeat — inside one
 * deadline and one attempt cap, as the rotation contract in docs/design.md lays out.
 *
 * The upstream is always streamed. In `stream` mode the answer is committed when the first content
 * chunk is handed out: before that rotor may fail over freely, after it a failure becomes an
 * in-band error chunk (`finish_reason: "error"`) and the stream ends. In `collect` mode nothing is
 * handed out until an attempt completes, so even a failure mid-answer can fail over.
 */
import type { ChatRequest } from '../chat/chat-request-schema.js';
import type { ChatCompletionChunk } from '../chat/chat-types.js';
import { forgetRawChunkText } from '../chat/raw-chunk-text.js';
import { requestNeeds } from '../chat/request-needs.js';
import type { Clock } from '../engine/clock.js';
import type { Acquisition, Lease, RequestNeeds } from '../engine/engine-types.js';
import { type Failure, isTransientModelFault } from '../engine/failure.js';
import type { Random } from '../engine/random.js';
import type { RetryBudget } from '../engine/retry-budget.js';
import type { RotationEngine } from '../engine/rotation-engine.js';
import {
  type AttemptRecord,
  CancelledError,
  InvalidRequestError,
  type RotorError,
  type SkipReason,
} from '../errors.js';
import { isBatchedChunkSource } from '../upstream/chat-transport.js';
import type { ChatTransport, TransportRequest } from '../upstream/upstream-client.js';
import { UpstreamFailure } from '../upstream/upstream-client.js';
import type { UpstreamConfig } from '../upstream/upstream-config.js';
import type { AdmissionVerdict, AttemptCoordinator } from './attempt-coordinator.js';
import { errorForFailure } from './failure-error.js';
import {
  deadlineError,
  earliestRecoveryMs,
  failedEverywhere,
  noCandidate,
  unavailable,
} from './loop-errors.js';
import { clampOutput, outputLimit, readContextReport } from './output-limit.js';
import { requestOrder } from './request-order.js';
import type { RotorOptions } from './rotor-options.js';
import { errorChunk, hasContent } from './stream-chunks.js';

export interface LoopContext {
  engine: RotationEngine;
  transport: ChatTransport;
  clock: Clock;
  random: Random;
  options: RotorOptions;
  budget: RetryBudget;
  upstreamFor(model: string): UpstreamConfig;
  /** Admission shared with other gateway replicas; absent for a single gateway (nothing awaited). */
  coordinator?: AttemptCoordinator | undefined;
  /** Told a failed attempt's low-level detail, which clients never see (see `RotorDeps`). */
  onUpstreamDetail?: ((info: { model: string; kind: string; detail: string }) => void) | undefined;
  /** Pooled providers: the candidates a request names (families, `fast`, `best`). Default: `requestOrder`. */
  orderFor?: ((request: ChatRequest) => string[]) | undefined;
  /** Pooled providers: the body as `model`'s provider accepts it (parameters stripped or translated). */
  prepareBody?: ((model: string, body: Record<string, unknown>) => Record<string, unknown>) | undefined;
  /** Pooled providers: remember parameters `model`'s provider rejected; true if a resend without them may work. */
  learnRejectedParams?: ((model: string, params: readonly string[]) => boolean) | undefined;
  /** Pooled providers: the transport hooks of one attempt (the model's upstream id, classification, quota headers, usage). */
  transportExtras?: ((lease: Lease) => Partial<TransportRequest> | undefined) | undefined;
}

export interface ChatCallOptions {
  /** Aborts the request: the upstream call and any pending wait. No attempts follow. */
  signal?: AbortSignal;
  /** Shortens the configured deadline for this request, ms. */
  deadlineMs?: number;
}

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
  const signal = call.signal;
  const startedMs = clock.now();
  const deadlineMs = Math.min(call.deadlineMs ?? options.deadlineMs, options.deadlineMs);
  const deadlineAt = startedMs + deadlineMs;
  const order = ctx.orderFor ? ctx.orderFor(request) : requestOrder(request, engine.rotationOrder);
  if (order.length === 0)
    throw new InvalidRequestError('No models to try: the rotation is empty', { param: 'model' });
  const needs = engineNeeds(request);
  const body = upstreamBody(request);
  const maxAttempts = options.engine.retry.maxRetries + 1;
  /** Models this request will not try again. */
  const exclude = new Set<string>();
  /** Excluded for a rate limit: they come back, for this request, once their cooldown is over. */
  const rateLimitedHere = new Set<string>();
  const retriedSameModel = new Set<string>();
  /** Models sent the request again after their context-length answer taught rotor their limit. */
  const resentClamped = new Set<string>();
  /** Models sent the request again without the parameters their provider rejected. */
  const resentStripped = new Set<string>();
  const failuresSeen = { rateLimit: 0, other: 0 };
  ctx.budget.deposit();
  let retryFirst: string | undefined;
  let lastFailure: Failure | undefined;
  let terminal: RotorError | undefined;
  let succeeded = false;
  // Models whose half-open probe another replica holds: left out until the next wait or attempt.
  let probeHeldElsewhere: Set<string> | undefined;

  try {
    for (;;) {
      throwIfAborted(signal, run);
      if (clock.now() >= deadlineAt) throw deadlineError(run.attempts, deadlineMs, lastFailure);
      const made = attemptsMade(run.attempts);
      if (made >= maxAttempts)
        throw endOfRequest(
          ctx,
          order,
          needs,
          run,
          { lastFailure, terminal, failuresSeen, deadlineMs },
          `the attempt cap (${maxAttempts}) was reached`,
        );

      const candidates = retryFirst ? [retryFirst, ...order.filter((m) => m !== retryFirst)] : order;
      retryFirst = undefined;
      const held = probeHeldElsewhere;
      const acquired = engine.acquire({
        order: candidates,
        needs,
        exclude: held ? union(exclude, held) : exclude,
      });
      const acquisition = held && !acquired.ok ? probesBusy(acquired, held) : acquired;
      if (!acquisition.ok) {
        probeHeldElsewhere = undefined; // after this wait, they may be free again
        await waitForAvailability(ctx, acquisition, run, {
          deadlineAt,
          deadlineMs,
          signal,
          lastFailure,
          terminal,
          needs,
          exclude,
          rateLimitedHere,
          order,
          failuresSeen,
        });
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
      const limit = outputLimit(engine.profile(lease.model), needs.promptTokens ?? 0);
      const clamped = clampOutput(body, limit);
      const outcome = yield* attempt(ctx, lease, ctx.prepareBody?.(lease.model, clamped) ?? clamped, run, {
        deadlineAt,
        deadlineMs,
        signal,
        mode,
      });
      if (outcome.ok) {
        succeeded = true;
        return;
      }
      const failure = outcome.failure;
      lastFailure = failure;
      if (outcome.committed) return; // the in-band error chunk has been handed out
      let resend = false;

      if (failure.kind === 'rate_limit') failuresSeen.rateLimit++;
      else failuresSeen.other++;
      // One same-model retry for a first transient error — a retry, so the budget may refuse it;
      // then the request fails over instead (failover never asks the budget).
      const sameModelRetryOrExclude = (): void => {
        if (retriedSameModel.has(lease.model) || !ctx.budget.tryRetry()) exclude.add(lease.model);
        else {
          retriedSameModel.add(lease.model);
          retryFirst = lease.model;
        }
      };
      switch (failure.kind) {
        case 'request_error':
          throw errorForFailure(failure, run.attempts, clock.now());
        case 'auth':
        case 'credits':
          // No model of this account will work; other upstreams might.
          terminal = errorForFailure(failure, run.attempts, clock.now());
          for (const id of order) if (accountOf(ctx, id) === lease.account) exclude.add(id);
          break;
        case 'rate_limit':
        case 'overloaded':
          if (failure.kind === 'overloaded' || (failure.kind === 'rate_limit' && failure.scope === 'model')) {
            exclude.add(lease.model);
            rateLimitedHere.add(lease.model);
          }
          // Account-wide: the engine now blocks the account (a pooled provider's: that provider
          // only); the next acquire moves on to another provider, or decides wait or fail.
          break;
        case 'unsupported':
          // A parameter this provider rejects: resend once without it (and never send it there again).
          if (
            failure.providerKind === 'bad_param' &&
            failure.params &&
            !resentStripped.has(lease.model) &&
            ctx.learnRejectedParams?.(lease.model, failure.params)
          ) {
            resentStripped.add(lease.model);
            retryFirst = lease.model;
            resend = true;
            break;
          }
          if (failure.providerKind !== 'bad_param') learnIncapability(engine, lease.model, failure, needs);
          exclude.add(lease.model);
          break;
        case 'model_not_found':
          exclude.add(lease.model);
          break;
        case 'context_length': {
          // Larger than this provider's whole budget (a 413): never retried there; the engine now
          // skips it for requests this large, so the request goes to a provider with a bigger one.
          if (failure.providerKind === 'request_too_large') {
            exclude.add(lease.model);
            break;
          }
          // Learn what the answer says; send again, clamped, if the prompt itself fits this model;
          // else move on — only to models with a larger window.
          const report = readContextReport(failure.message);
          if (report.contextLength !== undefined)
            engine.upsertProfile({ id: lease.model, contextLength: report.contextLength });
          const input = report.inputTokens;
          if (input !== undefined) needs.promptTokens = Math.max(needs.promptTokens ?? 0, input);
          const fits =
            report.contextLength !== undefined && input !== undefined && input < report.contextLength;
          if (fits && !resentClamped.has(lease.model)) {
            resentClamped.add(lease.model);
            retryFirst = lease.model;
            resend = true;
          } else {
            exclude.add(lease.model);
            if (input === undefined && report.contextLength !== undefined)
              needs.promptTokens = Math.max(needs.promptTokens ?? 0, report.contextLength + 1);
          }
          break;
        }
        case 'timeout':
          if (failure.phase === 'connect' || failure.phase === 'first_token') {
            exclude.add(lease.model); // a silent model is failed over, not retried
            break;
          }
          sameModelRetryOrExclude();
          break;
        default:
          sameModelRetryOrExclude();
      }
      if (retryFirst !== undefined && !resend) {
        const delay = jittered(options.sameModelRetryDelayMs, ctx.random);
        if (clock.now() + delay >= deadlineAt) throw deadlineError(run.attempts, deadlineMs, lastFailure);
        await sleep(clock, delay, signal, run);
      }
    }
  } finally {
    engine.recordRequest({ attempts: attemptsMade(run.attempts), succeeded });
  }
}

type AttemptOutcome = { ok: true } | { ok: false; failure: Failure; committed: boolean };

/**
 * Ask the coordinator; on a denial withdraw the lease (no verdict, no quota count), and turn a
 * shared-quota denial into an account block so the loop's usual wait-or-429 logic applies.
 */
async function coordinate(
  coordinator: AttemptCoordinator,
  engine: RotationEngine,
  lease: Lease,
): Promise<AdmissionVerdict> {
  let verdict: AdmissionVerdict;
  try {
    verdict = await coordinator.admit({
      model: lease.model,
      account: lease.account,
      isProbe: lease.isProbe,
      free: engine.isFreeModel(lease.model),
    });
  } catch {
    verdict = { ok: true }; // a coordinator must not reject; if it does, local decisions stand
  }
  if (verdict.ok) return verdict;
  lease.withdraw();
  if (verdict.reason === 'account_quota') {
    const window = verdict.scope === 'account_day' ? 'daily' : 'per-minute';
    engine.applyExternal({
      type: 'account_block',
      account: lease.account,
      scope: verdict.scope,
      untilMs: Math.max(verdict.untilMs, engine.clock.now() + 1),
      detail: `${window} free-model quota spent (shared by all replicas)`,
    });
  }
  return verdict;
}

function union(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  const out = new Set(a);
  for (const x of b) out.add(x);
  return out;
}

/** A model left out because another replica holds its probe is busy, not tried: poll for it. */
function probesBusy(
  acquisition: Extract<Acquisition, { ok: false }>,
  held: ReadonlySet<string>,
): Extract<Acquisition, { ok: false }> {
  const skipped = acquisition.skipped.map((s) =>
    held.has(s.model) && s.reason === 'already_tried'
      ? { model: s.model, reason: 'half_open_busy', detail: 'another replica is probing it' }
      : s,
  );
  return { ...acquisition, skipped, busy: true };
}

async function* attempt(
  ctx: LoopContext,
  lease: Lease,
  body: Record<string, unknown>,
  run: ChatRun,
  limits: { deadlineAt: number; deadlineMs: number; signal: AbortSignal | undefined; mode: LoopMode },
): AsyncGenerator<ChatCompletionChunk[], AttemptOutcome, undefined> {
  const { clock, options } = ctx;
  const startedMs = clock.now();
  const pending: ChatCompletionChunk[] = [];
  let committed = false;
  let ttftMs: number | undefined;
  /** The upstream's completion id: an in-band error chunk carries the stream's own id. */
  let streamId: string | undefined;
  const record = (outcome: string, extra: Partial<AttemptRecord> = {}) =>
    run.attempts.push({ model: lease.model, outcome, durationMs: clock.now() - startedMs, ...extra });

  try {
    const stream = await ctx.transport.openStream({
      upstream: ctx.upstreamFor(lease.model),
      model: lease.model,
      body,
      // The caller's signal aborts the upstream call; a consumer that stops early stops the stream
      // through the read loop below (it calls the stream's return()). No per-attempt controller.
      signal: limits.signal,
      timeouts: { ...options.timeouts, totalMs: Math.max(1, limits.deadlineAt - clock.now()) },
      // A collected answer is assembled, never forwarded chunk by chunk: no upstream text to keep.
      keepRawText: limits.mode === 'stream',
      ...ctx.transportExtras?.(lease), // pooled providers: upstream id, classification, quota headers
    });
    // Read by hand rather than with for-await, to take whole batches when the source offers them;
    // the for-await contract is kept: leaving early (the consumer stopped) calls the source's return().
    const batched = isBatchedChunkSource(stream) ? stream : undefined;
    const iterator = batched ? undefined : stream[Symbol.asyncIterator]();
    let sourceDone = false;
    try {
      for (;;) {
        let batch: ChatCompletionChunk[] | null;
        try {
          if (batched) batch = await batched.nextBatch();
          else {
            const r = await iterator!.next();
            batch = r.done ? null : [r.value];
          }
        } catch (err) {
          sourceDone = true;
          throw err;
        }
        if (batch === null) {
          sourceDone = true;
          break;
        }
        let out: ChatCompletionChunk[] | undefined;
        for (let i = 0; i < batch.length; i++) {
          const chunk = batch[i]!;
          streamId ??= chunk.id;
          if (!chunk.model) {
            chunk.model = lease.model;
            forgetRawChunkText(chunk);
          }
          const content = hasContent(chunk);
          if (content && ttftMs === undefined) ttftMs = clock.now() - startedMs;
          if (limits.mode === 'stream' && (committed || content)) {
            if (!committed) {
              committed = true;
              run.model = chunk.model;
              out = pending.splice(0); // held back until now, delivered first
            }
            if (out) out.push(chunk);
            else out = [chunk];
          } else pending.push(chunk);
        }
        if (out) yield out;
      }
    } finally {
      if (!sourceDone) {
        await (batched ?? iterator)?.return?.();
      }
    }
    const latencyMs = clock.now() - startedMs;
    lease.succeed(ttftMs === undefined ? { latencyMs } : { latencyMs, ttftMs });
    record('success', ttftMs === undefined ? {} : { ttftMs });
    run.model ??= pending.find((c) => c.model)?.model ?? lease.model;
    if (pending.length > 0) yield pending;
    return { ok: true };
  } catch (err) {
    // Client-caused endings — a disconnect, a shutdown, the request's own deadline — are no
    // verdict on the model: the attempt is cancelled (499) and the model's health is untouched.
    if (limits.signal?.aborted) {
      lease.release();
      record('cancelled', { status: 499, message: 'the client went away' });
      throw new CancelledError('The request was cancelled by the caller', {
        attempts: run.attempts,
        cause: err,
      });
    }
    if (err instanceof UpstreamFailure && err.failure.kind === 'timeout' && err.failure.phase === 'total') {
      lease.release();
      record('cancelled', { status: 499, message: 'the request deadline ran out' });
      const error = deadlineError(run.attempts, limits.deadlineMs, undefined);
      if (!committed) throw error;
      yield [
        errorChunk(
          { kind: 'timeout', phase: 'total', status: 504, message: error.message },
          run.model ?? lease.model,
          clock.now(),
          streamId,
        ),
      ];
      return { ok: false, failure: err.failure, committed };
    }
    if (!(err instanceof UpstreamFailure)) {
      // A bug, not an upstream verdict: free the slot without blaming the model.
      lease.release();
      record('error', { message: 'internal error' });
      throw err;
    }
    const failure = err.failure;
    lease.fail(failure, { latencyMs: clock.now() - startedMs });
    if (failure.detail !== undefined)
      ctx.onUpstreamDetail?.({ model: lease.model, kind: failure.kind, detail: failure.detail });
    record(failure.kind === 'rate_limit' ? `rate_limit:${failure.scope}` : failure.kind, {
      ...(failure.status === undefined ? {} : { status: failure.status }),
      message: failure.message,
    });
    if (committed) yield [errorChunk(failure, run.model ?? lease.model, clock.now(), streamId)];
    return { ok: false, failure, committed };
  } finally {
    lease.release(); // no-op when already settled; frees the slot if the consumer stopped early
  }
}

/**
 * Nothing can take the request now: wait for the earliest recovery if it fits the deadline, the
 * queue limit and — once the request has failed somewhere, when the wait is a retry — the retry
 * budget; else end with the honest error (429 for rate limits, 503 for failures, `Retry-After`).
 * Models this request saw rate-limited count with their cooldowns: after the wait they are
 * candidates again.
 */
async function waitForAvailability(
  ctx: LoopContext,
  acquisition: Extract<Acquisition, { ok: false }>,
  run: ChatRun,
  state: {
    deadlineAt: number;
    deadlineMs: number;
    signal: AbortSignal | undefined;
    lastFailure: Failure | undefined;
    terminal: RotorError | undefined;
    needs: RequestNeeds;
    exclude: Set<string>;
    rateLimitedHere: Set<string>;
    order: readonly string[];
    failuresSeen: { rateLimit: number; other: number };
  },
): Promise<void> {
  const { clock, options, engine } = ctx;
  const now = clock.now();
  const skipped = acquisition.skipped.map((s) =>
    s.reason === 'already_tried' && state.rateLimitedHere.has(s.model)
      ? (engine.unavailability(s.model, state.needs) ?? s)
      : s,
  );
  const retryAtMs = earliestRecoveryMs(skipped);
  if (retryAtMs === undefined && !acquisition.busy) {
    throw endOfRequest(ctx, state.order, state.needs, run, { ...state, skipped }, 'every model was tried');
  }
  const polling = acquisition.busy && (retryAtMs === undefined || retryAtMs > now + options.busyPollMs);
  const waitUntil = polling ? now + options.busyPollMs : (retryAtMs as number);
  const waitMs = Math.max(0, waitUntil - now);
  const fitsDeadline = waitUntil < state.deadlineAt;
  const fitsQueue = run.waitedMs + waitMs <= options.maxQueueWaitMs;
  if (!fitsDeadline || !fitsQueue) throw unavailable(run.attempts, skipped, waitMs, now, state.deadlineMs);
  // Polling for a busy probe or slow-start slot is not a retry; waiting to try again after a failure is.
  if (!polling && attemptsMade(run.attempts) > 0 && !ctx.budget.tryRetry()) {
    throw unavailable(
      run.attempts,
      skipped,
      waitMs,
      now,
      state.deadlineMs,
      'and the retry budget allows no more waiting now (the rotation as a whole is failing)',
    );
  }
  await sleep(clock, waitMs, state.signal, run);
  run.waitedMs += waitMs;
  if (!polling) {
    for (const m of state.rateLimitedHere) state.exclude.delete(m);
    state.rateLimitedHere.clear();
  }
}

/**
 * The request ends without an answer: the attempt cap is reached, or every candidate has failed
 * for it or is out. What the client hears is what happened — never a bare 502 for rate limits:
 * 429 when rate limits were the cause, 503 when the models are failing (cooling or broken), each
 * with `Retry-After` = the earliest recovery and every model's reason; a request-shaped failure
 * (context, features, auth) as itself.
 */
function endOfRequest(
  ctx: LoopContext,
  order: readonly string[],
  needs: RequestNeeds,
  run: ChatRun,
  state: {
    lastFailure: Failure | undefined;
    terminal: RotorError | undefined;
    failuresSeen: { rateLimit: number; other: number };
    deadlineMs: number;
    skipped?: SkipReason[];
  },
  why: string,
): RotorError {
  const { lastFailure, failuresSeen } = state;
  const now = ctx.clock.now();
  const transient =
    lastFailure === undefined ||
    lastFailure.kind === 'rate_limit' ||
    lastFailure.kind === 'overloaded' ||
    isTransientModelFault(lastFailure);
  if (state.terminal || !transient || failuresSeen.rateLimit + failuresSeen.other === 0)
    return noCandidate(run.attempts, state.skipped ?? [], lastFailure, state.terminal, now);
  const skipped: SkipReason[] = [];
  for (const m of order) {
    const gap = ctx.engine.unavailability(m, needs);
    if (gap) skipped.push(gap);
  }
  const retryAtMs = earliestRecoveryMs(skipped);
  return failedEverywhere(run.attempts, skipped, lastFailure, {
    byRateLimits: failuresSeen.other === 0,
    retryAfterMs: retryAtMs === undefined ? 1000 : retryAtMs - now,
    deadlineMs: state.deadlineMs,
    why,
  });
}

async function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined, run: ChatRun): Promise<void> {
  try {
    await clock.sleep(ms, signal);
  } catch (err) {
    throw new CancelledError('The request was cancelled by the caller', {
      attempts: run.attempts,
      cause: err,
    });
  }
}

function throwIfAborted(signal: AbortSignal | undefined, run: ChatRun): void {
  if (signal?.aborted)
    throw new CancelledError('The request was cancelled by the caller', { attempts: run.attempts });
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

/** The body sent upstream: the client's request minus what rotor decides (model, fallback list, streaming). */
function upstreamBody(request: ChatRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(request)) if (!ROTOR_FIELDS.has(k) && v !== undefined) body[k] = v;
  return body;
}

/** The answer's ceiling the client asked for (`max_completion_tokens`, else `max_tokens`). */
function outputCeiling(request: ChatRequest): number | undefined {
  return request.max_completion_tokens ?? request.max_tokens ?? undefined;
}

function accountOf(ctx: LoopContext, model: string): string {
  return ctx.engine.profile(model).account ?? ctx.engine.options.defaultAccount;
}

/** Remember what a model turned out not to support, when the error says which feature it was. */
function learnIncapability(
  engine: RotationEngine,
  model: string,
  failure: Failure,
  needs: RequestNeeds,
): void {
  const text = failure.message.toLowerCase();
  if (needs.systemPrompt && (text.includes('developer instruction') || text.includes('system'))) {
    engine.upsertProfile({ id: model, systemPrompt: false });
  } else if (needs.tools && text.includes('tool')) {
    engine.upsertProfile({ id: model, tools: false });
  } else if (needs.vision && text.includes('image')) {
    engine.upsertProfile({ id: model, vision: false });
  }
}

function jittered(ms: number, random: Random): number {
  return Math.round(ms * (0.8 + 0.4 * random()));
}
