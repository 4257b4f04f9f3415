/**
 * An agent's day: one coding agent's working day (about 3,000 requests over 8 hours, in bursts)
 * replayed in virtual time through
 *   rotor over OpenRouter's free models alone (a 50/day account, then a 1,000/day one);
 *   rotor over four simulated providers (OpenRouter + three free tiers, pooled as the gateway pools
 *     them: `planProviders` with each provider's key set, the shipped catalog, `auto_order`);
 *   a LiteLLM-style router over the same deployments: static rpm/tpm per deployment from each
 *     provider's documented headline limits, usage-based routing (v2) or simple-shuffle, cooldown on
 *     429, no knowledge of day windows, reset rules or quota headers (see `liteLLMStyle` below);
 *   an oracle over the same deployments: it knows what every attempt would get (`peek`) and takes
 *     the fastest pair that will answer, waiting (1 s steps) when none would. It defines "where the
 *     pooled free capacity suffices": the requests a clairvoyant router can serve.
 * The upstreams are the simulator's worlds without sockets: `VirtualTransport` (OpenRouter) behind
 * `VirtualProviderTransport` (the other providers, their limits, reset rules, headers and bodies).
 * Part of the routing section (`bench/run.mjs --only routing`); alone:
 *
 *   node bench/agent-day.mjs [--smoke]      (after `npm run build`)
 */
import { ManualClock } from '../dist/engine/clock.js';
import { seededRandom } from '../dist/engine/random.js';
import { SEED_MODELS, SEED_ROTATION_ORDER } from '../dist/engine/seed-defaults.js';
import { baseUrlEnvName } from '../dist/providers/discover-providers.js';
import { loadProviderCatalogSync } from '../dist/providers/provider-catalog-file.js';
import { createRotor } from '../dist/router/create-rotor.js';
import { planProviders } from '../dist/server/provider-plan.js';
import { estimatePromptTokens } from '../dist/sim/answer-plan.js';
import { VirtualProviderTransport } from '../dist/sim/providers/virtual-provider-transport.js';
import { defaultModels } from '../dist/sim/sim-models.js';
import { VirtualTransport } from '../dist/sim/virtual-transport.js';
import { UpstreamFailure } from '../dist/upstream/chat-transport.js';
import { quantile } from './lib/load.mjs';
import { replayInVirtualTime } from './lib/replay.mjs';

const SECOND = 1000;
const MIN = 60 * SECOND;
const HOUR = 60 * MIN;
/** 09:00 UTC on a Tuesday: every daily budget is fresh (OpenRouter's day began at 00:00 UTC, Gemini's at 07:00 UTC). */
export const DAY0 = Date.UTC(2026, 8, 15, 9);
export const DEADLINE_MS = 120_000; // the client's patience, for every router (rotor's default deadline)
const TIMEOUTS = { connectMs: 10_000, firstTokenMs: 30_000, idleMs: 30_000 };
/** Tokens in every answer: a tool call or a short edit, an agent's usual turn. */
const ANSWER_TOKENS = 200;
const OPENROUTER = { id: 'openrouter', baseUrl: 'http://virtual.invalid/api/v1', apiKey: 'sk-virtual' };
const ORDER = [...SEED_ROTATION_ORDER];
/** The three free tiers pooled with OpenRouter (why these: bench/README.md, "An agent's day"). */
export const POOLED = ['groq', 'cerebras', 'nvidia'];
/** A smaller pool (full runs only): Gemini's 540 requests a day instead of NVIDIA's 40 a minute. */
export const SMALL_POOL = ['groq', 'cerebras', 'gemini'];

// ---------------------------------------------------------------------------------------------
// The trace. Written down before any router ran; bench/README.md describes it.

