/**
 * Recovery to the primary over real sockets: the gateway in front of rotor's OpenRouter simulator,
 * the primary answering 503 for a 45 s outage and then healthy again, under steady traffic.
 *
 * Time is scaled by 1/10 so the test takes seconds, not minutes: every duration of the schedule
 * (breaker open time, young phase, cap, forget time, the backoff of the cooldowns before it), the
 * outage and the gap between requests are all a tenth of their real value. The claim is scaled the
 * same way: the primary serves again within 3 s (30 s) of its recovery, as measured by the
 * simulator's own attempt log. Only the same-model retry pause (250 ms) and network time are not
 * scaled, and both only make the run slower, not the probe earlier. (test/recovery-timeline.test.ts
 * checks the unscaled defaults in virtual time.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ROTATION_ORDER } from '../src/engine/seed-defaults.js';
import { type GatewayFixture, gatewayWithSimulator, parsePrometheus, postJson } from './gateway-helpers.js';

const [PRIMARY, FALLBACK] = SEED_ROTATION_ORDER as [string, string];
const SCALE = 1 / 10;
const scaled = (ms: number) => Math.round(ms * SCALE);
const OUTAGE_MS = scaled(45_000);
/** A request every second, scaled: "steady traffic, a request every few seconds". */
const GAP_MS = scaled(1_000);
const hello = { model: 'auto', messages: [{ role: 'user', content: 'hello' }] };

describe('over sockets: a 45 s outage of the primary, then recovery (time × 1/10)', () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await gatewayWithSimulator({
      // No free-model limits in the way: this is about 503s.
      scenario: { account: { freeLimits: false } },
      overrides: {
        rotation: { order: [PRIMARY, FALLBACK] },
        engine: {
          // The defaults (README "Engine options"), × 1/10.
          breaker: {
            openBaseMs: scaled(20_000),
            fastProbeForMs: scaled(600_000),
            maxOpenMs: scaled(600_000),
            forgetAfterMs: scaled(600_000),
          },
          retry: { baseDelayMs: scaled(1_000), maxDelayMs: scaled(60_000) },
          quota: { freeRequestsPerMinute: 0, freeRequestsPerDay: 1000 },
        },
      },
    });
  });
  afterAll(() => f.close());

  it('serves every request from the fallback during the outage and is back on the primary within 3 s (30 s) of recovery', async () => {
    const fromMs = f.sim.elapsedMs() + scaled(5_000);
    const toMs = fromMs + OUTAGE_MS;
    f.sim.addFault({ kind: 'server_error', status: 503, model: PRIMARY, fromMs, toMs });
    const endMs = toMs + scaled(40_000);
    const statuses: number[] = [];
    const requests: Promise<void>[] = [];
    while (f.sim.elapsedMs() < endMs) {
      requests.push(
        postJson(`${f.baseURL}/chat/completions`, hello).then(async (res) => {
          statuses.push(res.status);
          await res.arrayBuffer();
        }),
      );
      await new Promise((r) => setTimeout(r, GAP_MS));
    }
    await Promise.all(requests);

    expect(statuses.every((s) => s === 200)).toBe(true);
    const attempts = f.sim.attempts();
    const onPrimary = attempts.filter((a) => a.model === PRIMARY);
    // The outage happened and the breaker kept traffic away (only probes reached the primary).
    const failed = onPrimary.filter((a) => a.timeMs >= fromMs && a.timeMs < toMs);
    expect(failed.length).toBeGreaterThanOrEqual(5);
    expect(failed.length).toBeLessThanOrEqual(12);
    expect(attempts.some((a) => a.model === FALLBACK && a.timeMs >= fromMs && a.timeMs < toMs)).toBe(true);
    const back = onPrimary.find((a) => a.outcome === 'ok' && a.timeMs >= toMs);
    expect(back).toBeDefined();
    expect(back!.timeMs - toMs).toBeLessThanOrEqual(scaled(30_000));
    const status = (await (await fetch(`${f.baseURL}/rotor/status`)).json()) as {
      models: Array<{ model: string; breakerState: string; probesToday: number }>;
    };
    const primary = status.models.find((m) => m.model === PRIMARY)!;
    expect(primary.breakerState).toBe('closed');
    expect(primary.probesToday).toBeGreaterThanOrEqual(1);
    const samples = parsePrometheus(await (await fetch(`${f.gateway.url}/metrics`)).text());
    const probes = (kind: string) =>
      samples.find((s) => s.name === 'rotor_account_probes' && s.labels.kind === kind)?.value;
    expect(probes('spent')).toBe(primary.probesToday);
    expect(probes('budget')).toBe(100); // 10 % of 1000
  }, 20_000);
});
