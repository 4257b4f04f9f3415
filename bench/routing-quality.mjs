/**
 * Routing quality: one simulated day in virtual time, the same request trace replayed through four
 * routers over the same in-process upstream (`VirtualTransport`, the simulator's world without
 * sockets):
 *   (a) rotor — `createRotor()` with a `ManualClock`, default options;
 *   (b) the seed's algorithm as written — one global index, rotate on 429, sleep the backoff;
 *   (c) a Portkey-style fallback list — try each target in order, retry on 429/5xx, no memory;
 *   (d) an oracle — knows what every attempt would get, picks the fastest model that will answer.
 *
 *   node bench/routing-quality.mjs [--smoke]      (after `npm run build`)
 */
import { ManualClock } from '../dist/engine/clock.js';
import { seededRandom } from '../dist/engine/random.js';
import { SEED_ROTATION_ORDER } from '../dist/engine/seed-defaults.js';
import { createRotor } from '../dist/router/create-rotor.js';
import { defaultModels } from '../dist/sim/sim-models.js';
import { VirtualTransport } from '../dist/sim/virtual-transport.js';
import { UpstreamFailure } from '../dist/upstream/chat-transport.js';
import { quantile } from './lib/load.mjs';
import { replayInVirtualTime } from './lib/replay.mjs';

export const MIN = 60_000;
const HOUR = 60 * MIN;
export const DAY0 = Date.UTC(2026, 7, 14); // 00:00 UTC: the account's daily window starts with the day
export const ORDER = [...SEED_ROTATION_ORDER];
const [M1, M2, M3, M4] = ORDER;
export const DEADLINE_MS = 120_000; // the client's patience, for every router (rotor's default deadline)
export const UPSTREAM = { id: 'openrouter', baseUrl: 'http://virtual.invalid/api/v1', apiKey: 'sk-virtual' };
export const TIMEOUTS = { connectMs: 10_000, firstTokenMs: 30_000, idleMs: 30_000 };
export const REQUEST = {
  model: 'auto',
  messages: [{ role: 'user', content: 'Summarise the last commit.' }],
};

/**
 * The day. Chosen before any router was run, to contain each thing the issue names once or twice,
 * at plausible sizes; the volume (about 900 requests against the 1000/day of an account with
 * credits) is set so that the daily limit binds for a router that wastes more than ~10 % of its
 * attempts — which is what "each failed attempt burns free quota" means in practice.
 */
export function dayScenario({ hours = 24 } = {}) {
  const at = (h, m = 0) => h * HOUR + m * MIN;
  const seedModels = defaultModels().filter((m) => ORDER.includes(m.id));
  const models = seedModels.map((m) => {
    if (m.id === M1) return { ...m, limitRpm: 8 }; // OpenRouter's own cap on a popular model
    if (m.id === M3) return { ...m, limitRpd: 150 };
    if (m.id === M4) return { ...m, limitRpm: 10 };
    return m;
  });
  const faults = [
    // 429 bursts from the providers' pools
    {
      kind: 'upstream_rate_limit',
      model: M1,
      fromMs: at(9),
      toMs: at(9, 15),
      probability: 0.8,
      retryAfterSeconds: 30,
    },
    {
      kind: 'upstream_rate_limit',
      model: M2,
      fromMs: at(10, 30),
      toMs: at(10, 45),
      probability: 0.9,
      retryAfterSeconds: 20,
    },
    { kind: 'upstream_rate_limit', model: M1, fromMs: at(16), toMs: at(16, 20), probability: 0.5 },
    { kind: 'rate_limited', model: M4, fromMs: at(18), toMs: at(18, 30), probability: 0.3 },
    // the primary's outage, and a short one of the first fallback inside it
    { kind: 'server_error', model: M1, fromMs: at(13), toMs: at(13, 45), status: 503 },
    { kind: 'server_error', model: M2, fromMs: at(13, 20), toMs: at(13, 30), status: 502 },
  ].filter((f) => f.fromMs < hours * HOUR);
  // Background traffic per hour of day, and bursts of 30 requests within a minute (agent runs).
  const perHour = [5, 5, 5, 5, 5, 5, 5, 30, 30, 50, 50, 50, 50, 50, 50, 50, 50, 50, 25, 25, 25, 25, 25, 5];
  const bursts = [at(9, 5), at(10, 35), at(11, 50), at(13, 10), at(13, 50), at(15), at(16, 5), at(17, 30)];
  return {
    models,
    faults,
    account: { hasCredits: true, perMinute: 20 },
    perHour: perHour.slice(0, hours),
    bursts: bursts.filter((b) => b < hours * HOUR),
    burstSize: 30,
    hours,
    primaryRecoveryMs: at(13, 45),
    seed: 20260814,
  };
}