/** Relative session rates per hour of the day, 09:00–17:00 (lunch at 12:00). */
const HOUR_WEIGHTS = [1.0, 1.2, 1.2, 0.4, 1.0, 1.3, 1.2, 0.9];
const SESSIONS_PER_HOUR = 15;
/**
 * The agents' habits: the share of sessions, the `max_tokens` each call carries and the model it
 * names. `auto` is what Claude Code's `claude-*` names become (rotor's alias map); 64,000 is what
 * Claude Code sends; 4,096 a common SDK default; a Codex-style client in open-model mode sends none
 * and names the gpt-oss-120b family.
 */
const CLIENTS = [
  { name: 'claude-code', share: 0.4, maxTokens: 64_000, model: 'auto' },
  { name: 'sdk-agent', share: 0.35, maxTokens: 4096, model: 'auto' },
  { name: 'codex-oss', share: 0.25, maxTokens: undefined, model: 'gpt-oss-120b' },
];
/** Share of calls after a session's first that are side calls (a title, a summary, a commit message). */
const SIDE_SHARE = 0.15;
const CONTEXT_CAP = 60_000;
const TRACE_SEED = 20260915;

const TOOLS = [
  ['read_file', 'Read a file of the workspace', { path: 'string' }],
  ['write_file', 'Write a file of the workspace', { path: 'string', content: 'string' }],
  ['edit_file', 'Replace text in a file', { path: 'string', old: 'string', new: 'string' }],
  ['run_command', 'Run a shell command in the workspace', { command: 'string' }],
  ['search_code', 'Search the workspace with a regular expression', { pattern: 'string' }],
  ['list_dir', 'List a directory', { path: 'string' }],
  ['git_diff', 'Show the working tree diff', {}],
  ['web_fetch', 'Fetch a web page as text', { url: 'string' }],
].map(([name, description, props]) => ({
  type: 'function',
  function: {
    name,
    description,
    parameters: {
      type: 'object',
      properties: Object.fromEntries(Object.entries(props).map(([k, t]) => [k, { type: t }])),
      required: Object.keys(props),
    },
  },
}));
const TOOLS_TOKENS = Math.ceil(JSON.stringify(TOOLS).length / 4);
const FILLER = 'the function returns the parsed value and the caller checks it before use; '.repeat(5000);

/**
 * The day's calls: sessions (an agent working on one task: 10–40 quick calls, 1.5 s plus an
 * exponential 4.5 s apart — the model's answer and the commands it ran) start at random in the
 * hour their weight picks; between sessions, idle gaps. A session's context starts at its base
 * (system prompt and task, log-normal around 4,000 tokens) and grows by each turn's output
 * (log-normal around 450 tokens, a long tail to 8,000), capped at 60,000 (agents compact).
 */
export function agentDayTrace({ hours = 8, seed = TRACE_SEED } = {}) {
  const random = seededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const logNormal = (median, sigma) => median * Math.exp(sigma * gaussian());
  const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, Math.round(x)));
  const weights = HOUR_WEIGHTS.slice(0, hours);
  const total = weights.reduce((s, w) => s + w, 0);
  const pick = (items, weightOf) => weightedPick(random, items, weightOf);
  const calls = [];
  const sessions = Math.round(SESSIONS_PER_HOUR * hours);
  for (let s = 0; s < sessions; s++) {
    const hour = pick(
      weights.map((w, h) => ({ h, w })),
      (x) => x.w / total,
    ).h;
    const client = pick(CLIENTS, (c) => c.share);
    const size = 10 + Math.floor(random() * 31);
    const base = clamp(logNormal(4000, 0.4), 1500, 12_000);
    let t = hour * HOUR + random() * HOUR;
    let history = 0;
    for (let step = 0; step < size; step++) {
      const side = step > 0 && random() < SIDE_SHARE;
      const call = side
        ? {
            kind: 'side',
            promptTokens: 300 + Math.floor(random() * 1200),
            maxTokens: 512,
            tools: false,
            model: 'auto',
          }
        : {
            kind: 'main',
            promptTokens: Math.min(base + history, CONTEXT_CAP),
            maxTokens: client.maxTokens,
            tools: true,
            model: client.model,
          };
      if (!side) history += clamp(logNormal(450, 1.0), 50, 8000);
      calls.push({ atMs: Math.round(t), session: s, step, client: client.name, ...call });
      t += 1500 + -Math.log(1 - random()) * 4500;
    }
  }
  return calls.sort((a, b) => a.atMs - b.atMs);
}

