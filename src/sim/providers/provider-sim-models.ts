/**
 * The models each simulated provider serves by default: a few realistic ones per provider, with
 * ids as the provider spells them — taken from the catalog's `by_model` figures and
 * `registry/model-families.yaml`, so one family (gpt-oss-120b, llama-3.3-70b, llama-3.1-8b) is
 * served by several providers under different ids. Latencies are plausible orders of magnitude
 * (Cerebras and Groq fast, hosted NIMs and GitHub slow), not measurements.
 *
 * Two traps are on purpose, because real catalogs have them: Gemini lists `gemini-2.5-pro`, which
 * has no free quota (429 "limit: 0"), and NVIDIA lists `deepseek-ai/deepseek-v4-pro`, which answers
 * 404 "Not found for account". NVIDIA's Mixtral refuses `tool_choice: "auto"`.
 */
import type { QuotaWindow } from '../../providers/quota-window.js';
import type { SimProviderModelInput } from './provider-scenario.js';

/** A fully resolved model of a simulated provider. */
export interface SimProviderModel {
  id: string;
  name: string;
  ownedBy: string;
  contextLength: number;
  maxCompletionTokens: number;
  ttftMs: number;
  tokensPerSecond: number;
  tools: boolean;
  autoToolChoice: boolean;
  access: 'free' | 'no_free_tier' | 'not_entitled';
  limits: Partial<Record<QuotaWindow, number>>;
  maxInputTokens?: number;
  neuronsPerMInputTokens: number;
  neuronsPerMOutputTokens: number;
  tier?: string;
}

type Row = SimProviderModelInput & { ownedBy: string };

/** GitHub Models' rate-limit tiers for Copilot Free/Pro (github/docs prototyping-with-ai-models.md @0b47378). */
const GITHUB_LOW = { requests_minute: 15, requests_day: 150, concurrency: 5 };
const GITHUB_HIGH = { requests_minute: 10, requests_day: 50, concurrency: 2 };
const GITHUB_CUSTOM = { requests_minute: 1, requests_day: 8, concurrency: 1 };

