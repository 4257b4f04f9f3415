import { describe, expect, it } from 'vitest';
import { parseRegistry } from './registry-file.js';
import { loadRotationDefaults, rotationDefaultsFrom } from './rotation-defaults.js';

describe('loadRotationDefaults', () => {
  it('reads the shipped registry by default: the seed rotation and every model', async () => {
    const defaults = await loadRotationDefaults();
    expect(defaults.rotation[0]).toBe('meta-llama/llama-3.3-8b-instruct:free');
    expect(defaults.rotation).toHaveLength(12);
    expect(defaults.models.size).toBe(20);
    expect(defaults.models.get('meta-llama/llama-3.3-8b-instruct:free')).toEqual({
      capabilities: { systemPrompt: true },
      expectedLatencyMs: 880,
      status: 'verified',
    });
    expect(defaults.models.get('google/gemma-3n-e4b-it:free')).toMatchObject({
      status: 'incompatible',
      capabilities: { systemPrompt: false },
    });
  });

  it('maps capabilities and context to camelCase and prefers measured p50 latency', () => {
    const { registry } = parseRegistry(
      `version: 1.0.0
last_updated: 2025-10-25
rotation: [a/one:free]
models:
  - id: a/one:free
    status: verified
    context_length: 131072
    capabilities: { tools: true, json_mode: false, vision: true, reasoning: true, system_prompt: true }
    expected_latency_ms: 900
    measured: { p50_ms: 750 }
`,
      'inline.yaml',
    );
    expect(rotationDefaultsFrom(registry).models.get('a/one:free')).toEqual({
      contextLength: 131072,
      capabilities: { systemPrompt: true, tools: true, vision: true, jsonMode: false, reasoning: true },
      expectedLatencyMs: 750,
      status: 'verified',
    });
  });
});
