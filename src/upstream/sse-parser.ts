/**
 * Incremental Server-Sent Events parser: bytes in (split anywhere, even inside a UTF-8
 * character or a CRLF), events out. Follows the WHATWG event-stream rules for lines (`\n`,
 * `\r\n`, `\r`), fields, comments and multi-line `data:`; adds what OpenAI-style streams need:
 * `[DONE]` as its own event and comments (`: OPENROUTER PROCESSING`) surfaced as keep-alives.
 */

export type SseEvent =
  /** A dispatched event's data (multi-line `data:` joined with `\n`). */
  | { type: 'data'; data: string; event: string | undefined; id: string | undefined }
  /** A comment line: the upstream is alive but has nothing to say yet. Not data. */
  | { type: 'keepalive'; comment: string }
  /** `data: [DONE]`, the end marker of OpenAI-style streams. */
  | { type: 'done' };

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;
const DONE = '[DONE]';

export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  /** The incomplete last line (no terminator seen yet). */
  private pending = '';
  /** The previous chunk ended in CR: a leading LF in the next one belongs to that line end. */
  private skipLf = false;
  private data: string | undefined;
  private eventName: string | undefined;
  private lastId: string | undefined;
  /** Reused between calls so feeding a chunk allocates nothing but the events themselves. */
  private readonly out: SseEvent[] = [];

  /**
   * Feed the next bytes (or already-decoded text). Returns the events they completed.
   * The returned array is reused by the next call: consume it before feeding more.
   */
  push(chunk: Uint8Array | string): readonly SseEvent[] {
    this.out.length = 0;
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (text.length > 0) this.feed(text);
    return this.out;
  }

  /**
   * End of input. Leniently dispatches a last event not followed by a blank line (servers often
   * end with `data: [DONE]\n`), where the spec would drop it. Same reuse rule as `push`.
   */
  end(): readonly SseEvent[] {
    this.out.length = 0;
    const tail = this.decoder.decode();
    if (tail.length > 0) this.feed(tail);
    if (this.pending.length > 0) {
      const line = this.pending;
      this.pending = '';
      this.line(line, 0, line.length);
    }
    this.dispatch();
    return this.out;
  }

  private feed(text: string): void {
    const searchFrom = this.pending.length; // the pending part has no line terminator
    const buf = searchFrom > 0 ? this.pending + text : text;
    let start = 0;
    if (this.skipLf) {
      this.skipLf = false;
      if (buf.charCodeAt(0) === LF) start = 1;
    }
    let from = Math.max(start, searchFrom);
    if (buf.indexOf('\r', from) === -1) {
      // Fast path, the usual case: LF-only line ends, found natively.
      for (let nl = buf.indexOf('\n', from); nl !== -1; nl = buf.indexOf('\n', from)) {
        this.line(buf, start, nl);
        start = nl + 1;
        from = start;
      }
    } else {
      const n = buf.length;
      for (let i = from; i < n; i++) {
        const c = buf.charCodeAt(i);
        if (c !== LF && c !== CR) continue;
        this.line(buf, start, i);
        if (c === CR) {
          if (i + 1 < n) {
            if (buf.charCodeAt(i + 1) === LF) i++;
          } else {
            this.skipLf = true;
          }
        }
        start = i + 1;
      }
    }
    this.pending = start < buf.length ? buf.slice(start) : '';
  }

  /** One line `buf[s, e)`, without its terminator. */
  private line(buf: string, s: number, e: number): void {
    if (s === e) {
      this.dispatch();
      return;
    }
    if (buf.charCodeAt(s) === COLON) {
      const cs = buf.charCodeAt(s + 1) === SPACE ? s + 2 : s + 1;
      this.out.push({ type: 'keepalive', comment: cs < e ? buf.slice(cs, e) : '' });
      return;
    }
    let colon = buf.indexOf(':', s);
    if (colon === -1 || colon > e) colon = e;
    let vs = colon + 1;
    if (vs < e && buf.charCodeAt(vs) === SPACE) vs++;
    const value = vs < e ? buf.slice(vs, e) : '';
    const nameLength = colon - s;
    if (nameLength === 4 && buf.startsWith('data', s)) {
      this.data = this.data === undefined ? value : `${this.data}\n${value}`;
    } else if (nameLength === 5 && buf.startsWith('event', s)) {
      this.eventName = value;
    } else if (nameLength === 2 && buf.startsWith('id', s)) {
      if (!value.includes('\0')) this.lastId = value;
    }
    // `retry` and unknown fields are ignored, as the spec says.
  }

  private dispatch(): void {
    const data = this.data;
    const event = this.eventName;
    this.data = undefined;
    this.eventName = undefined;
    if (data === undefined || data === '') return;
    if (data === DONE) this.out.push({ type: 'done' });
    else this.out.push({ type: 'data', data, event, id: this.lastId });
  }
}
