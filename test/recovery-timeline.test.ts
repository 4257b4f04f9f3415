/**
 * Recovery you can count on, in virtual time over the real request loop: a primary answers 503 for
 * an outage of 10 s, 45 s, 5 min, 9.5 min, 15 min or 1 h and is then healthy again, under steady
 * traffic (a request every 3 s). Every client request is answered (by the fallback during the
 * outage); traffic is back on the primary within 30 s of its recovery for outages up to the young
 * phase (10 min with the defaults), later past it; probes stay within the documented bounds
 * (README "Recovery probes"), and an account of 50 free requests a day spends at most 5 (10 %).
 *
 * The primary is a `:free` model on OpenRouter's account; the fallback is a paid model, so the
 * account's free quota counts only what the primary is sent (its traffic, its failures, its probes).
 * Expected bounds are worked out by hand from the defaults: open 20 s ± 20 % (16–24 s) while the
 * outage is younger than 10 min, then 40 s, 80 s, … doubling to 10 min (± 20 %).
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/engine/clock.js';
import type { EngineEvent } from '../src/engine/engine-events.js';
import { seededRandom } from '../src/engine/random.js';
import { createRotor } from '../src/router/create-rotor.js';
import { VirtualTransport } from '../src/sim/virtual-transport.js';
import { drive } from './virtual-time.js';

const PRIMARY = 'meta-llama/llama-3.3-70b-instruct:free';
const FALLBACK = 'p/paid-fallback';
const hello = { model: 'auto', messages: [{ role: 'user', content: 'hi' }] };
const SECOND = 1000;
const MINUTE = 60 * SECOND;
/** The outage starts after 30 s of healthy traffic. */
const OUTAGE_FROM_MS = 30 * SECOND;
/** A request every 3 s ("steady traffic, a request every few seconds"). */
const GAP_MS = 3 * SECOND;

interface Timeline {
  /** Recovery → first answer from the primary, ms; undefined if it never came back in the run. */
  backAfterMs: number | undefined;
  /** Times (ms since t = 0) of the primary's attempts from its first breaker opening until it was back. */
  probesMs: number[];
  /** Client requests that failed. */
  failed: number;
  events: EngineEvent[];
  /** Free requests the account spent (the primary's attempts that reached it). */
  freeUsed: number;
}

/** Run the real loop in virtual time: outage of `outageMs`, then `afterMs` more of traffic. */
async function runOutage(
  outageMs: number,
  options: { perDay?: 50 | 1000; afterMs?: number; seed?: number } = {},
) {
  const perDay = options.perDay ?? 1000;
  // 08:00 UTC: a day long enough for every run.
  const clock = new ManualClock(Date.UTC(2026, 7, 14, 8));
  const toMs = OUTAGE_FROM_MS + outageMs;
  const transport = new VirtualTransport({
    clock,
    models: [
      { id: PRIMARY, ttftMs: 300, tokensPerSecond: 200 },
      { id: FALLBACK, ttftMs: 300, tokensPerSecond: 200, free: false },
    ],
    faults: [{ kind: 'server_error', status: 503, model: PRIMARY, fromMs: OUTAGE_FROM_MS, toMs }],
    account: { hasCredits: perDay === 1000, perMinute: 1000 },
    completionTokens: 10,
  });
  const rotor = createRotor(
    {
      upstreams: [{ id: 'openrouter', baseUrl: 'http://virtual.invalid/api/v1', apiKey: 'sk-virtual' }],
      rotation: [PRIMARY, FALLBACK],
      // The daily limit as the gateway learns it from GET /key; no per-minute pacing in the way.
      engine: { quota: { freeRequestsPerMinute: 0, freeRequestsPerDay: perDay } },
    },
    { clock, random: seededRandom(options.seed ?? 7), transport },
  );
  const events: EngineEvent[] = [];
  rotor.engine.subscribe((e) => events.push(e));
  const endMs = toMs + (options.afterMs ?? 2 * MINUTE);
  let failed = 0;
  const traffic = (async () => {
    const requests: Promise<unknown>[] = [];
    for (let t = 0; t < endMs; t += GAP_MS) {
      requests.push(
        rotor.chat(hello).catch(() => {
          failed++;
        }),
      );
      await clock.sleep(GAP_MS);
    }
    await Promise.all(requests);
  })();
  await drive(clock, traffic);
  await rotor.close();

  const origin = transport.originMs;
  const attempts = transport.attempts();
  const back = attempts.find((a) => a.model === PRIMARY && a.outcome === 'ok' && a.timeMs >= toMs);
  const firstOpen = events.find((e) => e.type === 'breaker_opened');
  const openedAt = firstOpen ? firstOpen.atMs - origin : Number.POSITIVE_INFINITY;
  const probesMs = attempts
    .filter((a) => a.model === PRIMARY && a.timeMs > openedAt && (!back || a.timeMs <= back.timeMs))
    .map((a) => a.timeMs);
  const timeline: Timeline = {
    backAfterMs: back ? back.timeMs - toMs : undefined,
    probesMs,
    failed,
    events,
    freeUsed: attempts.filter((a) => a.model === PRIMARY && a.countedAgainstQuota).length,
  };
  return timeline;
}

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

