/**
 * The gateway's Prometheus metrics (prom-client, one registry per gateway so several can live in
 * one process). Counters are fed from each request's attempt records and from engine events, so
 * they match what was sent upstream exactly; gauges are read from the engine at scrape time.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineEvent } from '../engine/engine-events.js';
import type {
  MetricsSnapshot,
  ModelMetricsSnapshot,
  PacedQuotaSnapshot,
} from '../engine/metrics-snapshot.js';
import type { RetryBudgetStatus } from '../engine/retry-budget.js';
import type { RotationEngine } from '../engine/rotation-engine.js';
import type { AttemptRecord } from '../errors.js';
import type { RotorStatus } from '../router/create-rotor.js';

/** One provider as `/metrics` shows it (pooled gateways). */
export interface ProviderMetricsView {
  id: string;
  name: string;
  /** Its limits and reset rule in words. */
  rule: string;
  /** Its rotation models. */
  models: readonly Pick<ModelMetricsSnapshot, 'available' | 'retired'>[];
  /** The latest model-list check: ok, failed, or null before the first (or for OpenRouter, its own reconciler's). */
  listOk: boolean | null;
}

const LATENCY_BUCKETS_S = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120];
const BREAKER_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

export class GatewayMetrics {
  readonly registry = new Registry();
  /** The engine snapshot of the scrape in progress. */
  private scrape: MetricsSnapshot | undefined;
  private readonly requests: Counter<'outcome' | 'status' | 'route'>;
  private readonly requestDuration: Histogram<'stream' | 'route'>;
  private readonly attempts: Counter<'model' | 'outcome'>;
  private readonly attemptsPerRequest: Histogram;
  private readonly attemptDuration: Histogram<'model'>;
  private readonly ttft: Histogram<'model'>;
  private readonly rotations: Counter<'to'>;
  private readonly resetsToPrimary: Counter;
  private readonly breakerTransitions: Counter<'model' | 'state'>;
  private readonly cooldowns: Counter<'model' | 'reason'>;

