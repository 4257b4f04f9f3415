/**
 * Node answers a request its HTTP parser refuses (garbage bytes, Content-Length with
 * Transfer-Encoding, a bad chunked body, a negative Content-Length, 16 KB+ of headers) with a bare
 * status line. rotor's `clientError` handler answers it in the one OpenAI shape instead, then
 * closes the connection: after a parse error nothing more can be read from it safely.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { HttpProtocolError, toWireError } from '../errors.js';

/** The error for what the parser said (`err.code`: `HPE_*`, `ERR_HTTP_REQUEST_TIMEOUT`, …). */
export function protocolError(code: string | undefined): HttpProtocolError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new HttpProtocolError('Request headers are too large (limit 16 KB in total)', 431, {
        code: 'request_headers_too_large',
      });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new HttpProtocolError('The request was not received in time', 408, { code: 'request_timeout' });
    default:
      return new HttpProtocolError(
        `Malformed HTTP request${code ? ` (${code.replace(/^HPE_/, '').toLowerCase()})` : ''}`,
        400,
        { code: 'malformed_request' },
      );
  }
}

/** `server.on('clientError', answerClientError)`. */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // Nothing to answer on a connection that is gone, or one already in the middle of a response.
  const inResponse = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage
    ?.headersSent;
  if (err.code === 'ECONNRESET' || !socket.writable || inResponse) {
    socket.destroy();
    return;
  }
  const wire = toWireError(protocolError(err.code));
  const body = JSON.stringify(wire.body);
  socket.end(
    `HTTP/1.1 ${wire.status} ${STATUS_CODES[wire.status] ?? 'Bad Request'}\r\n` +
      'content-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'connection: close\r\n\r\n' +
      body,
  );
}
