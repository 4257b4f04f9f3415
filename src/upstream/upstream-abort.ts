/**
 * The `signal` undici is given. undici accepts any EventEmitter-like object; this one holds one
 * listener and costs nothing until used — an AbortController per attempt (an EventTarget, and a
 * DOMException on abort) showed up in the profile at several per cent of the gateway's CPU.
 */
export class UpstreamAbort {
  aborted = false;
  reason: unknown = undefined;
  private listener: (() => void) | undefined;
  on(_event: 'abort', listener: () => void): this {
    this.listener = listener;
    return this;
  }
  once(event: 'abort', listener: () => void): this {
    return this.on(event, listener);
  }
  removeListener(_event: 'abort', listener: () => void): this {
    if (this.listener === listener) this.listener = undefined;
    return this;
  }
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.listener;
    this.listener = undefined;
    listener?.();
  }
}
