import { describe, expect, it } from 'vitest';
import type { ModelProbeResult } from './probe-summary.js';
import { applyProbeResults } from './probe-write.js';
import { parseRegistry, stringifyRegistry, validateDocument } from './registry-file.js';

const YAML = `version: 1.0.0
last_updated: 2025-10-25
rotation:
  - a/one:free # primary
  - a/two:free
models:
  - id: a/one:free
    status: verified
    incompatible_reason: old reason
    measured:
      last_tested: 2025-10-25 # by hand
      p50_ms: 900
      success_rate: 1
  - id: a/two:free
    status: verified
`;

function result(partial: Partial<ModelProbeResult> & { model: string }): ModelProbeResult {
  return {
    verdict: 'verified',
    reason: null,
    attempts: 4,
    successes: 4,
    successRate: 1,
    p50Ms: 812.4,
    p95Ms: 1200,
    ttftP50Ms: 300,
    capabilities: {},
    failures: {},
    ...partial,
  };
}

const options = { testedAt: '2026-08-20T12:00:00Z', todayIsoDate: '2026-08-20' };

describe('applyProbeResults', () => {
  it('writes measured figures in the documented key order, keeping comments, and drops a stale reason', () => {
    const { document } = parseRegistry(YAML, 'r.yaml');
    const report = applyProbeResults(
      document,
      [result({ model: 'a/one:free', capabilities: { system_prompt: true } })],
      options,
    );
    expect(report).toEqual({ updated: ['a/one:free'], skipped: [] });
    const text = stringifyRegistry(document);
    expect(text).toContain(`version: 1.0.1
last_updated: 2026-08-20`);
    expect(text).toContain(`  - id: a/one:free
    status: verified
    capabilities:
      system_prompt: true
    measured:
      p50_ms: 812
      p95_ms: 1200
      ttft_ms: 300
      success_rate: 1
      samples: 4
      last_tested: 2026-08-20T12:00:00Z # by hand`);
    expect(text).toContain('  - a/one:free # primary');
    expect(validateDocument(document, 'r.yaml').models[0]!.incompatible_reason).toBeUndefined();
  });

  it('removes figures the probe could not take instead of leaving them stale', () => {
    const { document } = parseRegistry(YAML, 'r.yaml');
    applyProbeResults(
      document,
      [
        result({ model: 'a/two:free' }),
        result({
          model: 'a/one:free',
          verdict: 'failing',
          successes: 0,
          successRate: 0,
          p50Ms: null,
          p95Ms: null,
          ttftP50Ms: null,
          reason: 'server_error ×4',
        }),
      ],
      options,
    );
    const registry = validateDocument(document, 'r.yaml');
    expect(registry.models[0]).toMatchObject({
      status: 'verified',
      measured: { success_rate: 0, samples: 4 },
    });
    expect(registry.models[0]!.measured!.p50_ms).toBeUndefined();
  });

  it('takes an incompatible or retired model out of the rotation, with its reason', () => {
    const { document } = parseRegistry(YAML, 'r.yaml');
    applyProbeResults(
      document,
      [
        result({ model: 'a/one:free', verdict: 'incompatible', reason: 'no system prompt' }),
        result({ model: 'a/two:free', verdict: 'retired', reason: 'No endpoints found for a/two:free.' }),
        result({ model: 'x/unknown:free' }),
      ],
      options,
    );
    const registry = validateDocument(document, 'r.yaml');
    expect(registry.rotation).toEqual([]);
    expect(registry.models[0]).toMatchObject({
      status: 'incompatible',
      incompatible_reason: 'no system prompt',
    });
    expect(registry.models[1]).toMatchObject({
      status: 'retired',
      retired_reason: 'No endpoints found for a/two:free. (rotor probe, 2026-08-20)',
    });
  });

  it('changes nothing for models without samples or not in the registry', () => {
    const { document } = parseRegistry(YAML, 'r.yaml');
    const report = applyProbeResults(
      document,
      [
        result({ model: 'a/two:free', verdict: 'untested', attempts: 0 }),
        result({ model: 'x/unknown:free' }),
      ],
      options,
    );
    expect(report.updated).toEqual([]);
    expect(report.skipped.map((s) => s.id)).toEqual(['a/two:free', 'x/unknown:free']);
    expect(stringifyRegistry(document)).toBe(YAML);
  });
});
