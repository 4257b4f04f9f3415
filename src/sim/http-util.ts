/** Small `node:http` helpers shared by the simulator's routes. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../engine/clock.js';

/** Requests larger than this are refused with 413 (the simulator never needs big bodies). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export class BodyTooLargeError extends Error {}

/** The whole request body as text. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Stop keeping the body but let it drain, so the 413 can still be sent.
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError(`request body over ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): void {
  sendRawJson(res, status, JSON.stringify(body), headers);
}

export function sendRawJson(
  res: ServerResponse,
  status: number,
  json: string | Buffer,
  headers?: Record<string, string>,
): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
    ...headers,
  });
  res.end(json);
}

/** The bearer token of the request; undefined when the header is missing or the key empty. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** A signal that aborts when the response's connection closes (client gone, or simulator closing). */
export function abortOnClose(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  if (res.destroyed || res.closed) controller.abort();
  else res.once('close', () => controller.abort());
  return controller.signal;
}

/** Resolves when `signal` aborts: the way to "never answer" without leaking the request. */
export function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Wait `delayMs` of simulated time; false if the client left meanwhile (nothing more to send). */
export async function waitUnlessGone(clock: Clock, res: ServerResponse, delayMs: number): Promise<boolean> {
  const signal = abortOnClose(res);
  try {
    await clock.sleep(delayMs, signal);
    return true;
  } catch (err) {
    if (signal.aborted) return false;
    throw err;
  }
}

/** A request body parsed as a JSON object, or the words a refusal gives when it is not one. */
export function parseJsonObject(text: string): object | string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'Invalid JSON in request body';
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'Request body must be a JSON object';
  return body;
}