const DEFAULTS: Readonly<Record<string, readonly Row[]>> = {
  groq: [
    {
      id: 'llama-3.1-8b-instant',
      ownedBy: 'Meta',
      contextLength: 131_072,
      maxCompletionTokens: 131_072,
      ttftMs: 150,
      tokensPerSecond: 750,
    },
    {
      id: 'llama-3.3-70b-versatile',
      ownedBy: 'Meta',
      contextLength: 131_072,
      maxCompletionTokens: 32_768,
      ttftMs: 250,
      tokensPerSecond: 280,
    },
    {
      id: 'openai/gpt-oss-120b',
      ownedBy: 'OpenAI',
      contextLength: 131_072,
      maxCompletionTokens: 65_536,
      ttftMs: 220,
      tokensPerSecond: 500,
    },
    {
      id: 'openai/gpt-oss-20b',
      ownedBy: 'OpenAI',
      contextLength: 131_072,
      maxCompletionTokens: 65_536,
      ttftMs: 180,
      tokensPerSecond: 1000,
    },
  ],
  gemini: [
    {
      id: 'gemini-2.5-flash',
      ownedBy: 'google',
      contextLength: 1_048_576,
      maxCompletionTokens: 65_536,
      ttftMs: 700,
      tokensPerSecond: 200,
    },
    {
      id: 'gemini-2.5-flash-lite',
      ownedBy: 'google',
      contextLength: 1_048_576,
      maxCompletionTokens: 65_536,
      ttftMs: 450,
      tokensPerSecond: 300,
    },
    {
      id: 'gemini-3.1-flash-lite',
      ownedBy: 'google',
      contextLength: 1_048_576,
      maxCompletionTokens: 65_536,
      ttftMs: 400,
      tokensPerSecond: 320,
    },
    {
      id: 'gemini-2.5-pro',
      ownedBy: 'google',
      contextLength: 1_048_576,
      maxCompletionTokens: 65_536,
      ttftMs: 1500,
      tokensPerSecond: 120,
      access: 'no_free_tier',
    },
  ],
  cerebras: [
    // Free-tier context is 65K, output 32K (neurolink docs 2026-08 via PROVIDERS.md §3).
    {
      id: 'gpt-oss-120b',
      ownedBy: 'Cerebras',
      contextLength: 65_536,
      maxCompletionTokens: 32_768,
      ttftMs: 180,
      tokensPerSecond: 2000,
    },
    {
      id: 'gemma-4-31b',
      ownedBy: 'Cerebras',
      contextLength: 65_536,
      maxCompletionTokens: 32_768,
      ttftMs: 150,
      tokensPerSecond: 1500,
    },
    {
      id: 'zai-glm-4.7',
      ownedBy: 'Cerebras',
      contextLength: 65_536,
      maxCompletionTokens: 32_768,
      ttftMs: 250,
      tokensPerSecond: 1000,
    },
  ],
  mistral: [
    {
      id: 'mistral-medium-2508',
      ownedBy: 'mistralai',
      contextLength: 131_072,
      maxCompletionTokens: 32_768,
      ttftMs: 450,
      tokensPerSecond: 90,
    },
    {
      id: 'ministral-3b-2512',
      ownedBy: 'mistralai',
      contextLength: 131_072,
      maxCompletionTokens: 32_768,
      ttftMs: 200,
      tokensPerSecond: 250,
    },
    {
      id: 'mistral-small-2506',
      ownedBy: 'mistralai',
      contextLength: 131_072,
      maxCompletionTokens: 32_768,
      ttftMs: 300,
      tokensPerSecond: 150,
    },
  ],
  'github-models': [
    {
      id: 'openai/gpt-4.1-mini',
      ownedBy: 'OpenAI',
      contextLength: 1_048_576,
      maxCompletionTokens: 4000,
      ttftMs: 700,
      tokensPerSecond: 80,
      limits: GITHUB_LOW,
      maxInputTokens: 8000,
      tier: 'low',
    },
    {
      id: 'openai/gpt-4.1',
      ownedBy: 'OpenAI',
      contextLength: 1_048_576,
      maxCompletionTokens: 4000,
      ttftMs: 900,
      tokensPerSecond: 60,
      limits: GITHUB_HIGH,
      maxInputTokens: 8000,
      tier: 'high',
    },
    {
      id: 'meta/Llama-3.3-70B-Instruct',
      ownedBy: 'Meta',
      contextLength: 131_072,
      maxCompletionTokens: 4000,
      ttftMs: 1000,
      tokensPerSecond: 40,
      limits: GITHUB_LOW,
      maxInputTokens: 8000,
      tier: 'low',
    },
    {
      id: 'deepseek/DeepSeek-R1',
      ownedBy: 'DeepSeek',
      contextLength: 128_000,
      maxCompletionTokens: 4000,
      ttftMs: 2500,
      tokensPerSecond: 30,
      limits: GITHUB_CUSTOM,
      maxInputTokens: 4000,
      tier: 'custom',
      tools: false,
    },
  ],
  nvidia: [
    {
      id: 'meta/llama-3.3-70b-instruct',
      ownedBy: 'meta',
      contextLength: 131_072,
      maxCompletionTokens: 4096,
      ttftMs: 900,
      tokensPerSecond: 40,
    },
    {
      id: 'openai/gpt-oss-120b',
      ownedBy: 'openai',
      contextLength: 131_072,
      maxCompletionTokens: 16_384,
      ttftMs: 800,
      tokensPerSecond: 60,
    },
    {
      id: 'nvidia/nemotron-3-super-120b-a12b',
      ownedBy: 'nvidia',
      contextLength: 196_608,
      maxCompletionTokens: 16_384,
      ttftMs: 1100,
      tokensPerSecond: 45,
    },
    {
      id: 'mistralai/mixtral-8x22b-instruct-v0.1',
      ownedBy: 'mistralai',
      contextLength: 65_536,
      maxCompletionTokens: 4096,
      ttftMs: 1200,
      tokensPerSecond: 35,
      autoToolChoice: false,
    },
    {
      id: 'deepseek-ai/deepseek-v4-pro',
      ownedBy: 'deepseek-ai',
      contextLength: 131_072,
      maxCompletionTokens: 16_384,
      ttftMs: 1500,
      tokensPerSecond: 30,
      access: 'not_entitled',
    },
  ],
  sambanova: [
    {
      id: 'Meta-Llama-3.3-70B-Instruct',
      ownedBy: 'SambaNova',
      contextLength: 131_072,
      maxCompletionTokens: 16_384,
      ttftMs: 300,
      tokensPerSecond: 350,
    },
    {
      id: 'Meta-Llama-3.1-8B-Instruct',
      ownedBy: 'SambaNova',
      contextLength: 16_384,
      maxCompletionTokens: 4096,
      ttftMs: 200,
      tokensPerSecond: 900,
    },
    {
      id: 'DeepSeek-R1',
      ownedBy: 'SambaNova',
      contextLength: 32_768,
      maxCompletionTokens: 8192,
      ttftMs: 600,
      tokensPerSecond: 180,
    },
    {
      id: 'Qwen3-32B',
      ownedBy: 'SambaNova',
      contextLength: 32_768,
      maxCompletionTokens: 8192,
      ttftMs: 350,
      tokensPerSecond: 300,
    },
  ],
  cloudflare: [
    // Neuron rates per million tokens, approximately as Cloudflare's pricing page lists them (unconfirmed).
    {
      id: '@cf/meta/llama-3.1-8b-instruct',
      ownedBy: 'meta',
      contextLength: 7968,
      maxCompletionTokens: 2048,
      ttftMs: 500,
      tokensPerSecond: 70,
      neuronsPerMInputTokens: 25_608,
      neuronsPerMOutputTokens: 75_147,
    },
    {
      id: '@cf/openai/gpt-oss-120b',
      ownedBy: 'openai',
      contextLength: 128_000,
      maxCompletionTokens: 16_384,
      ttftMs: 700,
      tokensPerSecond: 60,
      neuronsPerMInputTokens: 31_818,
      neuronsPerMOutputTokens: 68_182,
    },
    {
      id: '@cf/meta/llama-3.3-70b-instruct-fp8-fast',
      ownedBy: 'meta',
      contextLength: 24_000,
      maxCompletionTokens: 4096,
      ttftMs: 600,
      tokensPerSecond: 50,
      neuronsPerMInputTokens: 26_668,
      neuronsPerMOutputTokens: 204_805,
    },
  ],
  'ollama-cloud': [
    {
      id: 'gpt-oss:120b',
      ownedBy: 'openai',
      contextLength: 131_072,
      maxCompletionTokens: 32_768,
      ttftMs: 600,
      tokensPerSecond: 90,
    },
    {
      id: 'gpt-oss:20b',
      ownedBy: 'openai',
      contextLength: 131_072,
      maxCompletionTokens: 32_768,
      ttftMs: 400,
      tokensPerSecond: 140,
    },
    {
      id: 'qwen3-coder:480b',
      ownedBy: 'qwen',
      contextLength: 262_144,
      maxCompletionTokens: 65_536,
      ttftMs: 900,
      tokensPerSecond: 60,
    },
  ],
  ollama: [
    {
      id: 'llama3.1:8b',
      ownedBy: 'library',
      contextLength: 4096,
      maxCompletionTokens: 4096,
      ttftMs: 300,
      tokensPerSecond: 30,
    },
    {
      id: 'qwen2.5-coder:7b',
      ownedBy: 'library',
      contextLength: 4096,
      maxCompletionTokens: 4096,
      ttftMs: 300,
      tokensPerSecond: 32,
    },
  ],
  llamacpp: [
    {
      id: 'gpt-oss-20b',
      ownedBy: 'llamacpp',
      contextLength: 8192,
      maxCompletionTokens: 8192,
      ttftMs: 250,
      tokensPerSecond: 35,
    },
  ],
  vllm: [
    {
      id: 'meta-llama/Llama-3.1-8B-Instruct',
      ownedBy: 'vllm',
      contextLength: 32_768,
      maxCompletionTokens: 32_768,
      ttftMs: 120,
      tokensPerSecond: 90,
    },
  ],
  lmstudio: [
    {
      id: 'openai/gpt-oss-20b',
      ownedBy: 'organization_owner',
      contextLength: 8192,
      maxCompletionTokens: 8192,
      ttftMs: 300,
      tokensPerSecond: 30,
    },
  ],
};

