import { beforeAll, describe, expect, it } from 'vitest';
import { describeProviderLimits } from './describe-limit.js';
import { loadProviderCatalog } from './provider-catalog-file.js';
import type { Provider, ProviderCatalog } from './provider-catalog-schema.js';

let catalog: ProviderCatalog;
beforeAll(async () => {
  catalog = await loadProviderCatalog();
});
const limitsOf = (id: string): Provider['limits'] => catalog.providers.find((p) => p.id === id)!.limits;

describe("a provider's limits in one line", () => {
  it.each([
    [
      'groq',
      '30 requests/min, 250–14,400 requests/day, 6,000–70,000 tokens/min, 100,000–500,000 tokens/day per model, refills continuously',
    ],
    [
      'gemini',
      '5–15 requests/min, 250,000 tokens/min per model, rolling window; 20–500 requests/day per model, resets at midnight America/Los_Angeles',
    ],
    [
      'mistral',
      '1 request/second per model, resets at the start of each second; 23–750 requests/min, 500,000 tokens/min per model, resets at the start of each minute; 1,000,000,000 tokens/month per model, resets on the 1st, 00:00 UTC',
    ],
    [
      'github-models',
      '15 requests/min, 150 requests/day per model, rolling window; 5 requests at once per model',
    ],
    [
      'cloudflare',
      '10,000 neurons/day per account, resets at midnight UTC; 300 requests/min per model, rolling window',
    ],
    ['ollama-cloud', ''],
  ])("%s, from the catalog's figures (every model it names)", (id, words) => {
    expect(describeProviderLimits(limitsOf(id))).toBe(words);
  });

  it('figures in force (one per model in the rotation) narrow the ranges', () => {
    const inForce: Record<string, number[]> = {
      requests_minute: [30, 30],
      requests_day: [1000, 14400],
      tokens_minute: [8000, 6000],
    };
    expect(describeProviderLimits(limitsOf('groq'), (l) => inForce[l.window] ?? [])).toBe(
      '30 requests/min, 1,000–14,400 requests/day, 6,000–8,000 tokens/min, 100,000–500,000 tokens/day per model, refills continuously',
    );
  });
});
