/**
 * Helpers for the simulator's socket tests: call it like a client would, parse its SSE, load the
 * real OpenRouter fixtures and compare body structures.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelsSnapshotPath, openRouterFixturesDir } from '../repo-fixtures.js';

/** test/fixtures/openrouter, inside the repository. */
const FIXTURES_DIR = openRouterFixturesDir();
export const MODELS_SNAPSHOT = modelsSnapshotPath();

export interface ErrorFixture {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export function loadErrorFixture(name: string): ErrorFixture {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, 'errors', name), 'utf8')) as ErrorFixture;
}

export function readFixtureText(name: string): string {
  return readFileSync(join(FIXTURES_DIR, name), 'utf8');
}

/** The shape of a JSON value: same keys, leaves replaced by their type. */
export function structureOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(structureOf);
  if (value === null) return 'null';
  if (typeof value === 'object')
    return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, structureOf(v)]));
  return typeof value;
}

/** JSON read back in tests, accessed by path; the assertions check its shape. */
// biome-ignore lint/suspicious/noExplicitAny: test bodies are navigated freely and asserted on.
export type Json = any;

export const TEST_KEY = 'sk-or-v1-0123456789abcdef';

export interface JsonReply {
  status: number;
  headers: Headers;
  json: Json;
}

/** POST a chat request and read the whole JSON answer. */
export async function chat(
  baseUrl: string,
  body: Record<string, unknown>,
  init: { key?: string | null; signal?: AbortSignal } = {},
): Promise<JsonReply> {
  const key = init.key === undefined ? TEST_KEY : init.key;
  const res = await fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
    },
    body: JSON.stringify(body),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: JSON.parse(text) };
}

export async function getJson(url: string, key: string | null = TEST_KEY): Promise<JsonReply> {
  const res = await fetch(url, { headers: key === null ? {} : { authorization: `Bearer ${key}` } });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Json };
}

export type SseEvent = { type: 'comment'; text: string } | { type: 'data'; raw: string; json?: Json };

/** Split an SSE body into comments and data events (`json` set when the data parses). */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split('\n\n')) {
    if (block === '') continue;
    if (block.startsWith(':')) {
      events.push({ type: 'comment', text: block.slice(1).trim() });
      continue;
    }
    const raw = block.replace(/^data: /, '');
    let json: unknown;
    try {
      json = raw === '[DONE]' ? undefined : JSON.parse(raw);
    } catch {
      json = undefined;
    }
    events.push(json === undefined ? { type: 'data', raw } : { type: 'data', raw, json });
  }
  return events;
}

/** POST a streaming chat request and read the whole stream. */
export async function chatStream(
  baseUrl: string,
  body: Record<string, unknown>,
): Promise<{ status: number; headers: Headers; text: string; events: SseEvent[] }> {
  const res = await fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}` },
    body: JSON.stringify({ ...body, stream: true }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, events: parseSse(text) };
}

/** A minimal user request to `model`. */
export function ask(model: string, content = 'Say hello.', extra: Record<string, unknown> = {}) {
  return { model, messages: [{ role: 'user', content }], ...extra };
}

/** A stream read step by step: wait for events as they arrive, or check that none has. */
export class StreamReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private pending: Promise<void> | undefined;
  text = '';
  done = false;

  constructor(readonly response: Response) {
    this.reader = response.body!.getReader();
  }

  /** One read; concurrent callers share it, so no chunk is appended twice. */
  private readOnce(): Promise<void> {
    this.pending ??= this.reader.read().then((result) => {
      this.pending = undefined;
      if (result.done) this.done = true;
      else this.text += this.decoder.decode(result.value, { stream: true });
    });
    return this.pending;
  }

  get events(): SseEvent[] {
    return parseSse(this.text.slice(0, this.text.lastIndexOf('\n\n') + 2));
  }

  /** Read until at least `count` complete events have arrived (or the stream ends). */
  async waitForEvents(count: number): Promise<SseEvent[]> {
    while (this.events.length < count && !this.done) await this.readOnce();
    return this.events;
  }

  /** Read to the end. */
  async rest(): Promise<SseEvent[]> {
    while (!this.done) await this.readOnce();
    return this.events;
  }

  /** Whether more bytes arrive within `ms` (a short real wait, to show that nothing comes). */
  async receivesWithin(ms: number): Promise<boolean> {
    const before = this.text.length;
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms));
    const outcome = await Promise.race([this.readOnce().then(() => 'read' as const), timeout]);
    return outcome === 'read' && (this.text.length > before || this.done);
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}

/** POST a chat request and return the response without reading its body. */
export function openChat(
  baseUrl: string,
  body: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}` },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}
