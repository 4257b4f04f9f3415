/**
 * What `rotor probe`'s samples say about a model, pure: a verdict (the registry status it
 * supports), measured figures and capabilities. Only the model's own outcomes are samples;
 * account-wide refusals (quota, key) stop the probe and never count against a model.
 */
import type { FailureKind, RateLimitScope } from '../engine/failure.js';

/** The three requests a probe sends: a plain completion, one with a system prompt, one with a tool. */
export type ProbeCheck = 'plain' | 'system' | 'tools';

export interface ProbeFailure {
  kind: FailureKind;
  /** For `rate_limit`: whom it applies to. */
  scope?: RateLimitScope;
  status?: number;
  message: string;
  /** When the limit resets, epoch ms, if the upstream said. */
  resetAtMs?: number;
}

export interface ProbeSample {
  model: string;
  check: ProbeCheck;
  /** 0-based sample round. */
  round: number;
  /** Epoch ms. */
  startedAtMs: number;
  /** Whole request, from sending to the end of the stream (or the failure), ms. */
  latencyMs: number;
  /** Time to the first content chunk (text, reasoning or tool call), ms; null without one. */
  ttftMs: number | null;
  ok: boolean;
  /** Tool check: whether the answer called the tool. */
  toolCalled?: boolean;
  failure?: ProbeFailure;
}

/**
 * `verified` works; `rate_limited` mostly answered 429 for this model; `incompatible` refused
 * the system prompt (or a plain request) as unsupported; `retired` is gone (404); `failing`
 * failed every request for other reasons (5xx, timeouts); `untested` has no samples.
 */
export type ProbeVerdict = 'verified' | 'rate_limited' | 'incompatible' | 'retired' | 'failing' | 'untested';

export interface ModelProbeResult {
  model: string;
  verdict: ProbeVerdict;
  /** Why, for every verdict but a clean `verified`: the upstream's error message or a summary. */
  reason: string | null;
  /** Samples that count for the success rate (a tool refusal is a capability, not a failure). */
  attempts: number;
  successes: number;
  /** successes / attempts, 0–1; null without attempts. */
  successRate: number | null;
  /** Of successful requests, ms. */
  p50Ms: number | null;
  p95Ms: number | null;
  ttftP50Ms: number | null;
  /** What the samples showed; a capability not exercised is left out. */
  capabilities: { system_prompt?: boolean; tools?: boolean };
  /** Failed samples by failure kind. */
  failures: Partial<Record<FailureKind, number>>;
}

/** Nearest-rank percentile, `p` in [0, 100], like the engine's sample windows; null when empty. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** A tool request refused as unsupported says the model has no tools; it is not a failed sample. */
export function isToolRefusal(sample: ProbeSample): boolean {
  return sample.check === 'tools' && sample.failure?.kind === 'unsupported';
}

/** The verdict a single failed sample settles at once: the model need not be asked again. */
export function decisiveVerdict(sample: ProbeSample): 'retired' | 'incompatible' | undefined {
  if (sample.failure?.kind === 'model_not_found') return 'retired';
  if (sample.failure?.kind === 'unsupported' && sample.check !== 'tools') return 'incompatible';
  return undefined;
}

export function summarizeModel(model: string, samples: readonly ProbeSample[]): ModelProbeResult {
  const own = samples.filter((sample) => sample.model === model);
  const counted = own.filter((sample) => !isToolRefusal(sample));
  const succeeded = counted.filter((sample) => sample.ok);
  const latencies = succeeded.map((sample) => sample.latencyMs);
  const ttfts = succeeded.flatMap((sample) => (sample.ttftMs === null ? [] : [sample.ttftMs]));
  const failures: Partial<Record<FailureKind, number>> = {};
  for (const sample of counted) {
    if (sample.failure) failures[sample.failure.kind] = (failures[sample.failure.kind] ?? 0) + 1;
  }
  const capabilities: ModelProbeResult['capabilities'] = {};
  for (const sample of own) {
    if (sample.check === 'system') {
      if (sample.ok) capabilities.system_prompt = true;
      else if (sample.failure?.kind === 'unsupported') capabilities.system_prompt = false;
    }
    if (sample.check === 'tools') {
      if (sample.ok && sample.toolCalled) capabilities.tools = true;
      else if (isToolRefusal(sample) && capabilities.tools === undefined) capabilities.tools = false;
    }
  }
  const { verdict, reason } = verdictOf(own, counted, succeeded.length);
  return {
    model,
    verdict,
    reason,
    attempts: counted.length,
    successes: succeeded.length,
    successRate: counted.length === 0 ? null : succeeded.length / counted.length,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    ttftP50Ms: percentile(ttfts, 50),
    capabilities,
    failures,
  };
}

function verdictOf(
  own: readonly ProbeSample[],
  counted: readonly ProbeSample[],
  successes: number,
): { verdict: ProbeVerdict; reason: string | null } {
  for (const decisive of ['retired', 'incompatible'] as const) {
    const sample = own.find((s) => decisiveVerdict(s) === decisive);
    if (sample) return { verdict: decisive, reason: oneLine(sample.failure!.message) };
  }
  if (counted.length === 0) return { verdict: 'untested', reason: 'no samples' };
  const rateLimited = counted.filter((s) => s.failure?.kind === 'rate_limit');
  if (rateLimited.length > 0 && rateLimited.length >= successes) {
    return { verdict: 'rate_limited', reason: oneLine(rateLimited.at(-1)!.failure!.message) };
  }
  const failed = counted.filter((s) => !s.ok);
  if (successes > 0) {
    if (failed.length === 0) return { verdict: 'verified', reason: null };
    return { verdict: 'verified', reason: `${failed.length} of ${counted.length} failed: ${kinds(failed)}` };
  }
  return { verdict: 'failing', reason: `${kinds(failed)}: ${oneLine(failed.at(-1)!.failure!.message)}` };
}

/** `server_error ×2, timeout` */
function kinds(failed: readonly ProbeSample[]): string {
  const counts = new Map<string, number>();
  for (const sample of failed) {
    const kind = sample.failure?.kind ?? 'error';
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts].map(([kind, count]) => (count > 1 ? `${kind} ×${count}` : kind)).join(', ');
}

/**
 * Upstream messages can carry a provider's pretty-printed JSON (`Provider returned error: {\n …`);
 * a registry reason is one line. A nested `"message"` is the useful part when there is one.
 */
export function oneLine(message: string): string {
  const brace = message.indexOf('{');
  const nested = brace === -1 ? null : /"message"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(message.slice(brace));
  let text = message;
  if (nested) {
    const prefix = message.slice(0, brace).replace(/[:\s]+$/, '');
    text = prefix ? `${prefix}: ${jsonUnescape(nested[1]!)}` : jsonUnescape(nested[1]!);
  }
  return text.replace(/\s+/g, ' ').trim();
}

function jsonUnescape(text: string): string {
  try {
    return JSON.parse(`"${text}"`) as string;
  } catch {
    return text;
  }
}
