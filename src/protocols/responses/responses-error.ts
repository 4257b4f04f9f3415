/**
 * rotor's errors in the Responses API. Before a stream starts an error is an HTTP error in
 * OpenAI's shape — the same as Chat Completions, so `toWireError` serves it unchanged. A failure
 * after the answer started ends the stream with `response.failed`, whose `response.error` is
 * `{code, message}` with a string code: this is the only place that code is chosen.
 */
export interface ResponseError {
  code: string;
  message: string;
}

/** `code` is the in-band error's (an HTTP-like status or a provider string). */
export function responsesStreamError(code: number | string, message: string): ResponseError {
  if (typeof code === 'string' && Number.isNaN(Number(code))) return { code, message };
  const status = Number(code);
  if (status === 429) return { code: 'rate_limit_exceeded', message };
  if (status === 499) return { code: 'cancelled', message };
  if (status === 503 || status === 529) return { code: 'server_is_overloaded', message };
  return { code: 'server_error', message };
}
