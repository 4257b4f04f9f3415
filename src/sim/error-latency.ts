/**
 * How long a simulated error takes before its answer, ms at latency scale 1. Real errors are not
 * instant: OpenRouter refuses a bad key or a spent quota at its edge (tens of ms), while a
 * provider's 5xx or pool 429 comes after the request was routed and tried (hundreds of ms).
 * Realistic error latency is what makes concurrent failures overlap in tests, as they do in
 * production. Scaled by the simulator's `latencyScale` (0 = instant, for benchmarks).
 */
import type { AttemptOutcome } from './attempt-log.js';

/** Refusals at OpenRouter's edge: key, body, unknown model, account and model quotas. */
const EDGE_MS = 60;
/** Checks against the model's endpoints: tools, context, system prompt. */
const ROUTING_MS = 120;
/** The provider's own verdicts: pool 429s, moderation, credits. */
const PROVIDER_MS = 250;
/** A provider that fails after trying: 5xx, a connection reset mid-request. */
const FAILURE_MS = 600;

export function errorLatencyMs(outcome: AttemptOutcome): number {
  switch (outcome) {
    case 'unauthorized':
    case 'invalid_request':
    case 'model_not_found':
    case 'model_gone':
    case 'account_minute_limit':
    case 'account_day_limit':
    case 'model_cap':
    case 'rate_limit':
    case 'no_free_quota':
    case 'config':
      return EDGE_MS;
    case 'tools_unsupported':
    case 'context_length':
    case 'system_prompt_unsupported':
    case 'request_too_large':
    case 'bad_param':
    case 'unsupported':
      return ROUTING_MS;
    case 'overloaded':
    case 'upstream_pool':
    case 'upstream_rate_limit':
    case 'rate_limited':
    case 'moderation':
    case 'insufficient_credits':
      return PROVIDER_MS;
    case 'server_error':
    case 'connection_reset':
      return FAILURE_MS;
    default:
      return 0;
  }
}
