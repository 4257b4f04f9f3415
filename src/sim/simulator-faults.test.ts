import { afterEach, describe, expect, it } from 'vitest';
import {
  ask,
  chat,
  chatStream,
  getJson,
  loadErrorFixture,
  openChat,
  parseSse,
  readFixtureText,
  type SseEvent,
  StreamReader,
  structureOf,
} from '../../test/fixtures-sim/sim-helpers.js';
import { ManualClock } from '../engine/clock.js';
import type { FaultInput } from './scenario-schema.js';
import { type Simulator, startSimulator } from './simulator.js';

const MODEL = 'meta-llama/llama-3.3-8b-instruct:free';
const OTHER = 'meta-llama/llama-4-maverick:free';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function withFaults(faults: FaultInput[], clock?: ManualClock): Promise<Simulator> {
  sim = await startSimulator({
    latencyScale: 0,
    ...(clock ? { clock } : {}),
    scenario: { account: { freeLimits: false }, faults },
  });
  return sim;
}

function dataJson(events: SseEvent[]) {
  return events.flatMap((e) => (e.type === 'data' && e.json ? [e.json] : []));
}

function contentOf(events: SseEvent[]): string[] {
  return dataJson(events).flatMap((c) =>
    c.choices?.[0]?.delta?.content ? [c.choices[0].delta.content] : [],
  );
}

/** Wait until the simulator has logged `count` attempts (the request reached it). */
async function attemptsReach(s: Simulator, count: number): Promise<void> {
  while (s.attempts().length < count) await new Promise((resolve) => setImmediate(resolve));
}

describe('HTTP error faults', () => {
  it('answers 500, 502 and 503 with OpenRouter bodies', async () => {
    const s = await withFaults([
      { model: MODEL, kind: 'server_error', status: 500, maxHits: 1 },
      { model: MODEL, kind: 'server_error', status: 502, maxHits: 1 },
      { model: MODEL, kind: 'server_error', status: 503, maxHits: 1 },
    ]);
    const first = await chat(s.url, ask(MODEL));
    expect(first.status).toBe(500);
    expect(first.json).toEqual({ error: { message: 'Internal Server Error', code: 500 } });
    const second = await chat(s.url, ask(MODEL));
    expect(second.status).toBe(502);
    expect(second.json.error).toMatchObject({
      message: 'Provider returned error',
      code: 502,
      metadata: { provider_name: 'Meta', error_type: 'provider_unavailable' },
    });
    const third = await chat(s.url, ask(MODEL));
    expect(third.status).toBe(503);
    expect(third.json.error.metadata.error_type).toBe('provider_overloaded');
    expect((await chat(s.url, ask(MODEL))).status).toBe(200);
    expect(s.attempts().map((a) => [a.outcome, a.status])).toEqual([
      ['server_error', 500],
      ['server_error', 502],
      ['server_error', 503],
      ['ok', 200],
    ]);
  });

  it('answers 503 only inside its window (t = 10 s to 70 s), on its model only', async () => {
    const clock = new ManualClock();
    const s = await withFaults(
      [{ model: MODEL, kind: 'server_error', status: 503, from: '10s', to: '70s' }],
      clock,
    );
    const status = async (model = MODEL) => (await chat(s.url, ask(model))).status;
    await clock.advance(9_999);
    expect(await status()).toBe(200);
    await clock.advance(1);
    expect(await status()).toBe(503);
    expect(await status(OTHER)).toBe(200);
    await clock.advance(59_999);
    expect(await status()).toBe(503);
    await clock.advance(1);
    expect(await status()).toBe(200);
    expect(s.attempts().map((a) => a.timeMs)).toEqual([9_999, 10_000, 10_000, 69_999, 70_000]);
  });

  it('retires a model: 404 "No endpoints found" and gone from GET /models while in force', async () => {
    const clock = new ManualClock();
    const s = await withFaults([{ model: MODEL, kind: 'model_gone', from: '1m' }], clock);
    const listed = async () =>
      (await getJson(`${s.url}/models`, null)).json.data.map((m: { id: string }) => m.id);
    expect(await listed()).toContain(MODEL);
    await clock.advance(60_000);
    expect(await listed()).not.toContain(MODEL);
    expect(await listed()).toContain(OTHER);
    const gone = await chat(s.url, ask(MODEL));
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({ error: { message: `No endpoints found for ${MODEL}.`, code: 404 } });
  });

  it('answers 403 moderation with reasons and the flagged input', async () => {
    const s = await withFaults([{ kind: 'moderation', reasons: ['violence'] }]);
    const { status, json } = await chat(s.url, ask(MODEL, 'something flagged'));
    expect(status).toBe(403);
    expect(json.error).toMatchObject({
      code: 403,
      metadata: {
        reasons: ['violence'],
        flagged_input: 'something flagged',
        provider_name: 'Meta',
        model_slug: MODEL,
      },
    });
    expect(json.error.message).toContain('flagged for "violence"');
  });

  it('answers 402 shaped as the fixture, naming the requested max_tokens', async () => {
    const s = await withFaults([{ kind: 'insufficient_credits' }]);
    const { status, json } = await chat(s.url, ask(MODEL, 'hi', { max_tokens: 64_000 }));
    const fixture = loadErrorFixture('402-insufficient-credits.json');
    expect(status).toBe(402);
    expect(structureOf(json)).toEqual(structureOf(fixture.body));
    expect(json.error.message).toBe((fixture.body.error as { message: string }).message);
  });

  it('answers the bare documented 429, the upstream 429 with a hint, and a scripted model cap', async () => {
    const s = await withFaults([
      { kind: 'rate_limited', maxHits: 1 },
      { kind: 'upstream_rate_limit', provider: 'Venice', retryAfterSeconds: 17, maxHits: 1 },
      { kind: 'model_cap', limit: 8, maxHits: 1 },
    ]);
    const generic = await chat(s.url, ask(MODEL));
    expect(generic.json).toEqual(loadErrorFixture('429-generic-documented.json').body);
    const upstream = await chat(s.url, ask(MODEL));
    expect(upstream.headers.get('retry-after')).toBe('17');
    expect(structureOf(upstream.json)).toEqual(
      structureOf(loadErrorFixture('429-upstream-venice-retry-after.json').body),
    );
    expect(upstream.json.error.metadata.provider_name).toBe('Venice');
    const cap = await chat(s.url, ask(MODEL));
    expect(cap.json.error.message).toMatch(
      /^Rate limit exceeded: limit_rpm\/.* limited to 8 requests per minute/,
    );
  });
});

