import { describe, expect, it } from 'vitest';
import { oneLine, type ProbeSample, percentile, summarizeModel } from './probe-summary.js';

const M = 'a/model:free';
let at = 0;
function sample(partial: Partial<ProbeSample>): ProbeSample {
  return {
    model: M,
    check: 'plain',
    round: 0,
    startedAtMs: at++,
    latencyMs: 100,
    ttftMs: 40,
    ok: true,
    ...partial,
  };
}
const rateLimit = (check: ProbeSample['check'] = 'plain') =>
  sample({
    check,
    ok: false,
    ttftMs: null,
    failure: { kind: 'rate_limit', scope: 'model', message: 'Rate limit exceeded' },
  });
const serverError = () =>
  sample({
    ok: false,
    ttftMs: null,
    failure: { kind: 'server_error', status: 502, message: 'Provider returned error' },
  });

describe('summarizeModel', () => {
  it('has no verdict without samples', () => {
    expect(summarizeModel(M, [])).toMatchObject({
      verdict: 'untested',
      attempts: 0,
      successRate: null,
      p50Ms: null,
    });
  });

  it('is verified with some failures, and says which', () => {
    const result = summarizeModel(M, [sample({}), sample({ latencyMs: 300 }), serverError()]);
    expect(result).toMatchObject({
      verdict: 'verified',
      attempts: 3,
      successes: 2,
      failures: { server_error: 1 },
    });
    expect(result.successRate).toBeCloseTo(2 / 3);
    expect(result.reason).toBe('1 of 3 failed: server_error');
    expect(result.p50Ms).toBe(100);
    expect(result.p95Ms).toBe(300);
  });

  it('is rate_limited when 429s are at least as many as successes', () => {
    expect(summarizeModel(M, [sample({}), rateLimit()]).verdict).toBe('rate_limited');
    expect(summarizeModel(M, [sample({}), sample({}), rateLimit()]).verdict).toBe('verified');
  });

  it('is failing when nothing succeeded for reasons other than rate limits', () => {
    const result = summarizeModel(M, [serverError(), serverError()]);
    expect(result).toMatchObject({ verdict: 'failing', successRate: 0 });
    expect(result.reason).toBe('server_error ×2: Provider returned error');
  });

  it('lets a refused system prompt or a 404 decide, whatever else happened', () => {
    const refused = sample({
      check: 'system',
      ok: false,
      failure: {
        kind: 'unsupported',
        status: 400,
        message: 'Provider returned error: {\n  "error": {"message": "No system"}\n}',
      },
    });
    expect(summarizeModel(M, [sample({}), refused])).toMatchObject({
      verdict: 'incompatible',
      reason: 'Provider returned error: No system',
      capabilities: { system_prompt: false },
    });
    const gone = sample({
      ok: false,
      failure: { kind: 'model_not_found', status: 404, message: 'No endpoints found for a/model:free.' },
    });
    expect(summarizeModel(M, [sample({}), gone]).verdict).toBe('retired');
  });

  it('does not count a refused tool request against the success rate', () => {
    const toolRefusal = sample({
      check: 'tools',
      ok: false,
      failure: { kind: 'unsupported', status: 404, message: 'No endpoints found that support tool use.' },
    });
    expect(summarizeModel(M, [sample({}), toolRefusal])).toMatchObject({
      verdict: 'verified',
      attempts: 1,
      successRate: 1,
      capabilities: { tools: false },
    });
  });
});

describe('percentile and oneLine', () => {
  it('uses the nearest rank', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 95)).toBe(5);
    expect(percentile([], 50)).toBeNull();
  });

  it('keeps plain messages and collapses whitespace', () => {
    expect(oneLine('  Rate limit\n exceeded ')).toBe('Rate limit exceeded');
  });
});