function weightedPick(random, items, weightOf) {
  let r = random() * items.reduce((s, x) => s + weightOf(x), 0);
  for (const item of items) {
    r -= weightOf(item);
    if (r < 0) return item;
  }
  return items.at(-1);
}

/** The request body a call sends: a system prompt, the conversation so far, tools on main calls. */
export function bodyOf(call) {
  const overhead = 8 + (call.tools ? TOOLS_TOKENS : 0); // 4 tokens per message, as the simulator counts
  const text = Math.max(2, call.promptTokens - overhead);
  const system = Math.min(1500, Math.floor(text / 2));
  return {
    model: call.model,
    messages: [
      { role: 'system', content: `You are a coding agent. ${FILLER}`.slice(0, system * 4) },
      { role: 'user', content: FILLER.slice(0, (text - system) * 4) },
    ],
    ...(call.tools ? { tools: TOOLS } : {}),
    ...(call.maxTokens === undefined ? {} : { max_tokens: call.maxTokens }),
  };
}

// ---------------------------------------------------------------------------------------------
// The worlds and the routers' configurations.

/** OpenRouter's free models as the simulator serves them (tools and context enforced). */
const OPENROUTER_MODELS = defaultModels().filter((m) => ORDER.includes(m.id));
const SEED_LATENCY = new Map(SEED_MODELS.map((m) => [m.id, m.meanLatencyMs]));

function newWorld({ providers, hasCredits }) {
  const clock = new ManualClock(DAY0);
  const openrouter = new VirtualTransport({
    clock,
    models: OPENROUTER_MODELS,
    account: { hasCredits },
    completionTokens: ANSWER_TOKENS,
    originMs: DAY0,
  });
  if (providers.length === 0) return { clock, transport: openrouter, openrouter };
  const pool = new VirtualProviderTransport({
    clock,
    providers,
    fallback: openrouter,
    completionTokens: ANSWER_TOKENS,
    originMs: DAY0,
  });
  return { clock, transport: pool, openrouter, pool };
}

/** Every upstream attempt of a world, as `{provider, model, outcome, status, window?}`. */
function attemptsOf(world) {
  const or = world.openrouter.attempts().map((a) => ({
    provider: 'openrouter',
    model: a.model,
    outcome: a.outcome,
    status: a.status,
  }));
  const pooled = (world.pool?.attempts() ?? []).map((a) => ({
    provider: a.provider,
    model: a.model,
    outcome: a.outcome,
    status: a.status,
    ...(a.window ? { window: a.window } : {}),
  }));
  return [...or, ...pooled];
}

/** rotor's options as the gateway builds them: OpenRouter from its registry, the rest from `planProviders`. */
function rotorConfig(world, providers) {
  const models = OPENROUTER_MODELS.map((m) => ({
    id: m.id,
    contextLength: m.contextLength,
    expectedLatencyMs: SEED_LATENCY.get(m.id),
    tools: m.tools,
    systemPrompt: m.systemPrompt,
  }));
  if (providers.length === 0) return { upstreams: [OPENROUTER], models, rotation: ORDER };
  const shipped = loadProviderCatalogSync();
  const env = {};
  for (const id of providers) {
    const provider = shipped.providers.find((p) => p.id === id);
    env[provider.key_env[0]] = `sk-sim-${id}`;
    env[baseUrlEnvName(id)] = world.pool.baseUrl(id);
  }
  const plan = planProviders(shipped, undefined, env, true);
  return {
    upstreams: [OPENROUTER, ...plan.upstreams],
    models: [...models, ...plan.models],
    rotation: plan.rotation(ORDER),
    catalog: plan.catalog,
  };
}

