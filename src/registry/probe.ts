/**
 * `rotor probe`'s engine: real test requests to each model, straight through the upstream client
 * (never through the rotor, which would fail over: a probe must hit exactly the model asked for),
 * paced under the account's per-minute limit. Per model and round it sends a plain completion, one
 * with a system prompt and, optionally, one with a tool; it stops asking a model once the answer is
 * settled (gone, incompatible, repeatedly rate-limited) and stops the whole probe on an account-wide
 * refusal, because then no model can answer and every further attempt would burn daily quota.
 * Aborting keeps every sample taken so far.
 */
import { type Clock, systemClock } from '../engine/clock.js';
import type { AttemptTimeouts, ChatTransport } from '../upstream/chat-transport.js';
import { UpstreamClient, UpstreamFailure } from '../upstream/upstream-client.js';
import type { UpstreamConfig } from '../upstream/upstream-config.js';
import { RequestPacer } from './probe-pacer.js';
import {
  decisiveVerdict,
  isToolRefusal,
  type ModelProbeResult,
  type ProbeCheck,
  type ProbeFailure,
  type ProbeSample,
  summarizeModel,
} from './probe-summary.js';

export interface ProbeModelsOptions {
  /** Model ids, probed in this order. */
  models: readonly string[];
  upstream: UpstreamConfig;
  /** Rounds per model; each round sends every check once. Default 3. */
  samples?: number;
  /** Also send a tool-call request each round. Default false. */
  tools?: boolean;
  /** Most requests per rolling minute. Default 20 (the free tier's per-account limit). */
  rpm?: number;
  /** Total time allowed per request, ms. Default 90 000. */
  timeoutMs?: number;
  /** Give up on a model after this many rate limits in a row. Default 2. */
  maxConsecutiveRateLimits?: number;
  /** Default: a fresh `UpstreamClient`, closed at the end. */
  transport?: ChatTransport;
  /** Paces and times the requests. Default `systemClock`. */
  clock?: Clock;
  /** Stops the probe: the request in flight is aborted, samples so far are kept. */
  signal?: AbortSignal;
  onEvent?: (event: ProbeEvent) => void;
}

export interface ProbeProgress {
  /** Requests finished. */
  done: number;
  /** Requests planned, less those skipped once a model's answer was settled. */
  total: number;
  /** Estimated time to finish, ms; null until a request has been timed. */
  etaMs: number | null;
}

export type ProbeEvent =
  | { type: 'waiting'; untilMs: number; progress: ProbeProgress }
  | { type: 'sending'; model: string; check: ProbeCheck; round: number; progress: ProbeProgress }
  | { type: 'sample'; sample: ProbeSample; progress: ProbeProgress }
  | { type: 'skipped'; model: string; count: number; reason: string; progress: ProbeProgress };

export interface ProbeStop {
  /** `aborted`: by the signal (Ctrl-C); `account_quota`: a per-minute or per-day account 429; `account`: key or credits. */
  reason: 'aborted' | 'account_quota' | 'account';
  message: string;
  /** When the quota resets, epoch ms, if known. */
  resetAtMs?: number;
}

export interface ProbeRun {
  /** In the order asked, one per model, including those not reached (`untested`). */
  results: ModelProbeResult[];
  samples: ProbeSample[];
  /** Requests planned at the start (models × samples × checks). */
  planned: number;
  /** Requests sent (the one aborted in flight included). */
  sent: number;
  /** Why the probe ended early; null when it ran to the end. */
  stopped: ProbeStop | null;
  startedAtMs: number;
  finishedAtMs: number;
}

const PROMPT = 'Reply with one word: ok';
const TOOL = {
  type: 'function',
  function: {
    name: 'get_time',
    description: 'Returns the current time in a time zone.',
    parameters: {
      type: 'object',
      properties: { timezone: { type: 'string', description: 'IANA time zone, e.g. UTC' } },
      required: ['timezone'],
    },
  },
} as const;