describe('connection faults', () => {
  it('resets the connection before any header', async () => {
    const s = await withFaults([{ kind: 'connection_reset', maxHits: 1 }]);
    await expect(chat(s.url, ask(MODEL))).rejects.toThrow();
    expect((await chat(s.url, ask(MODEL))).status).toBe(200);
    expect(s.attempts()[0]).toMatchObject({ outcome: 'connection_reset', status: null });
  });

  it('never answers, until the client gives up', async () => {
    const s = await withFaults([{ kind: 'no_response' }]);
    const controller = new AbortController();
    const pending = openChat(s.url, ask(MODEL), controller.signal);
    let settled = false;
    pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    await attemptsReach(s, 1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBe(false);
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect(s.attempts()[0]).toMatchObject({ outcome: 'no_response', status: null });
  });

  it('delays the first token: keep-alive comments first, content only when the time has come', async () => {
    const clock = new ManualClock();
    const s = await withFaults([{ kind: 'slow_first_token', delayMs: 2_500, stream: true }], clock);
    const reader = new StreamReader(await openChat(s.url, ask(MODEL, 'Hi', { stream: true })));
    expect(await reader.waitForEvents(1)).toEqual([{ type: 'comment', text: 'OPENROUTER PROCESSING' }]);
    await clock.advance(1_000);
    expect((await reader.waitForEvents(2)).map((e) => e.type)).toEqual(['comment', 'comment']);
    await clock.advance(1_499); // t = 2499: one more keep-alive at t = 2000, still no content
    expect((await reader.waitForEvents(3)).map((e) => e.type)).toEqual(['comment', 'comment', 'comment']);
    expect(await reader.receivesWithin(15)).toBe(false);
    await clock.advance(1);
    const events = await reader.rest();
    expect(events.filter((e) => e.type === 'comment')).toHaveLength(3);
    expect(contentOf(events)).toHaveLength(8);
    expect(events.at(-1)).toEqual({ type: 'data', raw: '[DONE]' });
  });

  it('delays a non-streaming answer by the slow first token', async () => {
    const clock = new ManualClock();
    const s = await withFaults([{ kind: 'slow_first_token', delayMs: 500 }], clock);
    let answered = false;
    const reply = chat(s.url, ask(MODEL)).then((r) => {
      answered = true;
      return r;
    });
    await attemptsReach(s, 1);
    await clock.advance(499);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(answered).toBe(false);
    await clock.advance(1);
    expect((await reply).status).toBe(200);
  });
});

describe('stream faults', () => {
  it('cuts a stream mid-answer: no final chunk, no usage, no [DONE]', async () => {
    const s = await withFaults([{ kind: 'stream_cut', afterChunks: 3 }]);
    const { status, events } = await chatStream(s.url, ask(MODEL));
    expect(status).toBe(200);
    expect(contentOf(events)).toHaveLength(3);
    expect(dataJson(events).some((c) => c.usage || c.choices?.[0]?.finish_reason)).toBe(false);
    expect(events.some((e) => e.type === 'data' && e.raw === '[DONE]')).toBe(false);
  });

  it('cuts a stream abruptly, destroying the socket', async () => {
    const s = await withFaults([{ kind: 'stream_cut', afterChunks: 2, abrupt: true }]);
    const reader = new StreamReader(await openChat(s.url, ask(MODEL, 'Hi', { stream: true })));
    await expect(reader.rest()).rejects.toThrow();
    expect(contentOf(reader.events)).toHaveLength(2);
  });

  it('stalls after some chunks, silently, then goes on when the stall ends', async () => {
    const clock = new ManualClock();
    const s = await withFaults([{ kind: 'stream_stall', afterChunks: 2, stallMs: 5_000 }], clock);
    const reader = new StreamReader(await openChat(s.url, ask(MODEL, 'Hi', { stream: true })));
    await reader.waitForEvents(3);
    expect(contentOf(reader.events)).toHaveLength(2);
    await clock.advance(4_999);
    expect(await reader.receivesWithin(15)).toBe(false);
    await clock.advance(1);
    const events = await reader.rest();
    expect(contentOf(events)).toHaveLength(8);
    expect(events.at(-1)).toEqual({ type: 'data', raw: '[DONE]' });
  });

  it('stalls forever until the client leaves', async () => {
    const s = await withFaults([{ kind: 'stream_stall', afterChunks: 1 }]);
    const reader = new StreamReader(await openChat(s.url, ask(MODEL, 'Hi', { stream: true })));
    await reader.waitForEvents(2);
    expect(await reader.receivesWithin(15)).toBe(false);
    await reader.cancel();
    expect(s.attempts()[0]).toMatchObject({ outcome: 'stream_stall', status: 200, stream: true });
  });

  it('sends one malformed chunk and goes on to [DONE]', async () => {
    const s = await withFaults([{ kind: 'malformed_chunk', afterChunks: 1 }]);
    const { events } = await chatStream(s.url, ask(MODEL));
    const data = events.filter((e) => e.type === 'data');
    const broken = data.filter((e) => e.type === 'data' && !e.json && e.raw !== '[DONE]');
    expect(broken).toHaveLength(1);
    // data[0] is the role-only opening chunk, data[1] the first token; the broken chunk follows it.
    expect(data[2]).toBe(broken[0]);
    expect(contentOf(events)).toHaveLength(8);
    expect(data.at(-1)).toEqual({ type: 'data', raw: '[DONE]' });
  });

  it('completes a stream but leaves out [DONE]', async () => {
    const s = await withFaults([{ kind: 'missing_done' }]);
    const { events } = await chatStream(s.url, ask(MODEL));
    const chunks = dataJson(events);
    expect(chunks.at(-1).usage).toBeDefined();
    expect(events.some((e) => e.type === 'data' && e.raw === '[DONE]')).toBe(false);
  });

  it('ends a stream with a mid-stream error chunk, numeric code, shaped as the documented one', async () => {
    const s = await withFaults([{ kind: 'midstream_error', afterChunks: 2 }]);
    const { status, events } = await chatStream(s.url, ask(MODEL));
    expect(status).toBe(200);
    expect(contentOf(events)).toHaveLength(2);
    const last = dataJson(events).at(-1);
    const documented = dataJson(parseSse(readFixtureText('errors/stream-midstream-error.sse'))).at(-1);
    expect(structureOf(last)).toEqual(structureOf(documented));
    expect(last.error).toEqual({
      code: 429,
      message: 'Rate limit exceeded',
      metadata: { error_type: 'rate_limit_exceeded' },
    });
    expect(last.choices[0].finish_reason).toBe('error');
    expect(events.some((e) => e.type === 'data' && e.raw === '[DONE]')).toBe(false);
  });

  it('sends a string error code when scripted so', async () => {
    const s = await withFaults([
      { kind: 'midstream_error', code: 'server_error', message: 'Internal server error', afterChunks: 0 },
    ]);
    const { events } = await chatStream(s.url, ask(MODEL));
    const chunks = dataJson(events);
    expect(chunks).toHaveLength(2);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks[1].error).toEqual({ code: 'server_error', message: 'Internal server error' });
  });

  it('answers 200 with an error body instead of choices', async () => {
    const s = await withFaults([{ kind: 'error_in_200', stream: false }]);
    const { status, json } = await chat(s.url, ask(MODEL));
    expect(status).toBe(200);
    const fixture = loadErrorFixture('200-inband-upstream-429.json');
    expect(structureOf(json)).toEqual(structureOf(fixture.body));
    expect(json.choices).toBeNull();
    expect(json.error).toEqual({
      message: 'Provider returned error',
      code: 429,
      metadata: { raw: 'error code: 1015', provider_name: 'Meta' },
    });
    // `stream: false` leaves streams alone.
    expect(contentOf((await chatStream(s.url, ask(MODEL))).events)).toHaveLength(8);
  });

  it('gives non-streaming requests the nearest equivalent of each stream fault', async () => {
    const s = await withFaults([
      { kind: 'stream_cut', maxHits: 1 },
      { kind: 'malformed_chunk', maxHits: 1 },
      { kind: 'midstream_error', maxHits: 1 },
      { kind: 'missing_done', maxHits: 1 },
    ]);
    const raw = async () => {
      const res = await openChat(s.url, ask(MODEL));
      return { status: res.status, text: await res.text() };
    };
    for (let i = 0; i < 2; i++) {
      const { status, text } = await raw();
      expect(status).toBe(200);
      expect(() => JSON.parse(text)).toThrow();
    }
    const midstream = JSON.parse((await raw()).text);
    expect(midstream.error.code).toBe(429);
    expect(midstream.choices).toBeNull();
    const whole = JSON.parse((await raw()).text);
    expect(whole.choices[0].finish_reason).toBe('stop');
  });
});

