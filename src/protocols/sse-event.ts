/** A named server-sent event, as both the Anthropic and the Responses streams send them. */
export interface SseEvent {
  event: string;
  data: unknown;
}

/** `event: <name>\ndata: <json>\n\n` per event. */
export function formatSse(events: readonly SseEvent[]): string {
  let text = '';
  for (const e of events) text += `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
  return text;
}