/** The (provider, upstream model) of a rotation entry: `groq:openai/gpt-oss-20b`, or an OpenRouter id. */
function pairOf(id, providers) {
  const i = id.indexOf(':');
  const prefix = i > 0 ? id.slice(0, i) : '';
  return providers.includes(prefix)
    ? { id, provider: prefix, model: id.slice(i + 1) }
    : { id, provider: 'openrouter', model: id };
}

// ---------------------------------------------------------------------------------------------
// Replay in virtual time.

function replay(clock, trace, handle) {
  return replayInVirtualTime(
    clock,
    trace.map((call) => DAY0 + call.atMs),
    DEADLINE_MS,
    {
      handle: (i, { arrivedMs, deadlineAt }) => handle({ call: trace[i], arrivedMs, deadlineAt }),
      settle: (r, { arrivedMs, deadlineAt }) => {
        const doneMs = clock.now();
        return r.ok && doneMs > deadlineAt
          ? { ...r, ok: false, status: 504, reason: 'deadline' }
          : { ...r, latencyMs: doneMs - arrivedMs };
      },
      crashed: (err) => ({ ok: false, status: 0, reason: `crash: ${err?.stack ?? err}` }),
    },
  );
}

/**
 * One attempt on a deployment, consumed to its end: `{ok, usage?}` or `{ok: false, status,
 * failure, retryAfterS?}` (`retryAfterS`: the answer's `Retry-After` header, as LiteLLM reads it).
 */
async function callPair(world, pair, body, deadlineAt) {
  const { clock } = world;
  let retryAfterS;
  let usage;
  const upstream =
    pair.provider === 'openrouter'
      ? OPENROUTER
      : { id: pair.provider, baseUrl: world.pool.baseUrl(pair.provider), apiKey: `sk-sim-${pair.provider}` };
  try {
    const stream = await world.transport.openStream({
      upstream,
      model: pair.model,
      body,
      timeouts: { ...TIMEOUTS, totalMs: Math.max(1, deadlineAt - clock.now()) },
      onResponse: (_status, headers) => {
        const h = headers['retry-after'];
        if (h !== undefined && Number.isFinite(Number(h))) retryAfterS = Number(h);
      },
    });
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    return { ok: true, usage };
  } catch (err) {
    if (!(err instanceof UpstreamFailure)) throw err;
    return { ok: false, status: err.failure.status ?? 0, failure: err.failure, retryAfterS };
  }
}

// ---------------------------------------------------------------------------------------------
// (a) rotor

function rotorRouter({ providers, hasCredits }) {
  return async (trace) => {
    const world = newWorld({ providers, hasCredits });
    const config = rotorConfig(world, providers);
    const rotor = createRotor(
      {
        upstreams: config.upstreams,
        models: config.models,
        rotation: config.rotation,
        timeouts: TIMEOUTS,
        deadlineMs: DEADLINE_MS,
      },
      {
        clock: world.clock,
        random: seededRandom(1),
        transport: world.transport,
        ...(config.catalog ? { providerCatalog: config.catalog } : {}),
      },
    );
    const results = await replay(world.clock, trace, async ({ call }) => {
      try {
        const answer = await rotor.chat(bodyOf(call));
        // The answer's `model` is the upstream's spelling; the attempt names the pair.
        const won = answer.rotor.attempts.find((a) => a.outcome === 'success')?.model ?? answer.rotor.model;
        return { ok: true, pair: pairOf(won, providers), waitedMs: answer.rotor.waitedMs };
      } catch (err) {
        return {
          ok: false,
          status: err?.status ?? 0,
          reason: err?.code ?? err?.name ?? 'error',
          message: err?.message,
          tried: (err?.attempts ?? []).map((a) => `${a.model} ${a.outcome}`),
          skipped: (err?.skipped ?? []).slice(0, 6),
        };
      }
    });
    return { results, attempts: attemptsOf(world), rotation: config.rotation };
  };
}