describe('probabilistic faults and determinism', () => {
  async function trace(seed: number) {
    const clock = new ManualClock();
    const s = await startSimulator({
      latencyScale: 0,
      seed,
      clock,
      scenario: {
        account: { freeLimits: false },
        faults: [
          { kind: 'server_error', status: 503, probability: 0.3 },
          { kind: 'upstream_rate_limit', probability: 0.2 },
        ],
      },
    });
    const answers: string[] = [];
    for (let i = 0; i < 30; i++) {
      await clock.advance(250);
      const { json } = await chat(s.url, ask(i % 2 ? MODEL : OTHER, `question ${i % 5}`));
      answers.push(json.choices?.[0]?.message?.content ?? json.error.message);
    }
    const attempts = s.attempts();
    await s.close();
    return { attempts, answers };
  }

  it('gives the same attempt trace and the same answers for the same seed', async () => {
    const first = await trace(11);
    const second = await trace(11);
    expect(second).toEqual(first);
    const outcomes = new Set(first.attempts.map((a) => a.outcome));
    expect(outcomes).toEqual(new Set(['ok', 'server_error', 'upstream_rate_limit']));
    const other = await trace(12);
    expect(other.attempts.map((a) => a.outcome)).not.toEqual(first.attempts.map((a) => a.outcome));
  });
});
