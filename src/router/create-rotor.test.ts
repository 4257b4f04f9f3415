import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../errors.js';
import { createRotor, parseRotorOptions } from './create-rotor.js';
import { requestOrder } from './request-order.js';

describe('rotor options', () => {
  it('fill every default', () => {
    const o = parseRotorOptions({});
    expect(o.upstreams).toEqual([{ id: 'openrouter', baseUrl: 'https://openrouter.ai/api/v1' }]);
    expect(o).toMatchObject({ deadlineMs: 120_000, maxQueueWaitMs: 60_000, sameModelRetryDelayMs: 250 });
    expect(o.timeouts).toEqual({ connectMs: 10_000, firstTokenMs: 30_000, idleMs: 30_000 });
    expect(o.retryBudget).toEqual({
      percentOfRequests: 20,
      minRetriesPerSecond: 10,
      windowMs: 10_000,
      enabled: true,
    });
    expect(o.engine.retry.maxRetries).toBe(5);
  });

  it('errors name every bad path and echo the value', () => {
    try {
      parseRotorOptions({
        deadlineMs: -5,
        upstreams: [{ baseUrl: 'not a url' }],
        timeouts: { idleMs: 'soon' },
      } as never);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidRequestError);
      const message = (err as Error).message;
      expect(message).toMatch(/deadlineMs: .*\(got -5\)/);
      expect(message).toMatch(/upstreams\.0\.baseUrl: .*\(got "not a url"\)/);
      expect(message).toMatch(/timeouts\.idleMs: .*\(got "soon"\)/);
    }
  });

  it('never echoes an upstream key in an error', () => {
    expect(() =>
      parseRotorOptions({ upstreams: [{ baseUrl: 'x', apiKey: 'sk-or-v1-secret' }] } as never),
    ).toThrowError(/upstreams\.0\.baseUrl/);
    try {
      parseRotorOptions({ upstreams: [{ baseUrl: 'https://a.b/v1', apiKey: 42 }] } as never);
    } catch (err) {
      expect((err as Error).message).not.toContain('42');
      expect((err as Error).message).toContain('upstreams.0.apiKey');
    }
  });

  it('a model naming an unknown upstream is refused', () => {
    expect(() => createRotor({ models: [{ id: 'a/b:free', upstream: 'nowhere' }] })).toThrowError(
      /unknown upstream "nowhere"/,
    );
  });

  it('defaults the rotation to the seed order and accounts models to the first upstream', async () => {
    const rotor = createRotor({ upstreams: [{ id: 'mine', baseUrl: 'http://127.0.0.1:9/v1' }] });
    expect(rotor.engine.rotationOrder).toHaveLength(12);
    expect(rotor.engine.profile(rotor.engine.rotationOrder[0]!).account).toBe('mine');
    await rotor.close();
  });
});

describe('request order', () => {
  const rotation = ['a', 'b', 'c'];
  it('auto walks the rotation; aliases too', () => {
    for (const model of ['auto', 'rotor/auto', 'openai/auto', 'openrouter/auto']) {
      expect(requestOrder({ model }, rotation)).toEqual(rotation);
    }
  });
  it('a named model goes first, then the rotation without it', () => {
    expect(requestOrder({ model: 'b' }, rotation)).toEqual(['b', 'a', 'c']);
    expect(requestOrder({ model: 'x' }, rotation)).toEqual(['x', 'a', 'b', 'c']);
  });
  it('models[] is the request’s own order, a named model first', () => {
    expect(requestOrder({ model: 'auto', models: ['c', 'a'] }, rotation)).toEqual(['c', 'a']);
    expect(requestOrder({ model: 'b', models: ['c', 'b'] }, rotation)).toEqual(['b', 'c']);
  });
});