/** Arrival times (ms since 00:00) of the day's requests: Poisson background plus bursts. */
export function makeTrace(scenario) {
  const random = seededRandom(scenario.seed);
  const times = [];
  scenario.perHour.forEach((rate, hour) => {
    let t = hour * HOUR;
    for (;;) {
      t += (-Math.log(1 - random()) / rate) * HOUR;
      if (t >= (hour + 1) * HOUR) break;
      times.push(Math.round(t));
    }
  });
  for (const start of scenario.bursts) {
    for (let i = 0; i < scenario.burstSize; i++) times.push(start + Math.round(random() * MIN));
  }
  return times.sort((a, b) => a - b);
}

export function newWorld(scenario) {
  const clock = new ManualClock(DAY0);
  const transport = new VirtualTransport({
    clock,
    models: scenario.models,
    faults: scenario.faults,
    account: scenario.account,
    seed: scenario.seed,
    originMs: DAY0,
  });
  return { clock, transport };
}

/**
 * Replay `trace` (ms since DAY0) through `handle(request)` in virtual time; resolves when all are
 * done. `handle` resolves to `{ ok, model?, reason?, firstContentMs? }` (`firstContentMs`: the clock
 * time the client saw the first content).
 */
export function replay(clock, trace, handle) {
  return replayInVirtualTime(
    clock,
    trace.map((atMs) => DAY0 + atMs),
    DEADLINE_MS,
    {
      handle: (_i, arrival) => handle(arrival),
      settle: (r, { arrivedMs, deadlineAt }) => finish(r, arrivedMs, deadlineAt, clock),
      crashed: (err) => ({ ok: false, reason: `crash: ${err?.message ?? err}` }),
    },
  );
}

function finish(r, arrivedMs, deadlineAt, clock) {
  const doneMs = clock.now();
  if (r.ok && doneMs > deadlineAt) return { ok: false, reason: 'deadline', model: r.model };
  const ttft = r.ok && r.firstContentMs !== undefined ? { ttftMs: r.firstContentMs - arrivedMs } : {};
  return { ...r, latencyMs: doneMs - arrivedMs, ...ttft };
}

/**
 * One attempt through the transport, consumed to the end; `{ ok, model, firstContentMs }` or
 * `{ ok: false, status, failure }`. A streaming client would see the first content at `firstContentMs`.
 */
export async function call(transport, model, clock, deadlineAt) {
  try {
    const stream = await transport.openStream({
      upstream: UPSTREAM,
      model,
      body: { messages: REQUEST.messages },
      timeouts: { ...TIMEOUTS, totalMs: Math.max(1, deadlineAt - clock.now()) },
    });
    let firstContentMs;
    for await (const chunk of stream) {
      // a non-streaming client waits for the whole answer; a streaming one sees the first content
      if (firstContentMs === undefined && chunk.choices?.[0]?.delta?.content) firstContentMs = clock.now();
    }
    return { ok: true, model, firstContentMs };
  } catch (err) {
    if (!(err instanceof UpstreamFailure)) throw err;
    return { ok: false, status: err.failure.status ?? 0, failure: err.failure };
  }
}

// ---------------------------------------------------------------------------------------------
// (a) rotor

async function runRotor(scenario, trace) {
  const { clock, transport } = newWorld(scenario);
  const rotor = createRotor(
    { upstreams: [UPSTREAM], rotation: ORDER, timeouts: TIMEOUTS, deadlineMs: DEADLINE_MS },
    { clock, random: seededRandom(1), transport },
  );
  const results = await replay(clock, trace, async () => {
    try {
      const answer = await rotor.chat(REQUEST);
      return { ok: true, model: answer.rotor.model };
    } catch (err) {
      return { ok: false, reason: err?.code ?? err?.name ?? 'error' };
    }
  });
  return { results, transport };
}

// ---------------------------------------------------------------------------------------------
// (b) the seed's algorithm, as its write-up describes it (see docs/design.md): one global "current model
// index" moved by failures; on a 429 rotate to the next model and sleep the backoff (1, 2, 4, 8,
// 16 s, x2, capped at 60 s, jitter ±20 %), at most 5 retries; 3 consecutive failures of another
// kind also rotate ("max_consecutive_failures=3"). Where the text is silent we chose the reading
// most favourable to it, and say so:
//  - "After rate limit resolves: reset to primary" has no trigger in the text; we reset the index
//    to the primary once the backoff slept at the rotation has passed (its own estimate of
//    "resolved").
//  - Its circuit breaker ("after 5 consecutive failures: stop attempting requests temporarily")
//    gives no duration. The main row leaves it out; the variant `breakerMs` fails requests that
//    arrive while it is open for that long (60 s, the retry policy's maxDelay).

