import { describe, expect, it } from 'vitest';
import { reconcileProviderPairs } from './reconcile-provider-pairs.js';

const AT = Date.UTC(2026, 7, 20, 9, 30, 0);
const URL = 'https://api.groq.com/openai/v1/models';
const CHECKED = `${URL}, checked 2026-08-20T09:30:00.000Z`;

const pair = (model: string, retired?: 'list' | 'traffic') => ({
  id: `groq:${model}`,
  upstreamId: model,
  ...(retired ? { retired } : {}),
});
const listed = (...ids: string[]) => ids.map((id) => ({ id, free: true }));

describe("one provider's pairs against its live list", () => {
  it('retires a pair whose model is gone; keeps the others; nothing is added from the list', () => {
    const result = reconcileProviderPairs({
      provider: 'groq',
      pairs: [pair('a'), pair('b')],
      listed: [...listed('a', 'whisper-large-v3'), { id: 'c', free: true, contextLength: 8192 }],
      url: URL,
      atMs: AT,
    });
    expect(result).toEqual({
      ok: true,
      retired: [{ id: 'groq:b', reason: `no longer listed by groq at ${CHECKED}` }],
      restored: [],
      profiles: [],
      retiredByList: ['groq:b'],
      changes: [{ type: 'retired', model: 'groq:b', reason: `no longer listed by groq at ${CHECKED}` }],
    });
  });

  it('restores a pair the list retired once it is listed again; a 404 retirement stays while listed', () => {
    const result = reconcileProviderPairs({
      provider: 'groq',
      pairs: [pair('a', 'list'), pair('b', 'traffic'), pair('c', 'traffic')],
      listed: [{ id: 'a', free: true, contextLength: 131072 }, ...listed('b')],
      url: URL,
      atMs: AT,
    });
    expect(result).toEqual({
      ok: true,
      retired: [],
      restored: [{ id: 'groq:a', reason: `listed again by groq at ${CHECKED}` }],
      profiles: [{ id: 'groq:a', contextLength: 131072 }],
      // c was retired by traffic and is not listed: from now on the list brings it back.
      retiredByList: ['groq:c'],
      changes: [{ type: 'restored', model: 'groq:a', reason: `listed again by groq at ${CHECKED}` }],
    });
  });

  it('a listed model that is not free by the catalog rule is retired too', () => {
    const result = reconcileProviderPairs({
      provider: 'groq',
      pairs: [pair('a'), pair('b')],
      listed: [
        { id: 'a', free: true },
        { id: 'b', free: false },
      ],
      url: URL,
      atMs: AT,
    });
    expect(result.ok && result.retired).toEqual([
      { id: 'groq:b', reason: `listed by groq but not free by its catalog rule, at ${CHECKED}` },
    ]);
  });

  it('a list naming none of the pairs (or empty) is taken as a glitch: nothing changes', () => {
    expect(
      reconcileProviderPairs({ provider: 'groq', pairs: [pair('a')], listed: [], url: URL, atMs: AT }),
    ).toEqual({ ok: false, error: `the model list from ${URL} is empty; keeping groq's pairs` });
    expect(
      reconcileProviderPairs({
        provider: 'groq',
        pairs: [pair('a'), pair('b')],
        listed: listed('x'),
        url: URL,
        atMs: AT,
      }),
    ).toEqual({
      ok: false,
      error: `the model list from ${URL} names none of groq's 2 pair(s); keeping them`,
    });
  });
});
