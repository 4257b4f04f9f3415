/**
 * The gateway end to end: real clients (the official `openai` SDK) → rotor's HTTP server →
 * the OpenRouter simulator, over real sockets.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ROTATION_ORDER } from '../src/engine/seed-defaults.js';
import { startGateway } from '../src/server/gateway.js';
import { loadGatewayConfig } from '../src/server/gateway-config.js';
import { type GatewayFixture, gatewayWithSimulator, parsePrometheus, postJson } from './gateway-helpers.js';

const [A, B, C] = SEED_ROTATION_ORDER as [string, string, string];
const hello = { model: 'auto', messages: [{ role: 'user' as const, content: 'hello' }] };
const UPSTREAM_KEY = 'sk-test-upstream-secret';

describe('OpenAI SDK against the gateway', () => {
  let f: GatewayFixture;
  let client: OpenAI;
  beforeAll(async () => {
    f = await gatewayWithSimulator();
    client = new OpenAI({ baseURL: f.baseURL, apiKey: 'any', maxRetries: 0 });
  });
  afterAll(() => f.close());

  it('plain completion, with the answering model named in the body and headers', async () => {
    const { data, response } = await client.chat.completions.create(hello).withResponse();
    expect(data.choices[0]?.message.content).toBeTruthy();
    expect(data.model).toBe(A);
    expect(response.headers.get('x-rotor-model')).toBe(A);
    expect(response.headers.get('x-rotor-attempts')).toBe('1');
    expect(data).not.toHaveProperty('rotor');
  });

  it('streaming', async () => {
    const stream = await client.chat.completions.create({ ...hello, stream: true });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text.split(' ').length).toBeGreaterThan(3);
    expect(finish).toBe('stop');
  });

  it('streaming with usage when asked for it, and no usage chunk when not', async () => {
    const withUsage = await client.chat.completions.create({
      ...hello,
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: unknown;
    for await (const chunk of withUsage) usage = chunk.usage ?? usage;
    expect(usage).toMatchObject({ total_tokens: expect.any(Number) });
    const without = await client.chat.completions.create({ ...hello, stream: true });
    for await (const chunk of without) expect(chunk.choices.length).toBeGreaterThan(0);
  });

  it('tools, plain and streaming', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const messages = [{ role: 'user' as const, content: 'Use the get_weather tool for Paris' }];
    const plain = await client.chat.completions.create({ model: 'auto', messages, tools });
    const call = plain.choices[0]?.message.tool_calls?.[0];
    expect(plain.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type === 'function' && call.function.name).toBe('get_weather');

    const stream = await client.chat.completions.create({ model: 'auto', messages, tools, stream: true });
    let args = '';
    let name = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.tool_calls?.[0];
      name += delta?.function?.name ?? '';
      args += delta?.function?.arguments ?? '';
    }
    expect(name).toBe('get_weather');
    expect(JSON.parse(args)).toHaveProperty('city');
  });

  it('lists models: auto first, then the rotation with capabilities', async () => {
    const list = await client.models.list();
    const ids = list.data.map((m) => m.id);
    expect(ids[0]).toBe('auto');
    expect(ids.slice(1)).toEqual([...SEED_ROTATION_ORDER]);
  });

  it('an upstream failure surfaces as the SDK’s typed error', async () => {
    f.sim.setFaults([{ model: '*', kind: 'moderation' }]);
    try {
      await expect(client.chat.completions.create(hello)).rejects.toBeInstanceOf(
        OpenAI.PermissionDeniedError,
      );
    } finally {
      f.sim.clearFaults();
    }
  });

  it('a stream that fails after content ends with an error the SDK raises, never a clean finish', async () => {
    f.sim.setFaults([{ model: '*', kind: 'stream_cut', afterChunks: 2 }]);
    try {
      const stream = await client.chat.completions.create({ ...hello, stream: true });
      const consume = async () => {
        for await (const _ of stream) {
          // read to the end
        }
      };
      await expect(consume()).rejects.toBeInstanceOf(OpenAI.APIError);
    } finally {
      f.sim.clearFaults();
    }
  });
});

describe('typed errors for quota and outage', () => {
  it('the daily quota spent gives the SDK a RateLimitError with Retry-After to 00:00 UTC', async () => {
    const f = await gatewayWithSimulator({ scenario: { account: { perDay: 1 } } });
    try {
      const client = new OpenAI({ baseURL: f.baseURL, apiKey: 'any', maxRetries: 0 });
      await client.chat.completions.create(hello);
      const err = await client.chat.completions.create(hello).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      const e = err as InstanceType<typeof OpenAI.RateLimitError>;
      const retryAfterS = Number(e.headers?.get('retry-after'));
      const toMidnightS = (Math.floor(Date.now() / 86_400_000 + 1) * 86_400_000 - Date.now()) / 1000;
      expect(Math.abs(retryAfterS - toMidnightS)).toBeLessThan(5);
      expect(e.message).toMatch(/quota/);
      expect(f.sim.attempts()).toHaveLength(2);
    } finally {
      await f.close();
    }
  });

  it('every model failing gives a 503 with Retry-After and the attempts listed, within the attempt cap', async () => {
    const f = await gatewayWithSimulator({
      scenario: { faults: [{ model: '*', kind: 'server_error', status: 503 }] },
    });
    try {
      const res = await postJson(`${f.baseURL}/chat/completions`, hello);
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const body = (await res.json()) as {
        error: { type: string; code: string; rotor: { attempts: unknown[] } };
      };
      expect(body.error.type).toBe('service_unavailable');
      expect(body.error.code).toBe('no_model_available');
      expect(body.error.rotor.attempts).toHaveLength(6);
      expect(f.sim.attempts()).toHaveLength(6);
    } finally {
      await f.close();
    }
  });
});

describe('bad input: OpenAI-shaped 4xx and zero upstream calls', () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await gatewayWithSimulator({ overrides: { server: { bodyLimitBytes: 2000 } } });
  });
  afterAll(() => f.close());

  const cases: Array<[string, string | object, number, string | null]> = [
    ['malformed JSON', '{"model": "auto", "messages": [', 400, 'invalid_json'],
    ['an empty body', '', 400, 'invalid_json'],
    ['a JSON array', '[1,2]', 400, 'invalid_request_body'],
    ['messages of the wrong type', { model: 'auto', messages: 'hi' }, 400, null],
    ['no messages', { model: 'auto', messages: [] }, 400, null],
    ['an unknown role', { model: 'auto', messages: [{ role: 'robot', content: 'x' }] }, 400, null],
    ['temperature out of range', { ...hello, temperature: 9 }, 400, null],
    ['an unknown model', { model: 'nobody/nothing:free', messages: hello.messages }, 404, 'model_not_found'],
    [
      'an unknown model in models[]',
      { model: 'auto', models: [A, 'nope/x'], messages: hello.messages },
      404,
      'model_not_found',
    ],
    [
      'an oversized body',
      { ...hello, messages: [{ role: 'user', content: 'x'.repeat(5000) }] },
      413,
      'request_too_large',
    ],
  ];
  for (const [name, body, status, code] of cases) {
    it(name, async () => {
      f.sim.reset();
      const res = await postJson(`${f.baseURL}/chat/completions`, body);
      expect(res.status).toBe(status);
      const json = (await res.json()) as {
        error: { message: string; type: string; param: unknown; code: unknown };
      };
      expect(Object.keys(json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
      expect(json.error.message.length).toBeGreaterThan(5);
      if (code) expect(json.error.code).toBe(code);
      expect(f.sim.attempts()).toHaveLength(0);
    });
  }

  it('names the offending field in param', async () => {
    const res = await postJson(`${f.baseURL}/chat/completions`, {
      model: 'auto',
      messages: [{ role: 'robot', content: 'x' }],
    });
    const json = (await res.json()) as { error: { param: string; message: string } };
    expect(json.error.param).toBe('messages[0].role');
    expect(json.error.message).toContain('robot');
  });

  it('an unknown route is a 404 in the same shape', async () => {
    const res = await fetch(`${f.gateway.url}/v1/nothing`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('not_found_error');
  });
});

describe('safety: client keys, and the upstream key never leaks', () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await gatewayWithSimulator({ overrides: { server: { apiKeys: ['client-key-1'] } } });
  });
  afterAll(() => f.close());

  it('requires a configured client key', async () => {
    expect((await postJson(`${f.baseURL}/chat/completions`, hello)).status).toBe(401);
    expect(
      (await postJson(`${f.baseURL}/chat/completions`, hello, { authorization: 'Bearer wrong' })).status,
    ).toBe(401);
    const ok = await postJson(`${f.baseURL}/chat/completions`, hello, {
      authorization: 'Bearer client-key-1',
    });
    expect(ok.status).toBe(200);
  });

  it('never shows the upstream key in responses, errors, status or metrics', async () => {
    const auth = { authorization: 'Bearer client-key-1' };
    f.sim.setFaults([{ model: '*', kind: 'server_error', status: 502 }]);
    const bodies = [
      await (await postJson(`${f.baseURL}/chat/completions`, hello, auth)).text(),
      await (await fetch(`${f.gateway.url}/v1/rotor/status`, { headers: auth })).text(),
      await (await fetch(`${f.gateway.url}/metrics`, { headers: auth })).text(),
      await (await fetch(`${f.gateway.url}/health`)).text(),
      await (await fetch(`${f.baseURL}/models`, { headers: auth })).text(),
    ];
    f.sim.clearFaults();
    for (const text of bodies) expect(text).not.toContain(UPSTREAM_KEY);
  });

  it('binds to loopback by default', () => {
    expect(loadGatewayConfig({ env: {} }).server.host).toBe('127.0.0.1');
  });
});

describe('health, readiness, status and metrics', () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await gatewayWithSimulator();
  });
  afterAll(() => f.close());

  it('/health is alive and /ready is ready while a model is available, 503 when none is', async () => {
    expect(await (await fetch(`${f.gateway.url}/health`)).json()).toMatchObject({
      status: 'ok',
      simulated: false,
    });
    expect((await fetch(`${f.gateway.url}/ready`)).status).toBe(200);
    for (const model of f.gateway.rotor.engine.rotationOrder) f.gateway.rotor.engine.retire(model, 'test');
    const notReady = await fetch(`${f.gateway.url}/ready`);
    expect(notReady.status).toBe(503);
    expect(((await notReady.json()) as { reasons: unknown[] }).reasons).toHaveLength(12);
    for (const model of f.gateway.rotor.engine.rotationOrder) f.gateway.rotor.engine.restore(model, 'test');
  });

  it('/v1/rotor/status explains every model’s availability', async () => {
    f.gateway.rotor.engine.recordFailure(B, {
      kind: 'rate_limit',
      scope: 'model',
      message: 'x',
      retryAfterMs: 60_000,
    });
    const status = (await (await fetch(`${f.gateway.url}/v1/rotor/status`)).json()) as {
      currentModel: string;
      rotor: { simulated: boolean };
      models: Array<{
        model: string;
        available: boolean;
        unavailableReason: { reason: string } | null;
        successRate: number;
      }>;
      system: { totalRotations: number };
    };
    expect(status.rotor.simulated).toBe(false);
    expect(status.currentModel).toBe(A);
    const b = status.models.find((m) => m.model === B)!;
    expect(b.available).toBe(false);
    expect(b.unavailableReason?.reason).toBe('cooling_down');
    expect(status.models.find((m) => m.model === C)?.available).toBe(true);
  });
});

describe('live events', () => {
  it('/v1/rotor/events streams a status first, then engine events with their sequence as the SSE id', async () => {
    const f = await gatewayWithSimulator();
    try {
      const ac = new AbortController();
      const res = await fetch(`${f.gateway.url}/v1/rotor/events`, { signal: ac.signal });
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = res.body!.getReader();
      let text = '';
      const readUntil = async (pattern: RegExp) => {
        while (!pattern.test(text)) text += new TextDecoder().decode((await reader.read()).value);
      };
      await readUntil(/event: status\ndata: \{/);
      f.gateway.rotor.engine.recordFailure(A, {
        kind: 'rate_limit',
        scope: 'model',
        message: 't',
        retryAfterMs: 5000,
      });
      await readUntil(/id: \d+\nevent: engine\ndata: \{"type":"cooldown_started"/);
      const seq = Number(/id: (\d+)\nevent: engine\ndata: \{"type":"cooldown_started"/.exec(text)![1]);
      expect(f.gateway.rotor.engine.recentEvents().find((e) => e.type === 'cooldown_started')?.seq).toBe(seq);
      ac.abort();
    } finally {
      await f.close();
    }
  });
});

describe('under load', () => {
  it('100 concurrent requests while the primary is rate-limited and the second model fails: all answered, healthy breakers closed, metrics = upstream log', async () => {
    const f = await gatewayWithSimulator({
      scenario: {
        account: { freeLimits: false },
        faults: [
          { model: A, kind: 'upstream_rate_limit', retryAfterSeconds: 30 },
          { model: B, kind: 'server_error', status: 503 },
        ],
      },
      overrides: { engine: { quota: { freeRequestsPerMinute: 0 } } },
    });
    try {
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          postJson(`${f.baseURL}/chat/completions`, i % 2 ? { ...hello, stream: true } : hello),
        ),
      );
      const statuses = responses.map((r) => r.status);
      expect(statuses.every((s) => s === 200)).toBe(true);
      const models = new Set(responses.map((r) => r.headers.get('x-rotor-model')));
      expect(models).toEqual(new Set([C]));
      await Promise.all(responses.map((r) => r.text()));

      const metrics = f.gateway.rotor.engine.metrics();
      for (const m of metrics.models.filter((x) => x.model !== A && x.model !== B)) {
        expect(m.breakerState).toBe('closed');
      }
      expect(metrics.system.currentModel).toBe(C);
      // Rotation under load: a handful of rotations, not one per request (A→B, B→C, and B's
      // recovery after its first 1 s cooldown and the next failure: C→B→C).
      expect(metrics.system.totalRotations).toBeLessThanOrEqual(5);
      // No storm: far fewer attempts than the cap allows.
      expect(f.sim.attempts().length).toBeLessThan(300);

      const samples = parsePrometheus(await (await fetch(`${f.gateway.url}/metrics`)).text());
      const attempts = samples.filter((s) => s.name === 'rotor_upstream_attempts_total');
      const total = attempts.reduce((sum, s) => sum + s.value, 0);
      expect(total).toBe(f.sim.attempts().length);
      const okByModel = (model: string) =>
        attempts.find((s) => s.labels.model === model && s.labels.outcome === 'success')?.value ?? 0;
      expect(okByModel(C)).toBe(f.sim.attempts().filter((a) => a.model === C && a.outcome === 'ok').length);
      const rateLimited = attempts
        .filter((s) => s.labels.outcome === 'rate_limit:model')
        .reduce((sum, s) => sum + s.value, 0);
      expect(rateLimited).toBe(f.sim.attempts().filter((a) => a.outcome === 'upstream_rate_limit').length);
      const requests = samples
        .filter((s) => s.name === 'rotor_requests_total')
        .reduce((sum, s) => sum + s.value, 0);
      expect(requests).toBe(100);
      for (const s of samples) if (!s.name.endsWith('_sum')) expect(s.value).toBeGreaterThanOrEqual(-1);
    } finally {
      await f.close();
    }
  });

  it('sustained rate limiting: waves of requests are each answered or cleanly refused, no cascade', async () => {
    const f = await gatewayWithSimulator({
      scenario: {
        account: { freeLimits: false },
        faults: SEED_ROTATION_ORDER.slice(0, 6).map((model) => ({
          model,
          kind: 'upstream_rate_limit' as const,
          probability: 0.6,
          retryAfterSeconds: 1,
        })),
      },
      overrides: { engine: { quota: { freeRequestsPerMinute: 0 } } },
    });
    try {
      const statuses: number[] = [];
      for (let wave = 0; wave < 5; wave++) {
        const responses = await Promise.all(
          Array.from({ length: 40 }, () => postJson(`${f.baseURL}/chat/completions`, hello)),
        );
        for (const r of responses) {
          statuses.push(r.status);
          const body = (await r.json()) as { choices?: unknown[]; error?: { message: string } };
          if (r.status === 200) expect(body.choices).toHaveLength(1);
          else expect(body.error?.message).toBeTruthy();
        }
      }
      expect(statuses).toHaveLength(200);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(190);
      // Rate limits never open breakers: they are not the model's fault.
      for (const m of f.gateway.rotor.engine.metrics().models) expect(m.breakerState).toBe('closed');
    } finally {
      await f.close();
    }
  });
});

describe('disconnects and shutdown', () => {
  it('a client that disconnects aborts the upstream call; no further attempts', async () => {
    const f = await gatewayWithSimulator({
      scenario: { faults: [{ model: A, kind: 'no_response' }] },
      overrides: { timeouts: { firstTokenMs: 10_000, idleMs: 10_000 } },
    });
    try {
      const ac = new AbortController();
      void fetch(`${f.baseURL}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ ...hello, stream: true }),
        signal: ac.signal,
      }).catch(() => undefined);
      await expect.poll(() => f.sim.attempts().length).toBe(1);
      ac.abort();
      const engine = f.gateway.rotor.engine;
      await expect.poll(() => engine.metrics().models.find((m) => m.model === A)?.cancelledRequests).toBe(1);
      expect(engine.metrics().models.find((m) => m.model === A)?.inFlight).toBe(0);
      await new Promise((r) => setTimeout(r, 50));
      expect(f.sim.attempts()).toHaveLength(1);
      expect(f.gateway.app.inFlight).toBe(0);
      const samples = parsePrometheus(await (await fetch(`${f.gateway.url}/metrics`)).text());
      const cancelled = samples.find(
        (s) => s.name === 'rotor_upstream_attempts_total' && s.labels.outcome === 'cancelled',
      );
      expect(cancelled?.value).toBe(1);
    } finally {
      await f.close();
    }
  });

  it('draining: in-flight requests finish, late ones get a clean error — requests in = responses out', async () => {
    const f = await gatewayWithSimulator({
      scenario: { faults: [{ model: '*', kind: 'slow_first_token', delayMs: 300 }] },
      overrides: { server: { drainTimeoutMs: 5000 }, timeouts: { firstTokenMs: 5000 } },
    });
    const inFlight = Array.from({ length: 10 }, (_, i) =>
      postJson(`${f.baseURL}/chat/completions`, i % 2 ? hello : { ...hello, stream: true }),
    );
    await expect.poll(() => f.gateway.app.inFlight).toBe(10);
    const closed = f.gateway.close();
    // A request that races the shutdown is answered (503 shutting_down), never reset.
    const late = await postJson(`${f.baseURL}/chat/completions`, hello);
    expect(late.status).toBe(503);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe('shutting_down');
    const responses = await Promise.all(inFlight);
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(await closed).toEqual({ drained: 10, aborted: 0 });
    await f.sim.close();
  });

  it('draining past the deadline answers the rest with a clean 503, none left hanging', async () => {
    const f = await gatewayWithSimulator({
      scenario: { faults: [{ model: '*', kind: 'slow_first_token', delayMs: 5000 }] },
      overrides: { server: { drainTimeoutMs: 100 }, timeouts: { firstTokenMs: 10_000 } },
    });
    const inFlight = Array.from({ length: 6 }, () => postJson(`${f.baseURL}/chat/completions`, hello));
    await expect.poll(() => f.gateway.app.inFlight).toBe(6);
    const result = await f.gateway.close();
    const responses = await Promise.all(inFlight);
    expect(result).toEqual({ drained: 0, aborted: 6 });
    for (const r of responses) {
      expect(r.status).toBe(503);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('shutting_down');
    }
    await f.sim.close();
  });
});

describe('no API key: the built-in simulator, said loudly', () => {
  it('serves simulated answers and says so on /health and /v1/rotor/status', async () => {
    const config = loadGatewayConfig({
      env: {},
      overrides: { server: { port: 0 }, sim: { latencyScale: 0 }, log: { level: 'silent' } } as never,
    });
    const gateway = await startGateway(config);
    try {
      expect(gateway.simulated).toBe(true);
      const health = (await (await fetch(`${gateway.url}/health`)).json()) as {
        simulated: boolean;
        note: string;
      };
      expect(health.simulated).toBe(true);
      expect(health.note).toMatch(/simulated/);
      const res = await postJson(`${gateway.url}/v1/chat/completions`, hello);
      expect(res.status).toBe(200);
      const status = (await (await fetch(`${gateway.url}/v1/rotor/status`)).json()) as {
        rotor: { simulated: boolean };
      };
      expect(status.rotor.simulated).toBe(true);
    } finally {
      await gateway.close();
    }
  });
});

describe('adaptive ranking (rotation.adaptive)', () => {
  it('moves a primary that is clearly slower in real use down the rotation', async () => {
    const f = await gatewayWithSimulator({
      scenario: {
        account: { freeLimits: false },
        faults: [{ model: A, kind: 'slow_first_token', delayMs: 150 }],
      },
      overrides: {
        engine: { quota: { freeRequestsPerMinute: 0 } },
        rotation: { adaptive: true, adaptiveIntervalMs: 50, adaptiveMinSamples: 3 },
      },
    });
    try {
      const engine = f.gateway.rotor.engine;
      // Traffic to the primary and, by name, to the second model: both get live stats.
      for (let i = 0; i < 4; i++) {
        await postJson(`${f.baseURL}/chat/completions`, hello);
        await postJson(`${f.baseURL}/chat/completions`, { ...hello, model: B });
      }
      await expect
        .poll(() => engine.rotationOrder.indexOf(A), { timeout: 3000 })
        .toBeGreaterThan(engine.rotationOrder.indexOf(B));
      expect(engine.recentEvents().some((e) => e.type === 'order_changed')).toBe(true);
    } finally {
      await f.close();
    }
  });
});