// ---------------------------------------------------------------------------------------------
// (b) a LiteLLM-style router, as LiteLLM's Router documents and implements it (docs.litellm.ai
// "Router - Load Balancing", "Retries, fallbacks and cooldowns"; litellm/router_utils/
// cooldown_handlers.py). One model group holding every deployment; each deployment's rpm/tpm
// written by hand from the provider's headline limits (the catalog's per-minute figures: what the
// provider documents). What we assumed, each time the reading most favourable to it:
//  - strategy `usage-based-routing-v2`: of the deployments not cooling down and not yet tried for
//    this request, those whose usage in the current minute leaves room (tpm + the prompt's tokens
//    ≤ tpm, rpm + 1 ≤ rpm), the lowest tpm first; none: 429 "No deployments available". Or
//    `simple-shuffle` (the default): a random deployment weighted by rpm, no limit checked.
//  - retries: `num_retries` 2 (openai's DEFAULT_MAX_RETRIES, LiteLLM's default), each on another
//    deployment; at once while other healthy deployments remain, else after 0.5 s × 2^n (or the
//    answer's Retry-After ≤ 60 s). Every failure is retried (LiteLLM gives up at once on some).
//  - cooldown: a 429 cools the deployment down at once (a group of several deployments) for the
//    answer's Retry-After, else `cooldown_time` 5 s; other failures when over half of the
//    deployment's calls this minute failed. No day windows, no reset rules, no quota headers.
//  - the tpm counted is the answer's usage (LiteLLM's success callback), the rpm every call.

const COOLDOWN_S = 5;
const NUM_RETRIES = 2;

/** A deployment's rpm/tpm from the provider's documented per-minute limits (the catalog's figures). */
function headlineLimits(catalog, pair) {
  const provider = catalog.providers.find((p) => p.id === pair.provider);
  const figure = (window) => {
    const limit = provider?.limits.find((l) => l.window === window);
    if (!limit) return undefined;
    return limit.by_model?.[pair.model] ?? limit.limit;
  };
  return { rpm: figure('requests_minute'), tpm: figure('tokens_minute') };
}

function liteLLMStyle({ providers, strategy }) {
  return async (trace) => {
    const world = newWorld({ providers, hasCredits: true });
    const { clock } = world;
    const random = seededRandom(3);
    const catalog = loadProviderCatalogSync();
    const rotation = rotorConfig(world, providers).rotation;
    const deployments = rotation.map((id) => {
      const pair = pairOf(id, providers);
      return {
        ...pair,
        ...headlineLimits(catalog, pair),
        coolUntilMs: 0,
        minute: -1,
        calls: 0,
        tokens: 0,
        fails: 0,
      };
    });
    const thisMinute = (d) => {
      const minute = Math.floor(clock.now() / MIN);
      if (d.minute !== minute) Object.assign(d, { minute, calls: 0, tokens: 0, fails: 0 });
      return d;
    };
    const pick = (candidates, promptTokens) => {
      if (strategy === 'simple-shuffle') {
        return weightedPick(random, candidates, (d) => d.rpm ?? 1);
      }
      let best;
      for (const d of candidates.map(thisMinute)) {
        if (d.tpm !== undefined && d.tokens + promptTokens > d.tpm) continue;
        if (d.rpm !== undefined && d.calls + 1 > d.rpm) continue;
        if (!best || d.tokens < best.tokens) best = d;
      }
      return best;
    };
    const results = await replay(clock, trace, async ({ call, deadlineAt }) => {
      const body = bodyOf(call);
      delete body.model;
      const promptTokens = estimatePromptTokens(body);
      const tried = new Set();
      let last = { status: 429, reason: 'no_deployments_available' };
      for (let attempt = 0; attempt <= NUM_RETRIES; attempt++) {
        const healthy = deployments.filter((d) => !tried.has(d.id) && d.coolUntilMs <= clock.now());
        const d = healthy.length > 0 ? pick(healthy, promptTokens) : undefined;
        if (d) {
          tried.add(d.id);
          thisMinute(d).calls++;
          const r = await callPair(world, d, body, deadlineAt);
          if (r.ok) {
            thisMinute(d).tokens += r.usage?.total_tokens ?? promptTokens;
            return { ok: true, pair: d };
          }
          const m = thisMinute(d);
          m.fails++;
          const retryAfterS = r.retryAfterS !== undefined && r.retryAfterS > 0 ? r.retryAfterS : undefined;
          if (r.status === 429 || (m.calls > 1 && m.fails / m.calls > 0.5))
            d.coolUntilMs = clock.now() + (retryAfterS ?? COOLDOWN_S) * SECOND;
          last = { status: r.status, reason: r.failure.kind, retryAfterS };
        } else {
          last = { status: 429, reason: 'no_deployments_available' };
        }
        if (attempt === NUM_RETRIES) break;
        const others = deployments.some((x) => !tried.has(x.id) && x.coolUntilMs <= clock.now());
        const waitMs = others
          ? 0
          : last.retryAfterS !== undefined && last.retryAfterS <= 60
            ? last.retryAfterS * SECOND
            : 500 * 2 ** attempt;
        if (clock.now() + waitMs >= deadlineAt) return { ok: false, status: 504, reason: 'deadline' };
        if (waitMs > 0) await clock.sleep(waitMs);
      }
      return { ok: false, ...last };
    });
    return { results, attempts: attemptsOf(world), rotation };
  };
}

