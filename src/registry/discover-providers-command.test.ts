/**
 * `rotor discover` for pooled providers, over sockets against the provider simulator: each joined
 * provider's list fetched in its own shape (OpenAI's `data`, Gemini's `models/` prefix, GitHub's
 * bare array at its own catalog URL, Cloudflare's search API), grouped by provider with the free
 * ones marked; a provider that does not answer is reported and the others are still listed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { type Simulator, simulatedProviderEnv, startSimulator } from '../sim/index.js';
import { runDiscover } from './discover-command.js';

let sim: Simulator;
let env: Record<string, string>;
let dir: string;
/** The simulator's origin, as printed (`http://127.0.0.1:<port>`). */
let origin: string;

beforeAll(async () => {
  sim = await startSimulator({
    latencyScale: 0,
    providers: ['groq', 'gemini', 'github-models', 'cloudflare'],
  });
  env = simulatedProviderEnv(sim.providers());
  origin = sim.origin;
  dir = await mkdtemp(join(tmpdir(), 'rotor-discover-providers-'));
});

afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => sim.clearFaults());

/** Lines with trailing spaces trimmed (the last table column is padded only up to its text). */
const linesOf = (out: string[]) =>
  out
    .join('\n')
    .split('\n')
    .map((l) => l.trimEnd());

