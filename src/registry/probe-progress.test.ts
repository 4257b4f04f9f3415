import { describe, expect, it } from 'vitest';
import type { ProbeEvent } from './probe.js';
import { createProgressReporter, progressLine } from './probe-progress.js';

const START = Date.UTC(2026, 7, 20, 12, 0, 0);

describe('progress on a terminal', () => {
  it('draws a bar with counts, percentage and ETA', () => {
    expect(progressLine({ done: 12, total: 36, etaMs: 72_000 }, 'a/b:free plain')).toBe(
      'probe [#######-------------] 12/36 33% ETA 1m12s  a/b:free plain',
    );
    expect(progressLine({ done: 0, total: 36, etaMs: null }, '')).toBe(
      'probe [--------------------] 0/36 0% ETA --',
    );
  });

  it('counts down while waiting for the rate window, and stops when the probe goes on', () => {
    let now = START;
    const written: string[] = [];
    const ticks: Array<() => void> = [];
    let cancelled = 0;
    const reporter = createProgressReporter(
      { write: (text) => written.push(text), isTTY: true, columns: 100 },
      {
        now: () => now,
        every: (_ms, run) => {
          ticks.push(run);
          return () => cancelled++;
        },
      },
    );
    const progress = { done: 20, total: 24, etaMs: 65_000 };
    reporter.onEvent({ type: 'waiting', untilMs: START + 61_000, progress } satisfies ProbeEvent);
    expect(written.at(-1)).toBe(
      '\rprobe [#################---] 20/24 83% ETA 1m05s  waiting 1m01s for the rate limit\u001b[K',
    );
    now += 30_000;
    ticks[0]!();
    expect(written.at(-1)).toBe(
      '\rprobe [#################---] 20/24 83% ETA 35s  waiting 31s for the rate limit\u001b[K',
    );
    reporter.onEvent({ type: 'sending', model: 'a/b:free', check: 'plain', round: 0, progress });
    expect(cancelled).toBe(1);
    reporter.note('a warning');
    expect(written.slice(-3)).toEqual([
      '\r\u001b[K',
      'a warning\n',
      '\rprobe [#################---] 20/24 83% ETA 1m05s  a/b:free plain\u001b[K',
    ]);
    reporter.finish();
    expect(written.at(-1)).toBe('\n');
  });

  it('keeps the line shorter than the terminal so it can be redrawn', () => {
    const written: string[] = [];
    const reporter = createProgressReporter({
      write: (text) => written.push(text),
      isTTY: true,
      columns: 40,
    });
    reporter.onEvent({
      type: 'sending',
      model: 'cognitivecomputations/dolphin-mistral-24b-venice-edition:free',
      check: 'system',
      round: 0,
      progress: { done: 1, total: 2, etaMs: 1_000 },
    });
    expect(written[0]).toBe('\rprobe [##########----------] 1/2 50% E…\u001b[K');
  });
});
