import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  FAULT_KINDS,
  loadScenarioFile,
  parseDurationMs,
  parseFaults,
  parseScenario,
  ScenarioError,
} from './scenario-schema.js';

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ScenarioError) return err.issues;
    throw err;
  }
  throw new Error('expected a ScenarioError');
}

describe('scenario schema', () => {
  it('fills defaults for an empty scenario', () => {
    const scenario = parseScenario({});
    expect(scenario.defaultModels).toBe(true);
    expect(scenario.account).toMatchObject({ hasCredits: false, freeLimits: true, perMinute: 20 });
    expect(scenario.models).toEqual([]);
    expect(scenario.faults).toEqual([]);
  });

  it('accepts the full example from the README', async () => {
    const readme = await readFile(new URL('./README.md', import.meta.url), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(yaml).toBeDefined();
    const scenario = parseScenario(parseYaml(yaml!));
    expect(scenario.faults.length).toBeGreaterThan(3);
    expect(scenario.models.length).toBeGreaterThan(0);
  });

  it('has every fault kind documented in the README', async () => {
    const readme = await readFile(new URL('./README.md', import.meta.url), 'utf8');
    expect(FAULT_KINDS.length).toBe(17);
    for (const kind of FAULT_KINDS) expect(readme).toMatch(new RegExp(`\\| \`${kind}\` +\\|`));
  });

  it('turns fault windows written with units into ms since t = 0', () => {
    const [fault] = parseFaults({ model: 'm', kind: 'server_error', status: 503, from: '10s', to: '70s' });
    expect(fault).toEqual({
      model: 'm',
      kind: 'server_error',
      status: 503,
      fromMs: 10_000,
      toMs: 70_000,
      probability: 1,
    });
    const [open] = parseFaults({ kind: 'no_response' });
    expect(open).toEqual({ model: '*', kind: 'no_response', fromMs: 0, probability: 1 });
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('1.5m')).toBe(90_000);
    expect(parseDurationMs('2h')).toBe(7_200_000);
  });

  it('names the path and echoes the bad value', () => {
    expect(
      issuesOf(() =>
        parseScenario({ faults: [{ kind: 'server_error' }, { kind: 'server_error', status: 504 }] }),
      ),
    ).toEqual([expect.stringMatching(/^faults\[1\]\.status: .*\(got 504\)$/)]);
    expect(issuesOf(() => parseScenario({ models: [{ id: 'x', ttftMs: -5 }] }))).toEqual([
      expect.stringMatching(/^models\[0\]\.ttftMs: .*\(got -5\)$/),
    ]);
    expect(issuesOf(() => parseScenario({ faults: [{ kind: 'explode' }] }))).toEqual([
      expect.stringMatching(/^faults\[0\]\.kind: .*server_error.*\(got "explode"\)$/),
    ]);
    expect(issuesOf(() => parseScenario({ faults: [{ kind: 'stream_cut', from: 'soon' }] }))).toEqual([
      expect.stringMatching(/^faults\[0\]\.from: expected a duration with a unit.*\(got "soon"\)$/),
    ]);
  });

  it('refuses unknown keys, so typos do not pass silently', () => {
    expect(issuesOf(() => parseScenario({ models: [{ id: 'x', ttft: 5 }] }))).toEqual([
      expect.stringMatching(/^models\[0\]: Unrecognized key.*"ttft"/),
    ]);
    expect(issuesOf(() => parseScenario({ latency: 0 }))).toEqual([
      expect.stringMatching(/^\(root\): Unrecognized key.*"latency"/),
    ]);
  });

  it('refuses a window given twice or ending before it starts', () => {
    expect(issuesOf(() => parseFaults({ kind: 'missing_done', from: '1s', fromMs: 1000 }))).toEqual([
      expect.stringContaining('give either "from" or "fromMs"'),
    ]);
    expect(issuesOf(() => parseFaults({ kind: 'missing_done', from: '10s', to: '5s' }))).toEqual([
      expect.stringMatching(/^\[0\]\.to: window ends \(5000 ms\) before it starts \(10000 ms\)/),
    ]);
  });

  it('loads a YAML file, resolving modelsFile against its folder, and reports bad YAML', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rotor-sim-'));
    const path = join(dir, 'scenario.yaml');
    await writeFile(path, 'modelsFile: models.json\nfaults:\n  - kind: model_gone\n    model: a\n');
    const scenario = await loadScenarioFile(path);
    expect(scenario.modelsFile).toBe(join(dir, 'models.json'));
    expect(scenario.faults[0]).toMatchObject({ kind: 'model_gone', model: 'a' });

    await writeFile(path, 'faults: [\n');
    await expect(loadScenarioFile(path)).rejects.toThrow(/not valid YAML/);
    await writeFile(path, 'seed: nope\n');
    await expect(loadScenarioFile(path)).rejects.toThrow(/scenario\.yaml:\n {2}- seed: .*\(got "nope"\)/);
  });
});
