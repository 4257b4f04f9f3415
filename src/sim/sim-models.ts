/**
 * The models the simulator serves: the seed's 12 rotation models (with latencies derived from their
 * measured means) plus one model that refuses system prompts, and how each is rendered in
 * OpenRouter's `GET /models` format.
 */
import type { SimModelConfig } from './scenario-schema.js';

/** A fully resolved simulated model. */
export interface SimModel {
  id: string;
  name: string;
  canonicalSlug: string;
  provider: string;
  contextLength: number;
  maxCompletionTokens: number;
  /** Time to first token at latency scale 1. */
  ttftMs: number;
  tokensPerSecond: number;
  tools: boolean;
  systemPrompt: boolean;
  /** Subject to the account's free-model quota. */
  free: boolean;
  limitRpm?: number;
  limitRpd?: number;
  upstreamRpm?: number;
  upstreamRetryHint: boolean;
  /** Unix seconds, for `/models`. */
  created: number;
}

/**
 * Answer length the seed's mean latencies are taken to include: mean ≈ ttft + this many tokens at
 * the model's speed. The seed measured short probe answers; 60 tokens is a plausible size.
 */
const REFERENCE_ANSWER_TOKENS = 60;

interface SeedRow {
  id: string;
  meanLatencyS: number;
  tokensPerSecond: number;
  contextLength: number;
  tools: boolean;
  provider: string;
}

/** The seed's rotation order with its measured mean latencies (docs/design.md); speeds and contexts plausible. */
const SEED_ROWS: readonly SeedRow[] = [
  {
    id: 'meta-llama/llama-3.3-8b-instruct:free',
    meanLatencyS: 0.88,
    tokensPerSecond: 150,
    contextLength: 128_000,
    tools: true,
    provider: 'Meta',
  },
  {
    id: 'cognitivecomputations/dolphin-mistral-24b-venice-edition:free',
    meanLatencyS: 1.31,
    tokensPerSecond: 80,
    contextLength: 32_768,
    tools: false,
    provider: 'Venice',
  },
  {
    id: 'cognitivecomputations/dolphin3.0-mistral-24b:free',
    meanLatencyS: 1.71,
    tokensPerSecond: 70,
    contextLength: 32_768,
    tools: false,
    provider: 'Chutes',
  },
  {
    id: 'meta-llama/llama-4-maverick:free',
    meanLatencyS: 2.35,
    tokensPerSecond: 90,
    contextLength: 128_000,
    tools: true,
    provider: 'Chutes',
  },
  {
    id: 'meituan/longcat-flash-chat:free',
    meanLatencyS: 3.08,
    tokensPerSecond: 60,
    contextLength: 131_072,
    tools: true,
    provider: 'Meituan',
  },
  {
    id: 'minimax/minimax-m2:free',
    meanLatencyS: 4.7,
    tokensPerSecond: 50,
    contextLength: 204_800,
    tools: true,
    provider: 'MiniMax',
  },
  {
    id: 'meta-llama/llama-3.3-70b-instruct:free',
    meanLatencyS: 3.01,
    tokensPerSecond: 40,
    contextLength: 131_072,
    tools: true,
    provider: 'Venice',
  },
  {
    id: 'deepseek/deepseek-r1-0528-qwen3-8b:free',
    meanLatencyS: 6.6,
    tokensPerSecond: 60,
    contextLength: 131_072,
    tools: true,
    provider: 'Chutes',
  },
  {
    id: 'arliai/qwq-32b-arliai-rpr-v1:free',
    meanLatencyS: 9.94,
    tokensPerSecond: 35,
    contextLength: 32_768,
    tools: false,
    provider: 'Chutes',
  },
  {
    id: 'microsoft/mai-ds-r1:free',
    meanLatencyS: 12.03,
    tokensPerSecond: 30,
    contextLength: 163_840,
    tools: true,
    provider: 'Chutes',
  },
  {
    id: 'google/gemma-2-9b-it:free',
    meanLatencyS: 15.03,
    tokensPerSecond: 50,
    contextLength: 8_192,
    tools: false,
    provider: 'Chutes',
  },
  {
    id: 'deepseek/deepseek-chat-v3.1:free',
    meanLatencyS: 15.69,
    tokensPerSecond: 30,
    contextLength: 163_840,
    tools: true,
    provider: 'DeepInfra',
  },
];

