/**
 * `rotor serve` as users run it: the built binary, no API key (simulated, said loudly), real
 * SIGTERM with requests in flight — requests in = responses out, clean exit.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { postJson } from './gateway-helpers.js';
import { serveFailure, startServe } from './serve-process.js';

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

describe('rotor serve', () => {
  it('without a key prints the simulated banner; SIGTERM drains in-flight requests and exits 0', async () => {
    const serve = await startServe({});
    child = serve.proc;
    expect(serve.stderr()).toContain('NO OPENROUTER_API_KEY SET — ANSWERS ARE SIMULATED');
    // The simulated OpenRouter answers with the seed's latencies (~1 s for its primary, named here:
    // `auto` starts with the simulated Groq, which answers too fast to catch in flight).
    const body = JSON.stringify({
      model: 'meta-llama/llama-3.3-8b-instruct:free',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const requests = Array.from({ length: 5 }, () =>
      fetch(`${serve.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }),
    );
    // In flight means rotor has them: wait until /health counts all five (not a guess of 200 ms,
    // which a loaded machine can miss).
    let inFlight = 0;
    for (let i = 0; i < 200 && inFlight !== 5; i++) {
      inFlight = ((await (await fetch(`${serve.url}/health`)).json()) as { inFlight: number }).inFlight;
      if (inFlight !== 5) await new Promise((r) => setTimeout(r, 25));
    }
    expect(inFlight).toBe(5);
    child!.kill('SIGTERM');
    const responses = await Promise.all(requests);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await serve.exited).toBe(0);
    expect(serve.stderr()).toContain('5 finished, 0 answered with an error');
  });

  it('with no key at all, a simulated pool: OpenRouter + Groq + Gemini, said in the banner, each serving', async () => {
    const serve = await startServe({});
    child = serve.proc;
    expect(serve.stderr()).toContain(
      'rotor is running against a simulated pool: OpenRouter + Groq + Google AI Studio (Gemini API).',
    );
    const ask = async (model: string) => {
      const res = await postJson(`${serve.url}/v1/chat/completions`, {
        model,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(res.status).toBe(200);
      return res.headers.get('x-rotor-model');
    };
    // A pair is answered by its provider; a family by one of the providers that host it.
    expect(await ask('groq:llama-3.3-70b-versatile')).toBe('groq:llama-3.3-70b-versatile');
    expect(await ask('gemini:gemini-2.5-flash')).toBe('gemini:gemini-2.5-flash');
    expect(await ask('meta-llama/llama-3.3-8b-instruct:free')).toBe('meta-llama/llama-3.3-8b-instruct:free');
    const models = (await (await fetch(`${serve.url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    const ids = models.data.map((m) => m.id);
    expect(ids).toEqual(
      expect.arrayContaining(['auto', 'fast', 'best', 'llama-3.3-70b', 'groq:llama-3.3-70b-versatile']),
    );
  });

  it('sim.providers: [] keeps the simulated OpenRouter alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rotor-serve-'));
    const file = join(dir, 'rotor.yaml');
    writeFileSync(file, 'sim:\n  providers: []\n');
    const serve = await startServe({}, ['--config', file]);
    child = serve.proc;
    expect(serve.stderr()).toContain('rotor is running against its built-in OpenRouter simulator.');
    const models = (await (await fetch(`${serve.url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    expect(models.data.some((m) => m.id.startsWith('groq:'))).toBe(false);
  });

  it('a broken config file is a clear error and exit code 2, not a stack trace', async () => {
    const { code, stderr } = await serveFailure({}, ['--config', 'package.json']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/rotor: Invalid config file package.json/);
    expect(stderr).not.toMatch(/at .*\.js:\d+/);
  });
});