describe('recovery to the primary under steady traffic (1000 free requests a day)', () => {
  // Worst case while young: a probe fails just after the recovery; the next opening lasts ≤ 24 s,
  // the 503 took 0.25 s, and the next request comes within 3 s: ≤ 27.25 s < 30 s.
  for (const [name, outageMs, maxProbes] of [
    // Opens at ~9 s into the outage (5 failures: 2 per request with the same-model retry, cooldowns of
    // 1 s and 2 s between), then one probe per 16–24 s (+ up to one traffic gap).
    ['10 s', 10 * SECOND, 1],
    ['45 s', 45 * SECOND, 3],
    ['5 min', 5 * MINUTE, Math.ceil((5 * MINUTE) / (16 * SECOND))],
    ['9.5 min', 9.5 * MINUTE, Math.ceil((9.5 * MINUTE) / (16 * SECOND))],
  ] as const) {
    it(`a ${name} outage: back on the primary within 30 s of its recovery, ≤ ${maxProbes} probes, no request failed (5 seeds)`, async () => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const t = await runOutage(outageMs, { seed });
        expect(t.failed).toBe(0);
        expect(t.backAfterMs).toBeDefined();
        expect(t.backAfterMs!).toBeLessThanOrEqual(30 * SECOND);
        expect(t.probesMs.length).toBeLessThanOrEqual(maxProbes);
        // While young, probes come every 16–27.25 s: never a gap that could hide a recovery for 30 s.
        for (const gap of gaps(t.probesMs)) expect(gap).toBeLessThanOrEqual(27_250);
      }
    });
  }

  it('a 15 min outage (past the young phase): probes stretch (40 s, 80 s, …), so the return may take longer, but comes', async () => {
    const t = await runOutage(15 * MINUTE, { afterMs: 10 * MINUTE });
    expect(t.failed).toBe(0);
    // Past 10 min the open times are 40 s, 80 s, 160 s, 320 s (± 20 %): the last gap before the
    // recovery is ≥ 0.8 × 160 s, and the return is within one 320 s opening (+ 20 %, + a traffic gap).
    const g = gaps(t.probesMs);
    expect(Math.max(...g)).toBeGreaterThan(30 * SECOND);
    expect(t.backAfterMs).toBeDefined();
    expect(t.backAfterMs!).toBeLessThanOrEqual(384 * SECOND + GAP_MS + 250);
    // ≤ 38 in the young phase (600 s / 16 s, + 1), ≤ 4 after it (32 s, 64 s, 128 s, 256 s at the least).
    expect(t.probesMs.length).toBeLessThanOrEqual(38 + 4);
  });

  it('a 1 h outage: back within one 10 min opening (+ 20 %), ≤ 47 probes in the hour, < 10 % of the day', async () => {
    const t = await runOutage(60 * MINUTE, { afterMs: 15 * MINUTE });
    expect(t.failed).toBe(0);
    expect(t.backAfterMs).toBeDefined();
    expect(t.backAfterMs!).toBeLessThanOrEqual(720 * SECOND + GAP_MS + 250);
    // Young phase: ≤ 38. After it, openings last at least 32 s, 64 s, 128 s, 256 s, 480 s, 480 s …:
    // within the remaining 50 min at most 9 more.
    expect(t.probesMs.length).toBeLessThanOrEqual(38 + 9);
    expect(t.probesMs.length).toBeLessThan(100);
    expect(t.events.some((e) => e.type === 'probe_budget_spent')).toBe(false);
  });

  it('a model that stays dead for 4 h: 4 to 8 probes in each hour after the first', async () => {
    const t = await runOutage(4 * 60 * MINUTE, { afterMs: 0 });
    const inHour = (h: number) =>
      t.probesMs.filter(
        (ms) => ms >= OUTAGE_FROM_MS + h * 60 * MINUTE && ms < OUTAGE_FROM_MS + (h + 1) * 60 * MINUTE,
      ).length;
    // Openings of 10 min ± 20 % (480–720 s, + ≤ 3.25 s to the next request): at most 8 and at
    // least 4 probes start in each hour — it is still watched, not given up.
    for (const hour of [1, 2, 3]) {
      expect(inHour(hour)).toBeLessThanOrEqual(8);
      expect(inHour(hour)).toBeGreaterThanOrEqual(4);
    }
    // The account's budget (100 of 1000) is not what bounds it here.
    expect(t.probesMs.length).toBeLessThan(100);
    expect(t.failed).toBe(0);
  }, 30_000);
});

describe('an account of 50 free requests a day: probes take at most 5 (10 %)', () => {
  it('a 45 s outage: two probes or so, back within 30 s', async () => {
    const t = await runOutage(45 * SECOND, { perDay: 50, afterMs: 30 * SECOND });
    expect(t.failed).toBe(0);
    expect(t.backAfterMs!).toBeLessThanOrEqual(30 * SECOND);
    expect(t.probesMs.length).toBeLessThanOrEqual(5);
  });

  it('a 5 min outage: exactly 5 probes, then the budget is spent, said so, and the fallback serves', async () => {
    const t = await runOutage(5 * MINUTE, { perDay: 50, afterMs: 5 * MINUTE });
    expect(t.failed).toBe(0);
    expect(t.probesMs).toHaveLength(5);
    expect(t.backAfterMs).toBeUndefined(); // not until the budget renews at 00:00 UTC
    const spent = t.events.filter((e) => e.type === 'probe_budget_spent');
    expect(spent).toEqual([expect.objectContaining({ spent: 5, budget: 5, untilMs: Date.UTC(2026, 7, 15) })]);
  });

  it('a 1 h outage: still 5 probes — 10 % of the day', async () => {
    const t = await runOutage(60 * MINUTE, { perDay: 50, afterMs: 0 });
    expect(t.failed).toBe(0);
    expect(t.probesMs.length).toBeLessThanOrEqual(5);
    expect(t.probesMs.length / 50).toBeLessThanOrEqual(0.1);
  });
});
