/**
 * `max_tokens` is a ceiling, not a demand. Agents send 64,000 by habit (Claude Code does) and free
 * models allow a few thousand: a request is clamped, per model, to what the model can produce —
 * its output limit, and its context window minus the prompt — before it is sent. Unknown limits are
 * no reason to refuse; an upstream's own `context_length_exceeded` answer teaches the limit, and the
 * request is sent again, clamped, to the same model (no penalty: the model did nothing wrong).
 */
import type { ModelProfile } from '../engine/engine-types.js';

/** Our prompt estimate is rough (characters / 4): leave this share of it as headroom. */
const PROMPT_ESTIMATE_MARGIN = 0.1;

/** The output fields a client may set; both are clamped. */
const OUTPUT_FIELDS = ['max_tokens', 'max_completion_tokens'] as const;

/** The most output tokens `profile` can give a prompt of `promptTokens`, or undefined if unknown. */
export function outputLimit(profile: Readonly<ModelProfile>, promptTokens: number): number | undefined {
  let limit = profile.maxOutputTokens;
  if (profile.contextLength !== undefined) {
    const headroom = Math.ceil(promptTokens * (1 + PROMPT_ESTIMATE_MARGIN));
    const left = Math.max(1, profile.contextLength - headroom);
    limit = limit === undefined ? left : Math.min(limit, left);
  }
  return limit;
}

/**
 * The body to send to a model: `body` itself when nothing needs clamping (no copy on the hot
 * path), else a shallow copy with each output field lowered to `limit`.
 */
export function clampOutput(
  body: Record<string, unknown>,
  limit: number | undefined,
): Record<string, unknown> {
  if (limit === undefined) return body;
  let out: Record<string, unknown> | undefined;
  for (const field of OUTPUT_FIELDS) {
    const v = body[field];
    if (typeof v === 'number' && v > limit) {
      out ??= { ...body };
      out[field] = limit;
    }
  }
  return out ?? body;
}

/** What a `context_length_exceeded` message says: the model's window and the prompt's size, when stated. */
export interface ContextReport {
  contextLength?: number;
  inputTokens?: number;
}

/**
 * Read OpenRouter's (and most OpenAI-compatible servers') wording: "maximum context length is
 * 131072 tokens. However, you requested about 200000 tokens (150000 of text input, 50000 in the
 * output)".
 */
export function readContextReport(message: string): ContextReport {
  const report: ContextReport = {};
  const limit = /maximum context length is (\d+)/i.exec(message);
  if (limit) report.contextLength = Number(limit[1]);
  const input =
    /(\d+) of text input/i.exec(message) ?? /(\d+) (?:tokens )?in the (?:messages|prompt)/i.exec(message);
  if (input) report.inputTokens = Number(input[1]);
  return report;
}
