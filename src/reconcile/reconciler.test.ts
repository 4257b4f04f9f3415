import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../engine/clock.js';
import type { EngineEvent } from '../engine/engine-events.js';
import { seededRandom } from '../engine/random.js';
import { RotationEngine } from '../engine/rotation-engine.js';
import type { ApiModel } from '../registry/openrouter-model.js';
import type { RegistryModel } from '../registry/registry-schema.js';
import { type ReconcilerOptions, runPeriodically, startReconciler } from './reconciler.js';

const BASE = 'http://list.test/api/v1';
const A = 'a/old-primary:free';
const B = 'b/old-second:free';
const X = 'x/live:free';
const Y = 'y/live:free';

function free(id: string): ApiModel {
  return {
    id,
    context_length: 65_536,
    pricing: { prompt: '0', completion: '0' },
    architecture: { input_modalities: ['text'], output_modalities: ['text'] },
    supported_parameters: ['max_tokens'],
  };
}

function setup(over: Partial<ReconcilerOptions> & { lists?: ApiModel[][] } = {}) {
  const clock = new ManualClock(Date.UTC(2026, 7, 20, 9));
  const engine = new RotationEngine(
    { rotationOrder: [A, B], quota: { freeRequestsPerMinute: 0 } },
    { clock, random: seededRandom(1) },
  );
  const events: EngineEvent[] = [];
  engine.subscribe((e) => events.push(e));
  const lines: Array<{ level: number; msg: string; [k: string]: unknown }> = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  const lists = over.lists ?? [[free(X), free(Y)]];
  let fetches = 0;
  let tick: (() => void) | undefined;
  const reconciler = startReconciler({
    engine,
    baseUrl: BASE,
    registry: [] as RegistryModel[],
    pinned: false,
    intervalMs: 60_000,
    timeoutMs: 1000,
    clock,
    logger,
    fetchModels: async () => lists[Math.min(fetches++, lists.length - 1)]!,
    every: (_ms, run) => {
      tick = run;
      return () => {
        tick = undefined;
      };
    },
    ...over,
  });
  return {
    engine,
    events,
    lines,
    reconciler,
    fetches: () => fetches,
    tick: () => tick?.(),
    hasTimer: () => tick !== undefined,
  };
}