// ---------------------------------------------------------------------------------------------
// (c) the oracle

function oracle({ providers, hasCredits, stepMs = SECOND }) {
  return async (trace) => {
    const world = newWorld({ providers, hasCredits });
    const { clock } = world;
    const rotation = rotorConfig(world, providers).rotation;
    const pairs = rotation.map((id) => pairOf(id, providers));
    const peek = (pair, body) =>
      pair.provider === 'openrouter'
        ? world.openrouter.peek(pair.model, clock.now(), body)
        : world.pool.peek(pair.provider, pair.model, body);
    // Answer latencies are fixed per pair here (no slow-first-token faults): the fastest first.
    const latency = new Map(
      pairs.map((p) => {
        const v = peek(p, { messages: [{ role: 'user', content: 'hi' }] });
        return [p.id, v.ok ? v.latencyMs : Number.POSITIVE_INFINITY];
      }),
    );
    const byLatency = [...pairs].sort((a, b) => latency.get(a.id) - latency.get(b.id));
    const results = await replay(clock, trace, async ({ call, deadlineAt }) => {
      const body = bodyOf(call);
      delete body.model;
      for (;;) {
        const pair = byLatency.find((p) => clock.now() + latency.get(p.id) <= deadlineAt && peek(p, body).ok);
        if (pair) {
          const r = await callPair(world, pair, body, deadlineAt);
          return r.ok ? { ok: true, pair } : { ok: false, status: r.status, reason: r.failure.kind };
        }
        if (clock.now() + stepMs >= deadlineAt)
          return { ok: false, status: 429, reason: 'nothing_would_answer' };
        await clock.sleep(stepMs);
      }
    });
    return { results, attempts: attemptsOf(world), rotation };
  };
}

// ---------------------------------------------------------------------------------------------

const count = (items, key) => {
  const out = {};
  for (const x of items) {
    const k = key(x);
    if (k !== undefined) out[k] = (out[k] ?? 0) + 1;
  }
  return out;
};