describe('rotor discover: pooled providers against the provider simulator', () => {
  it('lists each provider in its own shape, grouped, free ones marked, rotation places shown', async () => {
    const io = captureIo({ env });
    const code = await runDiscover({ provider: ['groq', 'gemini', 'github-models', 'cloudflare'] }, io);
    expect(code).toBe(0);
    expect(io.err).toEqual([]);
    const cf = `${origin}/cloudflare/client/v4/accounts/0123456789abcdef0123456789abcdef/ai/models/search`;
    expect(linesOf(io.out)).toEqual([
      'Pooled providers: groq, gemini, github-models, cloudflare joined',
      '',
      `groq — Groq · ${origin}/groq/openai/v1/models: 4 models, 4 free; 4 of 4 rotation models listed`,
      'FREE  MODEL                         CONTEXT  ROTATION  NOTE',
      'free  groq:openai/gpt-oss-120b         131k  #1',
      'free  groq:llama-3.3-70b-versatile     131k  #2',
      'free  groq:openai/gpt-oss-20b          131k  #3',
      'free  groq:llama-3.1-8b-instant        131k  #4',
      '',
      `gemini — Google AI Studio (Gemini API) · ${origin}/gemini/v1beta/openai/models: 4 models, 4 free; 3 of 3 rotation models listed`,
      'FREE  MODEL                         CONTEXT  ROTATION  NOTE',
      'free  gemini:gemini-2.5-flash             —  #1',
      'free  gemini:gemini-3.1-flash-lite        —  #2',
      'free  gemini:gemini-2.5-flash-lite        —  #3',
      'free  gemini:gemini-2.5-pro               —  —',
      '',
      // GitHub's catalog lives outside its base URL: rebased onto the simulator, not the real site.
      `github-models — GitHub Models · ${origin}/github-models/catalog/models: 4 models, 4 free; 1 of 1 rotation models listed`,
      'FREE  MODEL                                      CONTEXT  ROTATION  NOTE',
      'free  github-models:openai/gpt-4.1                    8k  #1',
      'free  github-models:deepseek/DeepSeek-R1              4k  —',
      'free  github-models:meta/Llama-3.3-70B-Instruct       8k  —',
      'free  github-models:openai/gpt-4.1-mini               8k  —',
      '',
      `cloudflare — Cloudflare Workers AI · ${cf}: 3 models, 3 free; 2 of 2 rotation models listed`,
      'FREE  MODEL                                                CONTEXT  ROTATION  NOTE',
      'free  cloudflare:@cf/openai/gpt-oss-120b                      128k  #1',
      'free  cloudflare:@cf/meta/llama-3.1-8b-instruct                 8k  #2',
      'free  cloudflare:@cf/meta/llama-3.3-70b-instruct-fp8-fast      24k  —',
    ]);
  });

  it('a rotation model the list no longer names is shown as one the gateway retires', async () => {
    sim.setFaults([{ upstream: 'groq', model: 'llama-3.1-8b-instant', kind: 'model_gone' }]);
    const io = captureIo({ env });
    expect(await runDiscover({ provider: ['groq'] }, io)).toBe(0);
    expect(linesOf(io.out)).toEqual([
      'Pooled providers: groq joined',
      '',
      `groq — Groq · ${origin}/groq/openai/v1/models: 3 models, 3 free; 3 of 4 rotation models listed`,
      'FREE  MODEL                         CONTEXT  ROTATION  NOTE',
      'free  groq:openai/gpt-oss-120b         131k  #1',
      'free  groq:llama-3.3-70b-versatile     131k  #2',
      'free  groq:openai/gpt-oss-20b          131k  #3',
      '      groq:llama-3.1-8b-instant           —  #4        not listed: the gateway retires it',
      '',
      'Rotation models a provider no longer lists are retired by the gateway at its next check; set providers.<id>.rotation in the config to replace them.',
    ]);
  });

  it('a provider that does not answer is reported and the others are still listed; exit 1 only when --provider named it', async () => {
    const io = captureIo({
      env: { ...env, MISTRAL_API_KEY: 'm', MISTRAL_BASE_URL: 'http://127.0.0.1:1/v1' },
    });
    expect(await runDiscover({ provider: ['groq', 'mistral', 'gemini'] }, io)).toBe(1);
    const text = linesOf(io.out);
    expect(text[0]).toBe('Pooled providers: groq, gemini, mistral joined'); // catalog order
    expect(text).toContain(
      'mistral — Mistral: failed: GET http://127.0.0.1:1/v1/models failed: connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(text.filter((l) => l.startsWith('free  '))).toHaveLength(8); // groq's 4 and gemini's 4

    // Not named with --provider, a failing provider does not fail the command.
    const all = captureIo({
      env: { ...env, MISTRAL_API_KEY: 'm', MISTRAL_BASE_URL: 'http://127.0.0.1:1/v1' },
    });
    expect(await runDiscover({ baseUrl: sim.url, json: true }, all)).toBe(0);
    const report = JSON.parse(all.out.join('\n')) as {
      listed: number;
      providers: { joined: { id: string; ok: boolean; error?: string }[] };
    };
    expect(report.listed).toBe(13); // OpenRouter's part is still there
    expect(report.providers.joined.map((p) => [p.id, p.ok])).toEqual([
      ['groq', true],
      ['gemini', true],
      ['mistral', false],
      ['github-models', true],
      ['cloudflare', true],
    ]);
  });

  it('--json: each provider with its models, the free mark, context, rotation place, and the skipped with why', async () => {
    const io = captureIo({ env });
    expect(await runDiscover({ provider: ['cloudflare', 'nvidia'], json: true }, io)).toBe(1);
    const report = JSON.parse(io.out.join('\n')) as Record<string, unknown>;
    expect(report).toEqual({
      providers: {
        joined: [
          {
            id: 'cloudflare',
            name: 'Cloudflare Workers AI',
            url: `${origin}/cloudflare/client/v4/accounts/0123456789abcdef0123456789abcdef/ai/models/search`,
            rotation: ['@cf/openai/gpt-oss-120b', '@cf/meta/llama-3.1-8b-instruct'],
            ok: true,
            listed: 3,
            free: 3,
            models: [
              {
                id: '@cf/openai/gpt-oss-120b',
                pair: 'cloudflare:@cf/openai/gpt-oss-120b',
                free: true,
                contextLength: 128000,
                task: null,
                rotation: 1,
              },
              {
                id: '@cf/meta/llama-3.1-8b-instruct',
                pair: 'cloudflare:@cf/meta/llama-3.1-8b-instruct',
                free: true,
                contextLength: 7968,
                task: null,
                rotation: 2,
              },
              {
                id: '@cf/meta/llama-3.3-70b-instruct-fp8-fast',
                pair: 'cloudflare:@cf/meta/llama-3.3-70b-instruct-fp8-fast',
                free: true,
                contextLength: 24000,
                task: null,
                rotation: null,
              },
            ],
            missing: [],
          },
        ],
        // Named but not configured: said why, and the exit code is 1.
        skipped: [{ id: 'nvidia', reason: 'no key: set NVIDIA_API_KEY or NVIDIA_NIM_API_KEY' }],
      },
    });
  });

  it("the config's providers: applies (a rotation replaced, a provider disabled)", async () => {
    const config = join(dir, 'rotor.yaml');
    await writeFile(
      config,
      'providers:\n  groq: { rotation: [llama-3.1-8b-instant, not-a-groq-model] }\n  gemini: { enabled: false }\n',
    );
    const io = captureIo({ env: { ...env, ROTOR_CONFIG: config } });
    expect(await runDiscover({ provider: ['groq', 'gemini'] }, io)).toBe(1);
    const text = linesOf(io.out);
    expect(text[0]).toBe('Pooled providers: groq joined; gemini not configured: disabled in the config');
    expect(text).toContain('free  groq:llama-3.1-8b-instant        131k  #1');
    expect(text).toContain(
      '      groq:not-a-groq-model               —  #2        not listed: the gateway retires it',
    );
  });

  it('an unknown id in --provider is an error naming the known ones', async () => {
    const io = captureIo({ env });
    expect(await runDiscover({ provider: ['groqq'] }, io)).toBe(1);
    expect(io.err[0]).toMatch(/^rotor discover: unknown provider groqq \(known: openrouter, groq, gemini, /);
    expect(io.out).toEqual([]);
  });
});