describe('startReconciler', () => {
  it('runs once at start in the background and applies the result to the engine', async () => {
    const { engine, reconciler, events } = setup();
    expect(reconciler.last()).toBeNull(); // started, not awaited: nobody waits for the list
    const report = await reconciler.first;
    expect(report).toMatchObject({ ok: true, baseUrl: BASE, liveFree: 2, pinned: false });
    expect(report.lastOkAtMs).toBe(report.atMs);
    expect(engine.rotationOrder).toEqual([X, Y]);
    expect(engine.unavailability(A)?.reason).toBe('retired');
    expect(engine.profile(X)).toMatchObject({ contextLength: 65_536, tools: false });
    expect(events.map((e) => e.type)).toEqual([
      'order_changed',
      'rotation',
      'model_retired',
      'model_retired',
    ]);
    expect(events[1]).toMatchObject({ from: A, to: X, reason: 'order changed' });
    expect(reconciler.last()).toBe(report);
    reconciler.stop();
  });

  it('logs every change with its reason, and a summary', async () => {
    const { reconciler, lines } = setup();
    await reconciler.first;
    const retired = lines.filter((l) => l.event === 'model_retired');
    expect(retired.map((l) => l.model)).toEqual([A, B]);
    expect(String(retired[0]!.reason)).toContain(`no longer listed as a free model on ${BASE}`);
    expect(lines.find((l) => l.event === 'order_changed')).toMatchObject({ added: [X, Y], removed: [A, B] });
    expect(lines.at(-1)).toMatchObject({
      msg: 'rotation reconciled with the live model list',
      retired: 2,
      added: 2,
    });
    reconciler.stop();
  });

  it('also logs a retirement by a 404 in traffic', async () => {
    const { engine, reconciler, lines } = setup();
    await reconciler.first;
    engine.recordFailure(X, { kind: 'model_not_found', message: `No endpoints found for ${X}.` });
    expect(lines.at(-1)).toMatchObject({
      event: 'model_retired',
      model: X,
      reason: `No endpoints found for ${X}.`,
    });
    reconciler.stop();
  });

  it('when the list cannot be fetched, keeps the rotation, reports ok: false and warns', async () => {
    const { engine, reconciler, lines } = setup({
      fetchModels: () => Promise.reject(new Error('GET http://list.test/api/v1/models failed: ECONNREFUSED')),
    });
    const report = await reconciler.first;
    expect(report).toMatchObject({ ok: false, liveFree: 0, lastOkAtMs: null, changes: [] });
    expect(report.error).toContain('ECONNREFUSED');
    expect(engine.rotationOrder).toEqual([A, B]);
    expect(engine.currentModel()).toBe(A);
    expect(lines.at(-1)).toMatchObject({ level: 40, error: report.error });
    reconciler.stop();
  });

  it('gives up on a list that does not come within timeoutMs', async () => {
    const { reconciler } = setup({ timeoutMs: 5, fetchModels: () => new Promise<never>(() => {}) });
    const report = await reconciler.first;
    expect(report).toMatchObject({ ok: false, error: 'no model list within 5 ms' });
    reconciler.stop();
  });

  it('an empty list is treated as a failure, not as every model gone', async () => {
    const { engine, reconciler } = setup({ lists: [[]] });
    const report = await reconciler.first;
    expect(report.ok).toBe(false);
    expect(report.error).toContain('no free chat models');
    expect(engine.unavailability(A)).toBeUndefined();
    reconciler.stop();
  });

  it('checks again every interval: a model listed again is restored, one gone is retired', async () => {
    const { engine, reconciler, tick, fetches } = setup({
      lists: [
        [free(X), free(Y)],
        [free(A), free(X)],
      ],
    });
    await reconciler.first;
    tick();
    const second = await reconciler.reconcileNow(); // joins the run the timer started
    expect(fetches()).toBe(2);
    expect(second.changes.map((c) => `${c.type}${'model' in c ? ` ${c.model}` : ''}`)).toEqual([
      `retired ${Y}`,
      `restored ${A}`,
      `added ${A}`,
      'order',
    ]);
    expect(engine.rotationOrder).toEqual([X, A]);
    expect(engine.unavailability(A)).toBeUndefined();
    expect(engine.unavailability(Y)?.reason).toBe('retired');
    reconciler.stop();
  });

  it('a failed check after a good one keeps the last good count and time', async () => {
    let call = 0;
    const { reconciler } = setup({
      fetchModels: async () => {
        if (call++ === 0) return [free(X)];
        throw new Error('HTTP 502');
      },
    });
    const good = await reconciler.first;
    const bad = await reconciler.reconcileNow();
    expect(bad).toMatchObject({ ok: false, liveFree: 1, lastOkAtMs: good.atMs, error: 'HTTP 502' });
    reconciler.stop();
  });

  it('with a pinned order, retires what is gone and adds nothing', async () => {
    const { engine, reconciler, events } = setup({ pinned: true, lists: [[free(B), free(X)]] });
    const report = await reconciler.first;
    expect(report.changes.map((c) => c.type)).toEqual(['retired']);
    expect(engine.rotationOrder).toEqual([A, B]);
    expect(engine.currentModel()).toBe(B);
    expect(events.some((e) => e.type === 'order_changed')).toBe(false);
    reconciler.stop();
  });

  it('stop() cancels the timer and aborts a fetch in progress', async () => {
    let aborted = false;
    const { reconciler, hasTimer } = setup({
      fetchModels: (signal) =>
        new Promise<never>((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(signal.reason);
          });
        }),
    });
    expect(hasTimer()).toBe(true);
    reconciler.stop();
    const report = await reconciler.first;
    expect(aborted).toBe(true);
    expect(report.ok).toBe(false);
    expect(hasTimer()).toBe(false);
  });

  it('intervalMs 0 checks only at start', async () => {
    const { reconciler, hasTimer } = setup({ intervalMs: 0 });
    await reconciler.first;
    expect(hasTimer()).toBe(false);
    reconciler.stop();
  });
});

describe('runPeriodically', () => {
  it('runs at once, joins a run in progress, runs again once it is done, and on each tick', async () => {
    const releases: Array<(n: number) => void> = [];
    const run = () => new Promise<number>((resolve) => releases.push(resolve));
    let tick: () => void = () => {};
    let cancelled = false;
    const periodic = runPeriodically(run, 1000, (ms, onTick) => {
      expect(ms).toBe(1000);
      tick = onTick;
      return () => {
        cancelled = true;
      };
    });
    expect(releases).toHaveLength(1);
    expect(periodic.runNow()).toBe(periodic.first);
    tick();
    expect(releases).toHaveLength(1);
    releases[0]!(7);
    expect(await periodic.first).toBe(7);
    const second = periodic.runNow();
    expect(second).not.toBe(periodic.first);
    expect(releases).toHaveLength(2);
    releases[1]!(8);
    expect(await second).toBe(8);
    periodic.cancel();
    expect(cancelled).toBe(true);
  });

  it('with no interval, runs once and sets no timer', async () => {
    let timers = 0;
    const periodic = runPeriodically(
      async () => 1,
      0,
      () => {
        timers++;
        return () => {};
      },
    );
    expect(await periodic.first).toBe(1);
    expect(timers).toBe(0);
  });
});
