/**
 * rotor's one error hierarchy in the Anthropic Messages API's wire shape —
 * `{"type":"error","error":{"type","message"}}` with Anthropic's statuses (529 for overloaded) —
 * the only place this mapping lives.
 */
import { asRotorError, retryAfterHeaders } from '../../errors.js';

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
}

/** By rotor status. 503 (no model can answer now, or draining) is Anthropic's 529 `overloaded_error`. */
const BY_STATUS: Readonly<Record<number, { status: number; type: AnthropicErrorType }>> = {
  401: { status: 401, type: 'authentication_error' },
  402: { status: 402, type: 'billing_error' },
  403: { status: 403, type: 'permission_error' },
  404: { status: 404, type: 'not_found_error' },
  413: { status: 413, type: 'request_too_large' },
  429: { status: 429, type: 'rate_limit_error' },
  503: { status: 529, type: 'overloaded_error' },
  504: { status: 504, type: 'timeout_error' },
};

export function toAnthropicError(err: unknown): {
  status: number;
  body: AnthropicErrorBody;
  headers: Record<string, string>;
} {
  const e = asRotorError(err);
  const mapped =
    BY_STATUS[e.status] ??
    (e.status < 500
      ? { status: e.status, type: 'invalid_request_error' as const }
      : { status: e.status, type: 'api_error' as const });
  return {
    status: mapped.status,
    body: { type: 'error', error: { type: mapped.type, message: e.message } },
    headers: retryAfterHeaders(e),
  };
}

/** The `error` event that ends a stream whose upstream failed mid-answer (`code` is the in-band error's). */
export function anthropicStreamError(code: number | string, message: string): AnthropicErrorBody {
  const type: AnthropicErrorType =
    code === 429 ? 'rate_limit_error' : code === 503 || code === 529 ? 'overloaded_error' : 'api_error';
  return { type: 'error', error: { type, message } };
}
