/** Raw HTTP over a socket, for requests no HTTP client would send (malformed, oversized, hostile). */
import { connect } from 'node:net';

export interface RawAnswer {
  /** 0 when the connection closed without an answer. */
  status: number;
  headers: Record<string, string>;
  body: string;
  raw: string;
}

/**
 * Write `bytes`, read until the server closes the connection (or `timeoutMs` passes), parse one
 * response. Unless `halfClose`, the socket stays open for writing: send `Connection: close` to have
 * the server end it.
 */
export function rawRequest(
  port: number,
  bytes: string | Buffer,
  timeoutMs = 5000,
  options: { halfClose?: boolean } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `no close within ${timeoutMs} ms; got: ${Buffer.concat(chunks).toString('latin1').slice(0, 300)}`,
        ),
      );
    }, timeoutMs);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => {}); // a reset is an answer too: "closed"
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parse(Buffer.concat(chunks).toString('latin1')));
    });
    socket.write(bytes, () => {
      if (options.halfClose) socket.end(); // "that was all": an incomplete request cannot wait for more
    });
  });
}

/** Parse the first response of `raw` (chunked bodies are de-chunked). */
export function parse(raw: string): RawAnswer {
  const split = raw.indexOf('\r\n\r\n');
  if (!raw.startsWith('HTTP/1.1 ') || split === -1) return { status: 0, headers: {}, body: '', raw };
  const [statusLine, ...lines] = raw.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.slice(split + 4);
  if (headers['content-length'] !== undefined) body = body.slice(0, Number(headers['content-length']));
  else if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  return { status: Number(statusLine!.split(' ')[1]), headers, body, raw };
}

function dechunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    if (eol === -1) return out;
    const size = Number.parseInt(rest.slice(0, eol), 16);
    if (!(size > 0)) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 4 + size);
  }
}

/** True when `body` is an OpenAI-shaped error: `{"error":{"message","type","param","code"}}`. */
export function isOpenAiError(body: string): boolean {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return false;
  }
  const e = (json as { error?: Record<string, unknown> } | null)?.error;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.message === 'string' &&
    typeof e.type === 'string' &&
    'param' in e &&
    'code' in e
  );
}