  constructor(
    engine: RotationEngine,
    info: {
      simulated: boolean;
      version: string;
      /** The state store: its kind, and whether it is degraded (e.g. Redis unreachable). */
      store?: { kind: string; degraded(): boolean };
      /** The retry budget, read at scrape time. */
      retryBudget?: () => RetryBudgetStatus;
      /** Pooled providers: a quota window's limit and reset rule in words (`describeLimit`). */
      describeQuota?: (quota: PacedQuotaSnapshot) => string;
      hedging?: () => RotorStatus['hedging'];
      /** Pooled gateways: the providers and their rotation models (OpenRouter's as `openrouter`), read at scrape time. */
      providers?: (snapshot: MetricsSnapshot) => ProviderMetricsView[];
    },
  ) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'rotor_requests_total',
      help: 'Client requests answered, by outcome (success, error kind), HTTP status and route (chat_completions, messages, responses).',
      labelNames: ['outcome', 'status', 'route'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'rotor_request_duration_seconds',
      help: 'Whole client request duration, including every attempt and wait.',
      labelNames: ['stream', 'route'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.attempts = new Counter({
      name: 'rotor_upstream_attempts_total',
      help: 'Upstream attempts, by model and outcome (success or failure kind).',
      labelNames: ['model', 'outcome'],
      registers,
    });
    this.attemptsPerRequest = new Histogram({
      name: 'rotor_attempts_per_request',
      help: 'Upstream attempts made for one client request.',
      buckets: [0, 1, 2, 3, 4, 5, 6, 8, 10],
      registers,
    });
    this.attemptDuration = new Histogram({
      name: 'rotor_attempt_duration_seconds',
      help: 'Duration of successful upstream attempts, per model.',
      labelNames: ['model'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.ttft = new Histogram({
      name: 'rotor_time_to_first_token_seconds',
      help: 'Time to the first content chunk of successful attempts, per model.',
      labelNames: ['model'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.rotations = new Counter({
      name: 'rotor_rotations_total',
      help: 'Times the current model (first available in the rotation) changed, by the model rotated to.',
      labelNames: ['to'],
      registers,
    });
    this.resetsToPrimary = new Counter({
      name: 'rotor_resets_to_primary_total',
      help: 'Times the current model changed back to the primary.',
      registers,
    });
    this.breakerTransitions = new Counter({
      name: 'rotor_breaker_transitions_total',
      help: 'Circuit breaker transitions, by model and new state.',
      labelNames: ['model', 'state'],
      registers,
    });
    this.cooldowns = new Counter({
      name: 'rotor_cooldowns_total',
      help: 'Cooldowns started, by model and reason.',
      labelNames: ['model', 'reason'],
      registers,
    });

    // One engine snapshot serves every gauge of a scrape (each would otherwise build its own,
    // sorting every latency window again).
    const snapshot = () => {
      this.scrape ??= engine.metrics();
      return this.scrape;
    };
    new Gauge({
      name: 'rotor_info',
      help: 'Gateway build and mode (simulated = answers come from the built-in simulator).',
      labelNames: ['version', 'simulated'],
      registers,
      collect() {
        this.reset();
        this.set({ version: info.version, simulated: String(info.simulated) }, 1);
      },
    });
    const budget = info.retryBudget;
    if (budget) {
      new Gauge({
        name: 'rotor_retry_budget_retries_left',
        help: 'Retries (same-model, or waiting after a failure) the retry budget allows now; failover never asks it.',
        registers,
        collect() {
          this.set(budget().tokens);
        },
      });
      new Gauge({
        name: 'rotor_retry_budget_refused',
        help: 'Retries the budget refused since start (it engages when the rotation as a whole is failing).',
        registers,
        collect() {
          this.set(budget().refused);
        },
      });
    }
    const hedging = info.hedging;
    if (hedging) {
      new Counter({
        name: 'rotor_hedges_total',
        help: 'Hedged attempts: started (a silent attempt raced against the next model), won (the hedge answered first), wasted (it lost or failed).',
        labelNames: ['result'],
        registers,
        collect() {
          const h = hedging();
          this.reset();
          this.inc({ result: 'started' }, h.started);
          this.inc({ result: 'won' }, h.won);
          this.inc({ result: 'wasted' }, h.wasted);
        },
      });
      new Gauge({
        name: 'rotor_model_hedge_delay_seconds',
        help: 'How long an attempt on the model may stay without content before it is hedged (learned from its time to first token).',
        labelNames: ['model'],
        registers,
        collect() {
          this.reset();
          for (const [model, ms] of Object.entries(hedging().delaysMs)) this.set({ model }, ms / 1000);
        },
      });
    }
    const store = info.store;
    if (store) {
      new Gauge({
        name: 'rotor_store_degraded',
        help: 'Whether the state store is degraded (1: e.g. Redis unreachable, serving on local state) or not (0).',
        labelNames: ['store'],
        registers,
        collect() {
          this.reset();
          this.set({ store: store.kind }, store.degraded() ? 1 : 0);
        },
      });
    }
    new Gauge({
      name: 'rotor_model_breaker_state',
      help: 'Circuit breaker state per model: 0 closed, 1 half-open, 2 open.',
      labelNames: ['model'],
      registers,
      collect() {
        this.reset();
        for (const m of snapshot().models) this.set({ model: m.model }, BREAKER_VALUE[m.breakerState]);
      },
    });
    new Gauge({
      name: 'rotor_model_available',
      help: 'Whether a plain request could be sent to the model now (1) or not (0).',
      labelNames: ['model', 'reason'],
      registers,
      collect() {
        this.reset();
        for (const m of snapshot().models) {
          this.set(
            { model: m.model, reason: m.unavailableReason?.reason ?? 'available' },
            m.available ? 1 : 0,
          );
        }
      },
    });
    new Gauge({
      name: 'rotor_model_cooldown_remaining_seconds',
      help: 'Seconds until the model’s cooldown ends (0 when not cooling), with the reason.',
      labelNames: ['model', 'reason'],
      registers,
      collect() {
        this.reset();
        const s = snapshot();
        for (const m of s.models) {
          const remaining =
            m.cooldownUntilMs === null ? 0 : Math.max(0, m.cooldownUntilMs - s.system.atMs) / 1000;
          this.set({ model: m.model, reason: m.cooldownReason ?? 'none' }, remaining);
        }
      },
    });
    new Gauge({
      name: 'rotor_model_consecutive_failures',
      help: 'Consecutive transient failures per model.',
      labelNames: ['model'],
      registers,
      collect() {
        this.reset();
        for (const m of snapshot().models) this.set({ model: m.model }, m.consecutiveFailures);
      },
    });
    new Gauge({
      name: 'rotor_model_success_ratio',
      help: 'Success ratio over the sliding window of recent attempts per model.',
      labelNames: ['model'],
      registers,
      collect() {
        this.reset();
        this.reset();
        for (const m of snapshot().models) {
          if (m.recentSuccessRate !== null) this.set({ model: m.model }, m.recentSuccessRate);
        }
      },
    });
    new Gauge({
      name: 'rotor_current_model_index',
      help: 'Index of the current model in the rotation order (-1 when none is available).',
      registers,
      collect() {
        this.set(snapshot().system.currentIndex);
      },
    });
    new Gauge({
      name: 'rotor_first_try_success_ratio',
      help: 'Share of client requests answered by their first upstream attempt.',
      registers,
      collect() {
        const rate = snapshot().system.requests.firstTrySuccessRate;
        this.reset();
        if (rate !== null) this.set(rate);
      },
    });
    new Gauge({
      name: 'rotor_account_quota',
      help: 'Free-model quota per upstream account: used, limit and remaining, per window (minute, day).',
      labelNames: ['account', 'window', 'kind'],
      registers,
      collect() {
        this.reset();
        const system = snapshot().system;
        const paced = new Set(system.quotas.map((q) => q.account));
        for (const a of system.accounts) {
          // A pooled provider's windows are `rotor_provider_quota`; its block stays below.
          if (paced.has(a.account)) continue;
          this.set({ account: a.account, window: 'minute', kind: 'used' }, a.minuteUsed);
          this.set({ account: a.account, window: 'day', kind: 'used' }, a.dayUsed);
          if (a.minuteLimit !== null)
            this.set({ account: a.account, window: 'minute', kind: 'limit' }, a.minuteLimit);
          if (a.dayLimit !== null) this.set({ account: a.account, window: 'day', kind: 'limit' }, a.dayLimit);
          if (a.minuteRemaining !== null) {
            this.set({ account: a.account, window: 'minute', kind: 'remaining' }, a.minuteRemaining);
          }
          if (a.dayRemaining !== null)
            this.set({ account: a.account, window: 'day', kind: 'remaining' }, a.dayRemaining);
        }
      },
    });
    new Gauge({
      name: 'rotor_account_probes',
      help: 'Recovery probes of the account’s free models today (UTC): spent, and the daily budget.',
      labelNames: ['account', 'kind'],
      registers,
      collect() {
        this.reset();
        for (const a of snapshot().system.accounts) {
          this.set({ account: a.account, kind: 'spent' }, a.probes.spent);
          this.set({ account: a.account, kind: 'budget' }, a.probes.budget);
        }
      },
    });
    new Gauge({
      name: 'rotor_account_blocked_until_seconds',
      help: 'Unix time until which the account’s free models are blocked (0 when not blocked).',
      labelNames: ['account'],
      registers,
      collect() {
        this.reset();
        for (const a of snapshot().system.accounts)
          this.set({ account: a.account }, (a.blockedUntilMs ?? 0) / 1000);
      },
    });
    const describeQuota = info.describeQuota ?? ((q: PacedQuotaSnapshot) => q.rule);
    new Gauge({
      name: 'rotor_provider_quota',
      help: 'Pooled providers’ quota windows, grouped by provider: used, limit and remaining per window (model "" = the whole account); `rule` is the limit and its reset in words.',
      labelNames: ['provider', 'window', 'model', 'kind', 'rule'],
      registers,
      collect() {
        this.reset();
        for (const q of snapshot().system.quotas) {
          const labels = {
            provider: q.account,
            window: q.window,
            model: q.model ?? '',
            rule: describeQuota(q),
          };
          this.set({ ...labels, kind: 'used' }, q.used);
          if (q.limit !== null) this.set({ ...labels, kind: 'limit' }, q.limit);
          if (q.remaining !== null) this.set({ ...labels, kind: 'remaining' }, q.remaining);
        }
      },
    });
    new Gauge({
      name: 'rotor_provider_quota_blocked_until_seconds',
      help: 'Unix time until which a pooled provider’s quota window has no room (a 429 or the provider’s headers said so; 0 when free).',
      labelNames: ['provider', 'window', 'model'],
      registers,
      collect() {
        this.reset();
        for (const q of snapshot().system.quotas) {
          this.set(
            { provider: q.account, window: q.window, model: q.model ?? '' },
            (q.blockedUntilMs ?? 0) / 1000,
          );
        }
      },
    });

    const providers = info.providers;
    if (providers) {
      new Gauge({
        name: 'rotor_provider_info',
        help: 'Each pooled provider (OpenRouter too when it serves), with its name and its limits and reset rule in words (`rule`); always 1.',
        labelNames: ['provider', 'name', 'rule'],
        registers,
        collect() {
          this.reset();
          for (const p of providers(snapshot())) this.set({ provider: p.id, name: p.name, rule: p.rule }, 1);
        },
      });
      new Gauge({
        name: 'rotor_provider_models',
        help: 'Rotation models per provider, by state: available (could take a plain request now), unavailable (cooling, spent, breaker open, …) or retired.',
        labelNames: ['provider', 'state'],
        registers,
        collect() {
          this.reset();
          for (const p of providers(snapshot())) {
            const count = { available: 0, unavailable: 0, retired: 0 };
            for (const m of p.models)
              count[m.retired ? 'retired' : m.available ? 'available' : 'unavailable']++;
            for (const [state, n] of Object.entries(count)) this.set({ provider: p.id, state }, n);
          }
        },
      });
      new Gauge({
        name: 'rotor_provider_model_list_ok',
        help: 'Whether the latest check of a pooled provider’s live model list succeeded (1) or failed (0); absent before its first check.',
        labelNames: ['provider'],
        registers,
        collect() {
          this.reset();
          for (const p of providers(snapshot()))
            if (p.listOk !== null) this.set({ provider: p.id }, p.listOk ? 1 : 0);
        },
      });
    }

    engine.subscribe((event) => this.onEvent(event));
  }

  /** Record one finished client request and every upstream attempt it made. */
  recordRequest(result: {
    status: number;
    outcome: string;
    durationMs: number;
    stream: boolean;
    attempts: AttemptRecord[];
    /** The protocol the client spoke; default `chat_completions`. */
    route?: string;
  }): void {
    const route = result.route ?? 'chat_completions';
    this.requests.inc({ outcome: result.outcome, status: String(result.status), route });
    this.requestDuration.observe({ stream: String(result.stream), route }, result.durationMs / 1000);
    let made = 0;
    for (const a of result.attempts) {
      // A cancelled attempt was still sent upstream: count it, so the counter matches the upstream's log.
      this.attempts.inc({ model: a.model, outcome: a.outcome });
      if (a.outcome === 'cancelled') continue;
      made++;
      if (a.outcome === 'success') {
        this.attemptDuration.observe({ model: a.model }, a.durationMs / 1000);
        if (a.ttftMs !== undefined) this.ttft.observe({ model: a.model }, a.ttftMs / 1000);
      }
    }
    this.attemptsPerRequest.observe(made);
  }

  async text(): Promise<string> {
    try {
      return await this.registry.metrics();
    } finally {
      this.scrape = undefined;
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private onEvent(event: EngineEvent): void {
    switch (event.type) {
      case 'rotation':
        if (event.to) this.rotations.inc({ to: event.to });
        break;
      case 'reset_to_primary':
        this.resetsToPrimary.inc();
        break;
      case 'breaker_opened':
        this.breakerTransitions.inc({ model: event.model, state: 'open' });
        break;
      case 'breaker_half_open':
        this.breakerTransitions.inc({ model: event.model, state: 'half_open' });
        break;
      case 'breaker_closed':
        this.breakerTransitions.inc({ model: event.model, state: 'closed' });
        break;
      case 'cooldown_started':
        this.cooldowns.inc({ model: event.model, reason: event.reason });
        break;
      default:
        break;
    }
  }
}
