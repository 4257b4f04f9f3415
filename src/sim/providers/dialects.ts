/** Which dialect each built-in provider speaks (OpenRouter is the simulator's own, in `../`). */
import { cerebrasDialect } from './cerebras-dialect.js';
import { cloudflareDialect } from './cloudflare-dialect.js';
import { geminiDialect } from './gemini-dialect.js';
import { githubModelsDialect } from './github-models-dialect.js';
import { groqDialect } from './groq-dialect.js';
import { mistralDialect } from './mistral-dialect.js';
import { nvidiaDialect } from './nvidia-dialect.js';
import {
  llamacppDialect,
  lmstudioDialect,
  ollamaCloudDialect,
  ollamaLocalDialect,
  vllmDialect,
} from './ollama-dialects.js';
import type { ProviderDialect } from './provider-dialect.js';
import { sambanovaDialect } from './sambanova-dialect.js';

const DIALECTS: Readonly<Record<string, ProviderDialect>> = {
  groq: groqDialect,
  gemini: geminiDialect,
  cerebras: cerebrasDialect,
  mistral: mistralDialect,
  'github-models': githubModelsDialect,
  nvidia: nvidiaDialect,
  sambanova: sambanovaDialect,
  cloudflare: cloudflareDialect,
  'ollama-cloud': ollamaCloudDialect,
  ollama: ollamaLocalDialect,
  llamacpp: llamacppDialect,
  vllm: vllmDialect,
  lmstudio: lmstudioDialect,
};

export function dialectOf(providerId: string): ProviderDialect | undefined {
  return DIALECTS[providerId];
}
