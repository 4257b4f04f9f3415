/**
 * Server-sent events as OpenRouter writes them, and their playback over time: a
 * `: OPENROUTER PROCESSING` comment at once and every second while the model "thinks", then the
 * data events, paced. With no delay at all the whole stream goes out in one write and no timer is
 * created — the fast path benchmarks rely on.
 */
import type { ServerResponse } from 'node:http';
import type { Clock } from '../engine/clock.js';
import { abortOnClose, waitForAbort } from './http-util.js';

export const SSE_HEADERS: Record<string, string> = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
};
export const PROCESSING_COMMENT = ': OPENROUTER PROCESSING\n\n';
export const DONE_EVENT = 'data: [DONE]\n\n';
/** How often keep-alive comments are sent while waiting for the first token, ms. */
export const KEEP_ALIVE_INTERVAL_MS = 1000;

export function dataEvent(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

/** A stream to play: its events and when each goes out. */
export interface StreamScript {
  /** Complete SSE events (`data: …\n\n`), in order. */
  events: string[];
  /** Wait before the first event, ms; keep-alive comments are sent meanwhile. */
  firstEventDelayMs: number;
  /** Wait after each of the first `pacedEvents` events (the tokens), ms. */
  gapMs: number;
  pacedEvents: number;
  /** Events at the head sent with the next one, without a gap (the role-only opening chunk). */
  leadEvents?: number;
  /** Silent pause before `events[beforeIndex]`; `ms: Infinity` waits until the client leaves. */
  stall?: { beforeIndex: number; ms: number };
  /** End the body cleanly, or destroy the socket (an abrupt cut). */
  ending: 'end' | 'destroy';
  /** Extra response headers (a provider's quota headers). */
  headers?: Record<string, string>;
  /**
   * The comment sent at once and every second while waiting for the first event. Default
   * OpenRouter's `: OPENROUTER PROCESSING`; `''` for providers that send none.
   */
  keepAlive?: string;
}

function finish(res: ServerResponse, rest: string, ending: StreamScript['ending']): void {
  if (ending === 'end') res.end(rest);
  else if (rest) res.write(rest, () => res.destroy());
  else res.destroy();
}

/** Send the stream's headers and play its events; resolves when done or when the client left. */
export async function playStream(res: ServerResponse, script: StreamScript, clock: Clock): Promise<void> {
  res.writeHead(200, script.headers ? { ...SSE_HEADERS, ...script.headers } : SSE_HEADERS);
  const { events } = script;
  const keepAlive = script.keepAlive ?? PROCESSING_COMMENT;
  const immediate =
    script.firstEventDelayMs <= 0 && (script.gapMs <= 0 || script.pacedEvents <= 1) && !script.stall;
  if (immediate) {
    finish(res, keepAlive + events.join(''), script.ending);
    return;
  }

  const signal = abortOnClose(res);
  try {
    if (keepAlive) res.write(keepAlive);
    else res.flushHeaders();
    let remainingMs = script.firstEventDelayMs;
    while (remainingMs > 0) {
      const stepMs = Math.min(remainingMs, KEEP_ALIVE_INTERVAL_MS);
      await clock.sleep(stepMs, signal);
      remainingMs -= stepMs;
      if (remainingMs > 0 && keepAlive) res.write(keepAlive);
    }
    for (let i = 0; i < events.length; i++) {
      if (script.stall?.beforeIndex === i) {
        if (script.stall.ms === Infinity) return await waitForAbort(signal);
        await clock.sleep(script.stall.ms, signal);
      }
      if (i === events.length - 1) return finish(res, events[i]!, script.ending);
      res.write(events[i]!);
      if (i >= (script.leadEvents ?? 0) && i < script.pacedEvents - 1 && script.gapMs > 0)
        await clock.sleep(script.gapMs, signal);
    }
    finish(res, '', script.ending);
  } catch (err) {
    if (!signal.aborted) throw err;
    // The client went away mid-stream: nothing more to send.
  }
}