/** The request body of each check. Short answers: the probe measures responsiveness, not prose. */
export const PROBE_BODIES: Readonly<Record<ProbeCheck, Record<string, unknown>>> = {
  plain: { messages: [{ role: 'user', content: PROMPT }], max_tokens: 64 },
  system: {
    messages: [
      { role: 'system', content: 'You are a terse assistant. Answer with a single word.' },
      { role: 'user', content: PROMPT },
    ],
    max_tokens: 64,
  },
  tools: {
    messages: [{ role: 'user', content: 'Use the get_time tool to get the current time in UTC.' }],
    tools: [TOOL],
    tool_choice: 'auto',
    max_tokens: 256,
  },
};

/** A guess of one request's duration for the ETA before any has been timed, ms. */
const FIRST_GUESS_MS = 2_000;

export async function probeModels(options: ProbeModelsOptions): Promise<ProbeRun> {
  const clock = options.clock ?? systemClock;
  const rounds = options.samples ?? 3;
  const checks: ProbeCheck[] = options.tools ? ['plain', 'system', 'tools'] : ['plain', 'system'];
  const maxRateLimits = options.maxConsecutiveRateLimits ?? 2;
  const timeouts = probeTimeouts(options.timeoutMs ?? 90_000);
  const pacer = new RequestPacer(clock, { limit: options.rpm ?? 20 });
  const ownsTransport = options.transport === undefined;
  const transport = options.transport ?? new UpstreamClient({ clock });
  const signal = options.signal;
  const emit = options.onEvent ?? (() => {});

  const planned = options.models.length * rounds * checks.length;
  let total = planned;
  let done = 0;
  let sent = 0;
  let timedMs = 0;
  const samples: ProbeSample[] = [];
  let stopped: ProbeStop | null = null;
  const startedAtMs = clock.now();

  const progress = (): ProbeProgress => {
    const remaining = total - done;
    const perRequestMs = done === 0 ? FIRST_GUESS_MS : timedMs / done;
    return {
      done,
      total,
      etaMs: done === 0 && remaining > 0 ? null : pacer.estimateMs(remaining, perRequestMs),
    };
  };

  try {
    models: for (const model of options.models) {
      const queue = Array.from({ length: rounds }, (_, round) =>
        checks.map((check) => ({ check, round })),
      ).flat();
      let rateLimitsInRow = 0;
      let noTools = false;
      for (let i = 0; i < queue.length; i++) {
        const { check, round } = queue[i]!;
        if (check === 'tools' && noTools) continue; // taken off `total` when the refusal came
        try {
          await pacer.acquire(signal, (untilMs) => emit({ type: 'waiting', untilMs, progress: progress() }));
        } catch (err) {
          if (signal?.aborted) {
            stopped = abortStop();
            break models;
          }
          throw err;
        }
        emit({ type: 'sending', model, check, round, progress: progress() });
        sent++;
        const outcome = await probeOnce(
          transport,
          options.upstream,
          model,
          check,
          round,
          timeouts,
          clock,
          signal,
        );
        if (outcome === 'aborted') {
          stopped = abortStop();
          break models;
        }
        if (outcome.failure && isAccountWide(outcome.failure)) {
          stopped = accountStop(outcome.failure, clock.now());
          break models;
        }
        samples.push(outcome);
        done++;
        timedMs += outcome.latencyMs;
        emit({ type: 'sample', sample: outcome, progress: progress() });

        rateLimitsInRow = outcome.failure?.kind === 'rate_limit' ? rateLimitsInRow + 1 : 0;
        if (isToolRefusal(outcome) && !noTools) {
          noTools = true;
          total -= queue.slice(i + 1).filter((item) => item.check === 'tools').length;
        }
        const settled = decisiveVerdict(outcome);
        const giveUp =
          settled !== undefined
            ? `${settled === 'retired' ? 'gone' : 'incompatible'}`
            : rateLimitsInRow >= maxRateLimits
              ? `${rateLimitsInRow} rate limits in a row`
              : undefined;
        if (giveUp !== undefined) {
          const rest = queue.slice(i + 1).filter((item) => !(item.check === 'tools' && noTools)).length;
          total -= rest;
          if (rest > 0) emit({ type: 'skipped', model, count: rest, reason: giveUp, progress: progress() });
          break;
        }
      }
    }
  } finally {
    if (ownsTransport && transport instanceof UpstreamClient) await transport.close();
  }

  return {
    results: options.models.map((model) => summarizeModel(model, samples)),
    samples,
    planned,
    sent,
    stopped,
    startedAtMs,
    finishedAtMs: clock.now(),
  };
}

