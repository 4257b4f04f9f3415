/** Reading a JSON request body with a size limit, and writing JSON and errors in one shape. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidRequestError, PayloadTooLargeError, toWireError } from '../errors.js';

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
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidRequestError(`Request body is not valid JSON: ${(err as Error).message}`, {
      code: 'invalid_json',
    });
  }
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
  // 499 is not a real status a client can receive; the client is gone anyway.
  const status = wire.status === 499 ? 400 : wire.status;
  if (res.headersSent) {
    res.end();
    return status;
  }
  sendJson(res, status, wire.body, { ...wire.headers, ...headers });
  return status;
}