export function runSeed({ breakerMs = 0 } = {}) {
  return async (scenario, trace) => {
    const { clock, transport } = newWorld(scenario);
    const random = seededRandom(2);
    const n = ORDER.length;
    const state = { index: 0, consecutive: 0, resetAtMs: 0, breakerUntilMs: 0 };
    const backoffMs = (retry) => Math.min(60_000, 1000 * 2 ** retry) * (0.8 + 0.4 * random());
    const results = await replay(clock, trace, async ({ deadlineAt }) => {
      if (clock.now() < state.breakerUntilMs) return { ok: false, reason: 'breaker_open' };
      for (let retry = 0; ; retry++) {
        if (state.index !== 0 && clock.now() >= state.resetAtMs) state.index = 0;
        const r = await call(transport, ORDER[state.index], clock, deadlineAt);
        if (r.ok) {
          state.consecutive = 0;
          return r;
        }
        state.consecutive++;
        const delay = backoffMs(retry);
        if (r.status === 429 || state.consecutive % 3 === 0) {
          state.index = (state.index + 1) % n;
          state.resetAtMs = clock.now() + delay;
        }
        if (breakerMs > 0 && state.consecutive >= 5) state.breakerUntilMs = clock.now() + breakerMs;
        if (retry >= 5) return { ok: false, reason: 'retries_exhausted' };
        if (clock.now() + delay >= deadlineAt) return { ok: false, reason: 'deadline' };
        await clock.sleep(delay);
      }
    });
    return { results, transport };
  };
}

// ---------------------------------------------------------------------------------------------
// (c) Portkey-style fallback: `{"strategy":{"mode":"fallback"},"targets":[12 models]}` with
// `"retry":{"attempts":1,"on_status_codes":[429,500,502,503,504]}` on each target. Portkey's retry
// waits like async-retry's defaults (1 s, then ×2, no jitter); it does not honour Retry-After here
// (that needs its postinstall patch, which the npm package cannot apply — see bench/README.md).
// Every request starts again at the first target: no health is remembered between requests.

const PORTKEY_RETRY_ON = new Set([429, 500, 502, 503, 504]);
const PORTKEY_RETRIES = 1;

async function runPortkeyStyle(scenario, trace) {
  const { clock, transport } = newWorld(scenario);
  const results = await replay(clock, trace, async ({ deadlineAt }) => {
    for (const model of ORDER) {
      for (let retry = 0; ; retry++) {
        if (clock.now() >= deadlineAt) return { ok: false, reason: 'deadline' };
        const r = await call(transport, model, clock, deadlineAt);
        if (r.ok) return r;
        if (!PORTKEY_RETRY_ON.has(r.status) || retry >= PORTKEY_RETRIES) break;
        const delay = 1000 * 2 ** retry;
        if (clock.now() + delay >= deadlineAt) return { ok: false, reason: 'deadline' };
        await clock.sleep(delay);
      }
    }
    return { ok: false, reason: 'all_targets_failed' };
  });
  return { results, transport };
}

// ---------------------------------------------------------------------------------------------
// (d) the oracle: at each instant it knows what an attempt on each model would get (`peek`), takes
// the fastest model that will answer, and if none would, waits for the earliest instant (1 s steps)
// at which one will — within the deadline. One attempt per answer; never an attempt that fails.
// Greedy per request in arrival order, so it is a clairvoyant router, not a global optimum.

async function runOracle(scenario, trace) {
  const { clock, transport } = newWorld(scenario);
  const byLatency = [...ORDER].sort((a, b) => transport.answerMs(a) - transport.answerMs(b));
  const pick = (atMs, deadlineAt) =>
    byLatency.find((m) => atMs + transport.answerMs(m) <= deadlineAt && transport.peek(m, atMs).ok);
  const results = await replay(clock, trace, async ({ deadlineAt }) => {
    for (let t = clock.now(); t < deadlineAt; t += 1000) {
      if (!pick(t, deadlineAt)) continue;
      await clock.sleep(t - clock.now());
      const model = pick(clock.now(), deadlineAt); // others may have used the quota meanwhile
      if (!model) continue;
      return call(transport, model, clock, deadlineAt);
    }
    return { ok: false, reason: 'nothing_would_answer' };
  });
  return { results, transport };
}

