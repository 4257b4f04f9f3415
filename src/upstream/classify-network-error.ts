/**
 * Maps what the socket layer throws (undici errors, Node system errors) to a `Failure`.
 * A lost or refused connection tells the client "upstream unreachable" and the error code only:
 * addresses and library messages (`connect ECONNREFUSED 10.0.0.7:443`) stay in `detail`.
 */
import type { Failure } from '../engine/failure.js';

/** Codes of a connection that could not be made or was lost: transient, count against the model. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);

export function classifyNetworkError(err: unknown): Failure {
  const code = errorCode(err);
  const detail = err instanceof Error && err.message ? err.message : String(err);
  const message = code && !detail.includes(code) ? `${code}: ${detail}` : detail;
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { kind: 'timeout', phase: 'connect', message: `Connect timeout: ${message}` };
    // Backstops only (rotor's own timers normally fire first).
    case 'UND_ERR_HEADERS_TIMEOUT':
      return { kind: 'timeout', phase: 'first_token', message };
    case 'UND_ERR_BODY_TIMEOUT':
      return { kind: 'timeout', phase: 'idle', message };
    default:
      if (code && NETWORK_CODES.has(code))
        return { kind: 'network', message: `Upstream unreachable (${code})`, detail: message };
      // Parser errors, content-length mismatches and the like: the upstream answered badly.
      if (code?.startsWith('HPE_') || code?.startsWith('UND_ERR_')) return { kind: 'server_error', message };
      return { kind: 'network', message: 'Upstream unreachable', detail: message };
  }
}

/** The `code` of an error or of its `cause` chain (undici wraps system errors). */
function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      // undici's SocketError wraps ECONNRESET and friends; prefer the more specific cause when present.
      const cause = (e as { cause?: unknown }).cause;
      const inner =
        typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
      return typeof inner === 'string' && NETWORK_CODES.has(inner) ? inner : code;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
