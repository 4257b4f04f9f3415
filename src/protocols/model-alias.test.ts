import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_ALIASES, resolveModelAlias } from './model-alias.js';

describe('resolveModelAlias', () => {
  it('the default sends every claude-* name to auto and leaves others alone', () => {
    expect(resolveModelAlias('claude-sonnet-4-5-20250929', DEFAULT_MODEL_ALIASES)).toBe('auto');
    expect(resolveModelAlias('claude-', DEFAULT_MODEL_ALIASES)).toBe('auto');
    expect(resolveModelAlias('claud', DEFAULT_MODEL_ALIASES)).toBe('claud');
    expect(resolveModelAlias('meta-llama/llama-3.3-8b-instruct:free', DEFAULT_MODEL_ALIASES)).toBe(
      'meta-llama/llama-3.3-8b-instruct:free',
    );
  });

  it('an exact key wins, then the longest matching pattern', () => {
    const aliases = {
      'claude-*': 'auto',
      'claude-haiku-*': 'fast/model',
      'claude-haiku-4-5': 'exact/model',
      '*-mini': 'mini',
    };
    expect(resolveModelAlias('claude-haiku-4-5', aliases)).toBe('exact/model');
    expect(resolveModelAlias('claude-haiku-4', aliases)).toBe('fast/model');
    expect(resolveModelAlias('claude-opus-4', aliases)).toBe('auto');
    expect(resolveModelAlias('gpt-5-mini', aliases)).toBe('mini');
    expect(resolveModelAlias('gpt-5-mini2', aliases)).toBe('gpt-5-mini2');
  });

  it('a middle star matches without overlapping the ends', () => {
    expect(resolveModelAlias('ab', { 'a*b*b': 'x' })).toBe('ab');
    expect(resolveModelAlias('abb', { 'a*b*b': 'x' })).toBe('x');
  });
});
