/**
 * The seed system's defaults (Oct 2025), kept for people porting it. These models have aged: a
 * gateway with a real key reconciles its rotation with the live model list instead of trusting them.
 */

/** The seed's 12-model rotation, primary first, with its measured mean latencies. */
export const SEED_MODELS: readonly { id: string; meanLatencyMs: number }[] = [
  { id: 'meta-llama/llama-3.3-8b-instruct:free', meanLatencyMs: 880 },
  { id: 'cognitivecomputations/dolphin-mistral-24b-venice-edition:free', meanLatencyMs: 1310 },
  { id: 'cognitivecomputations/dolphin3.0-mistral-24b:free', meanLatencyMs: 1710 },
  { id: 'meta-llama/llama-4-maverick:free', meanLatencyMs: 2350 },
  { id: 'meituan/longcat-flash-chat:free', meanLatencyMs: 3080 },
  { id: 'minimax/minimax-m2:free', meanLatencyMs: 4700 },
  { id: 'meta-llama/llama-3.3-70b-instruct:free', meanLatencyMs: 3010 },
  { id: 'deepseek/deepseek-r1-0528-qwen3-8b:free', meanLatencyMs: 6600 },
  { id: 'arliai/qwq-32b-arliai-rpr-v1:free', meanLatencyMs: 9940 },
  { id: 'microsoft/mai-ds-r1:free', meanLatencyMs: 12_030 },
  { id: 'google/gemma-2-9b-it:free', meanLatencyMs: 15_030 },
  { id: 'deepseek/deepseek-chat-v3.1:free', meanLatencyMs: 15_690 },
];

export const SEED_ROTATION_ORDER: readonly string[] = SEED_MODELS.map((m) => m.id);