function metrics(name, { results, attempts }, trace) {
  const ok = results.filter((r) => r.ok);
  const latencies = ok.map((r) => r.latencyMs).sort((a, b) => a - b);
  const served = count(ok, (r) => r.pair.provider);
  const byClient = {};
  for (const c of [...CLIENTS.map((x) => x.name), 'side']) {
    const idx = trace
      .map((t, i) => [t, i])
      .filter(([t]) => (c === 'side' ? t.kind === 'side' : t.kind === 'main' && t.client === c));
    byClient[c] = { requests: idx.length, successes: idx.filter(([, i]) => results[i].ok).length };
  }
  const failed = results.map((r, i) => [r, trace[i]]).filter(([r]) => !r.ok);
  return {
    router: name,
    requests: results.length,
    successes: ok.length,
    successRate: ok.length / results.length,
    clientErrors: count(
      failed.map(([r]) => r),
      (r) => String(r.status),
    ),
    client429s: failed.filter(([r]) => r.status === 429).length,
    failures: count(
      failed.map(([r]) => r),
      (r) => r.reason,
    ),
    attempts: attempts.length,
    attemptsPerSuccess: attempts.length / (ok.length || 1),
    failedAttempts: count(
      attempts.filter((a) => a.outcome !== 'ok'),
      (a) => `${a.provider} ${a.outcome}${a.window ? ` ${a.window}` : ''}`,
    ),
    p50LatencyMs: quantile(latencies, 0.5),
    p95LatencyMs: quantile(latencies, 0.95),
    servedShare: Object.fromEntries(
      Object.entries(served)
        .sort((a, b) => b[1] - a[1])
        .map(([p, n]) => [p, n / (ok.length || 1)]),
    ),
    byClient,
    // The first failed requests, for the record of why (rotor rows carry the attempts and skips).
    failedSample: failed.slice(0, 12).map(([r, t]) => ({
      at: clockTime(t.atMs),
      call: `${t.client}/${t.kind} ${t.promptTokens} tokens${t.maxTokens ? `, max_tokens ${t.maxTokens}` : ''}`,
      status: r.status,
      reason: r.reason,
      ...(r.message ? { message: r.message.slice(0, 300) } : {}),
      ...(r.tried?.length ? { tried: r.tried } : {}),
      ...(r.skipped?.length ? { skipped: r.skipped } : {}),
    })),
  };
}

function clockTime(ms) {
  const t = new Date(DAY0 + ms);
  return t.toISOString().slice(11, 19);
}

function traceSummary(trace, hours) {
  const prompts = trace.map((c) => c.promptTokens).sort((a, b) => a - b);
  const gaps = [];
  for (let i = 1; i < trace.length; i++) gaps.push(trace[i].atMs - trace[i - 1].atMs);
  gaps.sort((a, b) => a - b);
  const perMinute = count(trace, (c) => Math.floor(c.atMs / MIN));
  const busiest = Math.max(...Object.values(perMinute));
  return {
    start: new Date(DAY0).toISOString(),
    hours,
    requests: trace.length,
    sessions: new Set(trace.map((c) => c.session)).size,
    lastArrival: clockTime(trace.at(-1).atMs),
    withTools: trace.filter((c) => c.tools).length,
    sideCalls: trace.filter((c) => c.kind === 'side').length,
    byClient: count(
      trace.filter((c) => c.kind === 'main'),
      (c) => c.client,
    ),
    promptTokens: {
      p10: quantile(prompts, 0.1),
      p50: quantile(prompts, 0.5),
      p90: quantile(prompts, 0.9),
      p99: quantile(prompts, 0.99),
      max: prompts.at(-1),
      mean: Math.round(prompts.reduce((s, x) => s + x, 0) / prompts.length),
    },
    busiestMinute: busiest,
    idleMinutes: hours * 60 - Object.keys(perMinute).filter((m) => m < hours * 60).length,
    gapP50Ms: quantile(gaps, 0.5),
  };
}

const LABEL = { groq: 'Groq', cerebras: 'Cerebras', nvidia: 'NVIDIA', gemini: 'Gemini', mistral: 'Mistral' };
const poolName = (providers) => ['OpenRouter', ...providers.map((p) => LABEL[p] ?? p)].join(' + ');

/**
 * The rows: OpenRouter alone; the pool of four (its capacity suffices: the oracle serves every
 * request); and, in a full run, a smaller pool of four whose capacity does not suffice (Gemini's
 * 540 requests a day instead of NVIDIA's 40 a minute), where the oracle's success is the bound. Its
 * oracle waits in 5 s steps: with a quarter of the day unservable, 1 s steps peek every pair for
 * every waiting request every second (minutes of wall time) for 0.07 points of success.
 */