// ---------------------------------------------------------------------------------------------

function metrics(name, { results, transport }, scenario) {
  const attempts = transport.attempts();
  const ok = results.filter((r) => r.ok);
  const latencies = ok.map((r) => r.latencyMs).sort((a, b) => a - b);
  const mean = latencies.reduce((s, x) => s + x, 0) / (latencies.length || 1);
  const recovery = scenario.primaryRecoveryMs;
  const backOnPrimary = attempts.find(
    (a) => a.model === ORDER[0] && a.outcome === 'ok' && a.timeMs >= recovery,
  );
  const firstAfterRecovery = attempts.find((a) => a.timeMs >= recovery);
  const elsewhereBeforeReturn = backOnPrimary
    ? attempts.filter(
        (a) =>
          a.outcome === 'ok' &&
          a.model !== ORDER[0] &&
          a.timeMs >= recovery &&
          a.timeMs < backOnPrimary.timeMs,
      ).length
    : null;
  const reasons = {};
  for (const r of results) if (!r.ok) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
  const outcomes = {};
  for (const a of attempts) outcomes[a.outcome] = (outcomes[a.outcome] ?? 0) + 1;
  const onPrimary = ok.filter((r) => r.model === ORDER[0]).length;
  return {
    router: name,
    requests: results.length,
    successes: ok.length,
    successRate: ok.length / results.length,
    meanLatencyMs: mean,
    p50LatencyMs: quantile(latencies, 0.5),
    p95LatencyMs: quantile(latencies, 0.95),
    attempts: attempts.length,
    attemptsPerSuccess: attempts.length / (ok.length || 1),
    quotaAttempts: attempts.filter((a) => a.countedAgainstQuota).length,
    failedAttempts: attempts.filter((a) => a.outcome !== 'ok').length,
    servedByPrimary: onPrimary / (ok.length || 1),
    backOnPrimaryAfterRecoveryS: backOnPrimary ? (backOnPrimary.timeMs - recovery) / 1000 : null,
    firstAttemptAfterRecoveryS: firstAfterRecovery ? (firstAfterRecovery.timeMs - recovery) / 1000 : null,
    fallbackAnswersBeforeReturn: elsewhereBeforeReturn,
    failures: reasons,
    attemptOutcomes: outcomes,
  };
}

export async function runRoutingQuality({ smoke = false, log = () => {} } = {}) {
  const scenario = dayScenario(smoke ? { hours: 14 } : {});
  const trace = makeTrace(scenario);
  log(`routing: ${trace.length} requests over ${scenario.hours} h of virtual time`);
  const routers = [
    ['rotor', runRotor],
    ['seed algorithm', runSeed()],
    ['seed + breaker (60 s)', runSeed({ breakerMs: 60_000 })],
    ['Portkey-style fallback', runPortkeyStyle],
    ['oracle', runOracle],
  ];
  const rows = [];
  for (const [name, run] of routers) {
    const started = Date.now();
    const row = metrics(name, await run(scenario, trace), scenario);
    row.wallMs = Date.now() - started;
    rows.push(row);
    log(
      `  ${name.padEnd(22)} success ${(row.successRate * 100).toFixed(2)} %  p50 ${(row.p50LatencyMs / 1000).toFixed(2)} s  ` +
        `p95 ${(row.p95LatencyMs / 1000).toFixed(2)} s  attempts/success ${row.attemptsPerSuccess.toFixed(3)}  (${row.wallMs} ms)`,
    );
  }
  return {
    scenario: {
      day: new Date(DAY0).toISOString().slice(0, 10),
      hours: scenario.hours,
      requests: trace.length,
      deadlineMs: DEADLINE_MS,
      account: scenario.account,
      models: scenario.models.map((m) => ({
        id: m.id,
        ttftMs: m.ttftMs,
        tokensPerSecond: m.tokensPerSecond,
        ...(m.limitRpm ? { limitRpm: m.limitRpm } : {}),
        ...(m.limitRpd ? { limitRpd: m.limitRpd } : {}),
      })),
      faults: scenario.faults,
      bursts: scenario.bursts.map(
        (b) =>
          `${String(Math.floor(b / HOUR)).padStart(2, '0')}:${String((b % HOUR) / MIN).padStart(2, '0')}`,
      ),
      burstSize: scenario.burstSize,
      primaryRecovery: '13:45',
    },
    rows,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runRoutingQuality({ smoke: process.argv.includes('--smoke'), log: console.log });
  console.log(JSON.stringify(result.rows, null, 2));
}