/** Providers the simulator has default models for (OpenRouter has its own simulator). */
export function simulatedProviderIds(): string[] {
  return Object.keys(DEFAULTS);
}

export function resolveProviderModel(
  input: SimProviderModelInput,
  base?: SimProviderModel,
): SimProviderModel {
  const limits = { ...(base?.limits ?? {}), ...(input.limits ?? {}) };
  const model: SimProviderModel = {
    id: input.id,
    name: input.name ?? base?.name ?? displayName(input.id),
    ownedBy: input.ownedBy ?? base?.ownedBy ?? 'simulator',
    contextLength: input.contextLength ?? base?.contextLength ?? 131_072,
    maxCompletionTokens: input.maxCompletionTokens ?? base?.maxCompletionTokens ?? 8192,
    ttftMs: input.ttftMs ?? base?.ttftMs ?? 500,
    tokensPerSecond: input.tokensPerSecond ?? base?.tokensPerSecond ?? 100,
    tools: input.tools ?? base?.tools ?? true,
    autoToolChoice: input.autoToolChoice ?? base?.autoToolChoice ?? true,
    access: input.access ?? base?.access ?? 'free',
    limits,
    neuronsPerMInputTokens: input.neuronsPerMInputTokens ?? base?.neuronsPerMInputTokens ?? 25_000,
    neuronsPerMOutputTokens: input.neuronsPerMOutputTokens ?? base?.neuronsPerMOutputTokens ?? 75_000,
  };
  const maxInput = input.maxInputTokens ?? base?.maxInputTokens;
  if (maxInput !== undefined) model.maxInputTokens = maxInput;
  const tier = input.tier ?? base?.tier;
  if (tier !== undefined) model.tier = tier;
  return model;
}

/**
 * A provider's models: its defaults (unless `defaultModels` is false), then the scenario's rows
 * — a row with a default's id changes that model, a new id adds one.
 */
export function providerModels(
  providerId: string,
  rows: readonly SimProviderModelInput[],
  defaultModels = true,
): SimProviderModel[] {
  const models = new Map<string, SimProviderModel>();
  if (defaultModels)
    for (const row of DEFAULTS[providerId] ?? []) models.set(row.id, resolveProviderModel(row));
  for (const row of rows) models.set(row.id, resolveProviderModel(row, models.get(row.id)));
  return [...models.values()];
}

function displayName(id: string): string {
  const last = id.slice(id.lastIndexOf('/') + 1);
  return last.replace(/^@cf\//, '');
}