/** The model configured without system-prompt support, as Google AI Studio serves Gemma 3n. */
export const NO_SYSTEM_PROMPT_MODEL_ID = 'google/gemma-3n-e4b-it:free';

/** Fixed `created` stamp for rendered models, so `/models` is identical across runs. */
const CREATED_S = 1_746_000_000;

function slugOf(id: string): string {
  return id.endsWith(':free') ? id.slice(0, -':free'.length) : id;
}

function nameOf(id: string): string {
  const [author = id, rest = id] = slugOf(id).split('/');
  const suffix = id.endsWith(':free') ? ' (free)' : '';
  return `${author.charAt(0).toUpperCase()}${author.slice(1)}: ${rest}${suffix}`;
}

/** A model with generic plausible values, for ids the simulator has no table entry for. */
export function genericModel(id: string): SimModel {
  return {
    id,
    name: nameOf(id),
    canonicalSlug: slugOf(id),
    provider: 'Chutes',
    contextLength: 32_768,
    maxCompletionTokens: 8_192,
    ttftMs: 800,
    tokensPerSecond: 60,
    tools: true,
    systemPrompt: true,
    free: id.endsWith(':free') || id === 'openrouter/free',
    upstreamRetryHint: false,
    created: CREATED_S,
  };
}

function fromSeedRow(row: SeedRow): SimModel {
  const generationMs = (REFERENCE_ANSWER_TOKENS / row.tokensPerSecond) * 1000;
  return {
    ...genericModel(row.id),
    provider: row.provider,
    contextLength: row.contextLength,
    maxCompletionTokens: Math.min(row.contextLength, 16_384),
    ttftMs: Math.round(row.meanLatencyS * 1000 - generationMs),
    tokensPerSecond: row.tokensPerSecond,
    tools: row.tools,
  };
}

/** The default model list: the seed's 12 in rotation order, then the no-system-prompt Gemma. */
export function defaultModels(): SimModel[] {
  return [
    ...SEED_ROWS.map(fromSeedRow),
    {
      ...genericModel(NO_SYSTEM_PROMPT_MODEL_ID),
      name: 'Google: Gemma 3n 4B (free)',
      provider: 'Google AI Studio',
      contextLength: 8_192,
      maxCompletionTokens: 2_048,
      ttftMs: 450,
      tokensPerSecond: 100,
      tools: false,
      systemPrompt: false,
    },
  ];
}

/** Apply a scenario entry on top of a model (or on a generic one for a new id). */
export function applyModelConfig(base: SimModel | undefined, config: SimModelConfig): SimModel {
  const model = { ...(base ?? genericModel(config.id)) };
  for (const [key, value] of Object.entries(config)) {
    if (value !== undefined) (model as Record<string, unknown>)[key] = value;
  }
  return model;
}

/** Merge scenario entries into a base list: same id overrides, a new id is appended. */
export function mergeModels(base: readonly SimModel[], configs: readonly SimModelConfig[]): SimModel[] {
  const byId = new Map(base.map((m) => [m.id, m]));
  for (const config of configs) byId.set(config.id, applyModelConfig(byId.get(config.id), config));
  return [...byId.values()];
}

const BASE_PARAMETERS = [
  'max_tokens',
  'temperature',
  'top_p',
  'stop',
  'frequency_penalty',
  'presence_penalty',
  'seed',
];

/** The model as one entry of OpenRouter's `GET /models` `data` array. */
export function toModelsEntry(model: SimModel): Record<string, unknown> {
  return {
    id: model.id,
    canonical_slug: model.canonicalSlug,
    hugging_face_id: null,
    name: model.name,
    created: model.created,
    description: `${model.name}, simulated by rotor.`,
    context_length: model.contextLength,
    architecture: {
      modality: 'text->text',
      input_modalities: ['text'],
      output_modalities: ['text'],
      tokenizer: 'Other',
      instruct_type: null,
    },
    pricing: model.free
      ? { prompt: '0', completion: '0', request: '0', image: '0' }
      : { prompt: '0.0000002', completion: '0.0000008', request: '0', image: '0' },
    top_provider: {
      context_length: model.contextLength,
      max_completion_tokens: model.maxCompletionTokens,
      is_moderated: false,
    },
    per_request_limits: null,
    supported_parameters: model.tools
      ? [...BASE_PARAMETERS, 'tool_choice', 'tools', 'response_format']
      : [...BASE_PARAMETERS],
    default_parameters: {},
  };
}