export function agentDayRouters({ pool = POOLED, smallPool = SMALL_POOL, smoke = false } = {}) {
  const rows = [
    ['rotor, a 50/day account', 'openrouter', rotorRouter({ providers: [], hasCredits: false })],
    ['rotor, a 1,000/day account', 'openrouter', rotorRouter({ providers: [], hasCredits: true })],
    ['rotor', 'pool', rotorRouter({ providers: pool, hasCredits: true })],
    [
      'LiteLLM-style, usage-based-routing-v2',
      'pool',
      liteLLMStyle({ providers: pool, strategy: 'usage-based-routing-v2' }),
    ],
    ['LiteLLM-style, simple-shuffle', 'pool', liteLLMStyle({ providers: pool, strategy: 'simple-shuffle' })],
    ['oracle', 'pool', oracle({ providers: pool, hasCredits: true })],
  ];
  if (smoke) return rows;
  return [
    ...rows,
    ['rotor', 'small', rotorRouter({ providers: smallPool, hasCredits: true })],
    [
      'LiteLLM-style, usage-based-routing-v2',
      'small',
      liteLLMStyle({ providers: smallPool, strategy: 'usage-based-routing-v2' }),
    ],
    [
      'LiteLLM-style, simple-shuffle',
      'small',
      liteLLMStyle({ providers: smallPool, strategy: 'simple-shuffle' }),
    ],
    ['oracle (5 s steps)', 'small', oracle({ providers: smallPool, hasCredits: true, stepMs: 5000 })],
  ];
}

export async function runAgentDay({
  smoke = false,
  log = () => {},
  pool = POOLED,
  smallPool = SMALL_POOL,
  only,
} = {}) {
  const hours = smoke ? 1 : 8;
  const trace = agentDayTrace({ hours });
  const summary = traceSummary(trace, hours);
  log(`agent day: ${trace.length} requests in ${summary.sessions} sessions over ${hours} h of virtual time`);
  const rows = [];
  for (const [name, set, run] of agentDayRouters({ pool, smallPool, smoke })) {
    if (only && !only.some((o) => `${set}: ${name}`.includes(o))) continue;
    const started = Date.now();
    const row = { set, ...metrics(name, await run(trace), trace) };
    row.wallMs = Date.now() - started;
    rows.push(row);
    const share = Object.entries(row.servedShare)
      .map(([p, s]) => `${p} ${(s * 100).toFixed(1)} %`)
      .join(', ');
    log(
      `  ${`${set}: ${name}`.padEnd(52)} success ${(row.successRate * 100).toFixed(2)} %  429s ${row.client429s}  ` +
        `attempts/success ${row.attemptsPerSuccess.toFixed(3)}  p50 ${(row.p50LatencyMs / 1000).toFixed(2)} s  ` +
        `p95 ${(row.p95LatencyMs / 1000).toFixed(2)} s  [${share}]  (${row.wallMs} ms)`,
    );
  }
  return {
    scenario: {
      trace: summary,
      clients: CLIENTS.map((c) => ({ ...c, maxTokens: c.maxTokens ?? null })),
      sideShare: SIDE_SHARE,
      answerTokens: ANSWER_TOKENS,
      deadlineMs: DEADLINE_MS,
      pool: poolName(pool),
      smallPool: smoke ? null : poolName(smallPool),
      liteLLM: { numRetries: NUM_RETRIES, cooldownS: COOLDOWN_S },
    },
    rows,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const onlyArg = process.argv.find((a) => a.startsWith('--only='));
  const providersArg = process.argv.find((a) => a.startsWith('--providers='));
  const result = await runAgentDay({
    smoke: process.argv.includes('--smoke'),
    log: process.argv.includes('--json') ? console.error : console.log,
    ...(onlyArg ? { only: onlyArg.slice(7).split(',') } : {}),
    ...(providersArg ? { pool: providersArg.slice(12).split(',') } : {}),
  });
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
}
