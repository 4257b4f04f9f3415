/** Reading a JSON request body with size and depth limits, and writing JSON and errors in one shape. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidRequestError, PayloadTooLargeError, toWireError } from '../errors.js';

/**
 * Deepest nesting of objects and arrays accepted in a request body. Real requests (tool schemas
 * included) stay far below; a body nested thousands deep would overflow the stack when re-serialised
 * for the upstream.
 */
export const MAX_JSON_DEPTH = 128;

/** Read and parse a JSON body of at most `limitBytes`; errors are OpenAI-shaped 400/413s. */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume(); // drain without buffering
    throw tooLarge(limitBytes);
  }
  // Plain 'data'/'end' listeners: the stream's async iterator costs several promises per request.
  const { chunks, size } = await new Promise<{ chunks: Buffer[]; size: number }>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        req.resume();
        reject(tooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve({ chunks, size });
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => onError(new Error('The request closed before its body ended'));
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
  if (size === 0)
    throw new InvalidRequestError('Request body is empty; expected a JSON object', { code: 'invalid_json' });
  const text =
    chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
  const depth = nestingDepth(text, MAX_JSON_DEPTH);
  if (depth > MAX_JSON_DEPTH)
    throw new InvalidRequestError(
      `Request body is nested more than ${MAX_JSON_DEPTH} levels deep (the limit of objects and arrays within each other)`,
      { code: 'invalid_json' },
    );
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidRequestError(`Request body is not valid JSON: ${(err as Error).message}`, {
      code: 'invalid_json',
    });
  }
}

/** Nesting depth of the JSON text's objects and arrays (brackets in strings do not count); stops past `limit`. */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

function tooLarge(limitBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`Request body is larger than the limit of ${limitBytes} bytes`, {
    code: 'request_too_large',
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | number> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * Send any thrown value as an error: OpenAI-shaped by default (the one mapping lives in
 * `toWireError`), or in another protocol's shape through its own mapping.
 */
export function sendError(
  res: ServerResponse,
  err: unknown,
  headers: Record<string, string> = {},
  toWire: (err: unknown) => { status: number; body: unknown; headers: Record<string, string> } = toWireError,
): number {
  const wire = toWire(err);
  // 499 (client closed request, as nginx logs it): the client is gone and hears nothing, but the
  // status is what logs and metrics record — a cancelled request is not a 400 of the client's.
  const status = wire.status;
  if (res.headersSent) {
    res.end();
    return status;
  }
  sendJson(res, status, wire.body, { ...wire.headers, ...headers });
  return status;
}
