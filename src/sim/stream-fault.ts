/**
 * A scripted delivery fault applied to an answer, the same for the simulated OpenRouter and the
 * simulated providers: only the in-band error differs (each side writes its own).
 */
import type { ServerResponse } from 'node:http';
import type { Clock } from '../engine/clock.js';
import type { ScheduledFault } from './fault-schedule.js';
import { abortOnClose, waitForAbort } from './http-util.js';
import type { StreamScript } from './sse-writer.js';

/** Faults that change how a successful answer is delivered rather than replacing it. */
export type DeliveryFault = Extract<
  ScheduledFault,
  {
    kind:
      | 'slow_first_token'
      | 'stream_cut'
      | 'stream_stall'
      | 'malformed_chunk'
      | 'missing_done'
      | 'error_in_200'
      | 'midstream_error';
  }
>;

/** The pieces of a stream a fault rearranges. */
export interface StreamParts {
  /** The role-only opening event. */
  role: string;
  /** The content events, in order. */
  content: string[];
  /** The generation's id and creation time (s), for the malformed chunk. */
  meta: { id: string; created: number };
  /** The in-band error event that ends the stream (`midstream_error`, `error_in_200`). */
  errorEvent: (fault: Extract<DeliveryFault, { kind: 'error_in_200' | 'midstream_error' }>) => string;
}

/**
 * Reshape `script` (events: role, content…, the tail, `[DONE]`) as `fault` delivers it. Faults
 * that touch only the pacing (`slow_first_token`) leave it as it is.
 */
export function applyStreamFault(script: StreamScript, fault: DeliveryFault, parts: StreamParts): void {
  const { role, content, meta } = parts;
  // `afterChunks` counts content chunks; the role chunk comes before them all.
  const after = 'afterChunks' in fault ? Math.min(fault.afterChunks, content.length) : 0;
  switch (fault.kind) {
    case 'missing_done':
      script.events.pop();
      break;
    case 'stream_cut':
      script.events = [role, ...content.slice(0, after)];
      script.ending = fault.abrupt ? 'destroy' : 'end';
      break;
    case 'stream_stall':
      script.stall = { beforeIndex: after + 1, ms: fault.stallMs ?? Infinity };
      break;
    case 'malformed_chunk':
      // A chunk cut off inside its JSON, as a proxy that drops bytes would deliver it.
      script.events.splice(
        after + 1,
        0,
        `data: {"id":"${meta.id}","object":"chat.completion.chunk","created":${meta.created},"choices":[{"index":0,"delta":{"content":"\n\n`,
      );
      break;
    case 'midstream_error':
    case 'error_in_200':
      script.events = [role, ...content.slice(0, after), parts.errorEvent(fault)];
      script.pacedEvents = after + 1;
      break;
  }
}

/**
 * A whole (non-stream) answer as a cut, stall or malformed chunk delivers it: the body stops
 * half-way (no content-length, so only the JSON tells it is incomplete; `abrupt` destroys the
 * socket after it), or comes after a silent pause (`stallMs` undefined: until the client leaves).
 */
export async function sendFaultedBody(
  res: ServerResponse,
  clock: Clock,
  fault: Extract<DeliveryFault, { kind: 'stream_cut' | 'stream_stall' | 'malformed_chunk' }>,
  json: string,
  headers?: Record<string, string>,
): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  if (fault.kind !== 'stream_stall') {
    const half = json.slice(0, Math.floor(json.length / 2));
    if (fault.kind === 'stream_cut' && fault.abrupt) res.write(half, () => res.destroy());
    else res.end(half);
    return;
  }
  res.flushHeaders();
  const signal = abortOnClose(res);
  try {
    if (fault.stallMs === undefined) return await waitForAbort(signal);
    await clock.sleep(fault.stallMs, signal);
  } catch (err) {
    if (signal.aborted) return;
    throw err;
  }
  res.end(json);
}