/** One request, timed. Resolves `'aborted'` when the signal stopped it. */
async function probeOnce(
  transport: ChatTransport,
  upstream: UpstreamConfig,
  model: string,
  check: ProbeCheck,
  round: number,
  timeouts: AttemptTimeouts,
  clock: Clock,
  signal: AbortSignal | undefined,
): Promise<ProbeSample | 'aborted'> {
  const startedAtMs = clock.now();
  let ttftMs: number | null = null;
  let toolCalled = false;
  const base = { model, check, round, startedAtMs };
  try {
    const stream = await transport.openStream({
      upstream,
      model,
      body: PROBE_BODIES[check],
      timeouts,
      ...(signal ? { signal } : {}),
    });
    for await (const chunk of stream) {
      for (const choice of chunk.choices ?? []) {
        const delta = choice.delta ?? {};
        const calls = delta.tool_calls?.length ?? 0;
        if (calls > 0) toolCalled = true;
        if (ttftMs === null && (delta.content || delta.reasoning || calls > 0))
          ttftMs = clock.now() - startedAtMs;
      }
    }
    return {
      ...base,
      latencyMs: clock.now() - startedAtMs,
      ttftMs,
      ok: true,
      ...(check === 'tools' ? { toolCalled } : {}),
    };
  } catch (err) {
    if (signal?.aborted) return 'aborted';
    const failure: ProbeFailure =
      err instanceof UpstreamFailure
        ? {
            kind: err.failure.kind,
            ...(err.failure.kind === 'rate_limit' ? { scope: err.failure.scope } : {}),
            ...(err.failure.status !== undefined ? { status: err.failure.status } : {}),
            message: err.failure.message,
            ...(err.failure.resetAtMs !== undefined ? { resetAtMs: err.failure.resetAtMs } : {}),
          }
        : { kind: 'network', message: err instanceof Error ? err.message : String(err) };
    return { ...base, latencyMs: clock.now() - startedAtMs, ttftMs, ok: false, failure };
  }
}

/** Refusals no other model on the account could avoid: the quota, the key, the credits. */
function isAccountWide(failure: ProbeFailure): boolean {
  if (failure.kind === 'rate_limit') return failure.scope !== undefined && failure.scope !== 'model';
  return failure.kind === 'auth' || failure.kind === 'credits';
}

function probeTimeouts(totalMs: number): AttemptTimeouts {
  return {
    connectMs: Math.min(10_000, totalMs),
    firstTokenMs: Math.min(60_000, totalMs),
    idleMs: Math.min(30_000, totalMs),
    totalMs,
  };
}

function abortStop(): ProbeStop {
  return { reason: 'aborted', message: 'Stopped on request; the samples taken so far are kept.' };
}

function accountStop(failure: ProbeFailure, nowMs: number): ProbeStop {
  const reset = failure.resetAtMs;
  const when =
    reset === undefined ? '' : `; it resets at ${utcTime(reset)} (in ${formatDuration(reset - nowMs)})`;
  if (failure.kind === 'rate_limit' && failure.scope === 'account_day') {
    return {
      reason: 'account_quota',
      message: `The account's free-model requests for today are spent (free-models-per-day)${when}. Stopped; the samples so far are kept.`,
      ...(reset === undefined ? {} : { resetAtMs: reset }),
    };
  }
  if (failure.kind === 'rate_limit') {
    return {
      reason: 'account_quota',
      message:
        `The account's per-minute free-model limit was hit (free-models-per-min) although the probe paces itself — ` +
        `is something else using this key?${when}. Stopped; the samples so far are kept.`,
      ...(reset === undefined ? {} : { resetAtMs: reset }),
    };
  }
  const what = failure.kind === 'auth' ? 'The API key was refused' : 'The account has not enough credits';
  return { reason: 'account', message: `${what}: ${failure.message}. No model can answer; stopped.` };
}

/** `2026-11-27 00:00:00 UTC` */
export function utcTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `45s`, `1m12s`, `2h05m`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
