/**
 * What a request does after a failed attempt that had not reached the client: which models it
 * leaves out, whether it retries the same one, what it learned about the model.
 */
import type { Lease, RequestNeeds } from '../engine/engine-types.js';
import type { Failure } from '../engine/failure.js';
import type { RotationEngine } from '../engine/rotation-engine.js';
import type { ChatRun } from './chat-run.js';
import { errorForFailure } from './failure-error.js';
import type { LoopContext } from './loop-context.js';
import { readContextReport } from './output-limit.js';
import type { RequestState } from './request-state.js';

/**
 * What the request does after a failed attempt (not yet committed): which models it leaves out,
 * whether it retries the same one, what it learned. A request error goes back to the client at
 * once — unless another attempt of the request is still running (a hedge), which may yet answer.
 */
export function decide(
  ctx: LoopContext,
  s: RequestState,
  run: ChatRun,
  lease: Lease,
  failure: Failure,
  othersRunning: boolean,
): void {
  const { engine, clock } = ctx;
  s.lastFailure = failure;
  if (failure.kind === 'rate_limit') s.failuresSeen.rateLimit++;
  else s.failuresSeen.other++;
  // One same-model retry for a first transient error — a retry, so the budget may refuse it;
  // then the request fails over instead (failover never asks the budget).
  const sameModelRetryOrExclude = (): void => {
    if (s.retriedSameModel.has(lease.model) || !ctx.budget.tryRetry()) s.exclude.add(lease.model);
    else {
      s.retriedSameModel.add(lease.model);
      s.retryFirst = lease.model;
    }
  };
  switch (failure.kind) {
    case 'request_error': {
      const error = errorForFailure(failure, run.attempts, clock.now());
      if (!othersRunning) throw error;
      s.deferred ??= error;
      s.exclude.add(lease.model);
      break;
    }
    case 'auth':
    case 'credits':
      // No model of this account will work; other upstreams might.
      s.terminal = errorForFailure(failure, run.attempts, clock.now());
      for (const id of s.order) if (accountOf(ctx, id) === lease.account) s.exclude.add(id);
      break;
    case 'rate_limit':
    case 'overloaded':
      if (failure.kind === 'overloaded' || (failure.kind === 'rate_limit' && failure.scope === 'model')) {
        s.exclude.add(lease.model);
        s.rateLimitedHere.add(lease.model);
      }
      // Account-wide: the engine now blocks the account (a pooled provider's: that provider
      // only); the next acquire moves on to another provider, or decides wait or fail.
      break;
    case 'unsupported':
      // A parameter this provider rejects: resend once without it (and never send it there again).
      if (
        failure.providerKind === 'bad_param' &&
        failure.params &&
        !s.resentStripped.has(lease.model) &&
        ctx.learnRejectedParams?.(lease.model, failure.params)
      ) {
        s.resentStripped.add(lease.model);
        s.retryFirst = lease.model;
        s.resend = true;
        break;
      }
      if (failure.providerKind !== 'bad_param') learnIncapability(engine, lease.model, failure, s.needs);
      s.exclude.add(lease.model);
      break;
    case 'model_not_found':
      s.exclude.add(lease.model);
      break;
    case 'context_length': {
      // Larger than this provider's whole budget (a 413): never retried there; the engine now
      // skips it for requests this large, so the request goes to a provider with a bigger one.
      if (failure.providerKind === 'request_too_large') {
        s.exclude.add(lease.model);
        break;
      }
      // Learn what the answer says; send again, clamped, if the prompt itself fits this model;
      // else move on — only to models with a larger window.
      const report = readContextReport(failure.message);
      if (report.contextLength !== undefined)
        engine.upsertProfile({ id: lease.model, contextLength: report.contextLength });
      const input = report.inputTokens;
      if (input !== undefined) s.needs.promptTokens = Math.max(s.needs.promptTokens ?? 0, input);
      const fits = report.contextLength !== undefined && input !== undefined && input < report.contextLength;
      if (fits && !s.resentClamped.has(lease.model)) {
        s.resentClamped.add(lease.model);
        s.retryFirst = lease.model;
        s.resend = true;
      } else {
        s.exclude.add(lease.model);
        if (input === undefined && report.contextLength !== undefined)
          s.needs.promptTokens = Math.max(s.needs.promptTokens ?? 0, report.contextLength + 1);
      }
      break;
    }
    case 'timeout':
      if (failure.phase === 'connect' || failure.phase === 'first_token') {
        s.exclude.add(lease.model); // a silent model is failed over, not retried
        break;
      }
      sameModelRetryOrExclude();
      break;
    default:
      sameModelRetryOrExclude();
  }
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
