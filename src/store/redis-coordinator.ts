/**
 * Several gateway replicas behind one load balancer, sharing what they learn through Redis:
 *
 * - **Health facts** (a model's cooldown, an opened or closed breaker, an account block, a retired
 *   model): every local engine event of that kind is recorded in a hash and published on a
 *   channel in one atomic script; every replica applies what it receives with
 *   `engine.applyExternal` (whose events say `origin: 'remote'` and are never re-published).
 * - **Account quota**: `:free` attempts are counted per account per minute and per UTC day in
 *   Redis, and an attempt past either limit is denied before it is sent — N replicas never send
 *   N × the account's limit.
 * - **Half-open probes**: one replica at a time holds a model's probe slot (`SET NX PX`).
 *
 * When Redis is unreachable the coordinator admits everything at once (each replica's own pacing
 * still applies), says so once in the log and through `degraded()`, and re-syncs when Redis
 * returns: it pushes the facts it learned meanwhile and applies what the others recorded.
 */
import { hostname } from 'node:os';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import { dayStartMs, nextMinuteMs, nextUtcMidnightMs } from '../engine/account-quota.js';
import type { EngineEvent, ExternalFact } from '../engine/engine-events.js';
import type { CooldownReason } from '../engine/engine-state.js';
import type { RotationEngine } from '../engine/rotation-engine.js';
import type {
  AdmissionRequest,
  AdmissionVerdict,
  AttemptCoordinator,
} from '../router/attempt-coordinator.js';
import type { RedisAddress } from './parse-store-url.js';
import { ADMIT_LUA, PUBLISH_FACT_LUA, RELEASE_PROBE_LUA } from './redis-scripts.js';
import { StoreError } from './state-store.js';

export interface RedisCoordinatorOptions {
  address: RedisAddress;
  /** The URL with secrets redacted, for logs. */
  display?: string;
  logger?: Logger | undefined;
  /** Names this process in probe slots and messages. Default: host, pid and a random suffix. */
  instanceId?: string;
  /** Longest a probe slot is held if its holder never reports (crash, cancelled probe), ms. Default 30 000. */
  probeLockMs?: number;
  /** How long one Redis command may take before it counts as failed (and the attempt is admitted), ms. Default 500. */
  commandTimeoutMs?: number;
  /** How long the first connection may take at start before serving degraded, ms. Default 1000. */
  connectTimeoutMs?: number;
  /** Longest pause between reconnection tries, ms. Default 1000. */
  reconnectMaxDelayMs?: number;
  /** Re-read the facts hash this often while connected (pub/sub delivers at most once), ms; 0 = never. Default 30 000. */
  resyncIntervalMs?: number;
}

export interface CoordinatorStats {
  admitted: number;
  deniedQuota: number;
  deniedProbe: number;
  /** Attempts admitted without asking Redis because it was unreachable or a command failed. */
  admittedUnchecked: number;
  published: number;
  received: number;
  resyncs: number;
  lastResyncAtMs: number | null;
}

const FACT_TTL_MS = 48 * 3_600_000;
const RETIRE_FACT_MS = 24 * 3_600_000;
const COOLDOWN_REASONS = new Set(['rate_limited', 'overloaded', 'consecutive_failures', 'manual']);

const factSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('cooldown'),
    model: z.string(),
    untilMs: z.number(),
    reason: z.enum(['rate_limited', 'overloaded', 'consecutive_failures', 'manual']),
    detail: z.string(),
  }),
  z.object({
    type: z.literal('breaker_open'),
    model: z.string(),
    untilMs: z.number(),
    timesOpened: z.number(),
    // The probe schedule's state (absent from older replicas' facts).
    outageSinceMs: z.number().optional(),
    probes: z.object({ dayStartMs: z.number(), count: z.number() }).optional(),
  }),
  z.object({ type: z.literal('breaker_closed'), model: z.string() }),
  z.object({
    type: z.literal('account_block'),
    account: z.string(),
    scope: z.enum(['account_minute', 'account_day']),
    untilMs: z.number(),
    detail: z.string(),
  }),
  z.object({ type: z.literal('retire'), model: z.string(), reason: z.string() }),
  z.object({ type: z.literal('restore'), model: z.string(), reason: z.string() }),
]);

/** What the hash holds and the channel carries: a fact, who saw it, and until when it matters. */
const recordSchema = z.object({
  v: z.literal(1),
  from: z.string(),
  atMs: z.number(),
  /** End of the fact (retirements: when the record expires); null for a breaker closing. */
  untilMs: z.number().nullable(),
  fact: factSchema,
});
type FactRecord = z.infer<typeof recordSchema>;

interface ScriptedRedis extends Redis {
  rotorAdmit(...args: Array<string | number>): Promise<[number, string?, number?]>;
  rotorPublishFact(...args: Array<string | number>): Promise<number>;
  rotorReleaseProbe(...args: Array<string | number>): Promise<number>;
}

export class RedisCoordinator implements AttemptCoordinator {
  readonly instanceId: string;
  readonly display: string;
  /** Commands (enableOfflineQueue off: when disconnected, a command fails at once rather than queueing). */
  readonly client: ScriptedRedis;
  private readonly sub: Redis;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly factsKey: string;
  private readonly logger: Logger | undefined;
  private readonly probeLockMs: number;
  private readonly resyncIntervalMs: number;
  private engine: RotationEngine | undefined;
  private unsubscribe: (() => void) | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly heldProbes = new Set<string>();
  private isDegraded = true;
  /** Whether "unreachable" has been logged for the current outage. */
  private saidDown = false;
  /** Until `connect` has decided: the two connections come up one after the other, which is no outage. */
  private starting = true;
  /** The last connection error, to tell refused credentials from an unreachable server. */
  private lastError: Error | undefined;
  private syncing: Promise<void> | undefined;
  private closed = false;
  private readonly counts: CoordinatorStats = {
    admitted: 0,
    deniedQuota: 0,
    deniedProbe: 0,
    admittedUnchecked: 0,
    published: 0,
    received: 0,
    resyncs: 0,
    lastResyncAtMs: null,
  };

  private constructor(options: RedisCoordinatorOptions) {
    const a = options.address;
    this.prefix = a.prefix;
    this.channel = `${a.prefix}facts`;
    this.factsKey = `${a.prefix}facts`;
    this.display = options.display ?? `redis://${a.host}:${a.port}/${a.db}`;
    this.logger = options.logger;
    this.probeLockMs = options.probeLockMs ?? 30_000;
    this.resyncIntervalMs = options.resyncIntervalMs ?? 30_000;
    this.instanceId =
      options.instanceId ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
    const maxDelay = options.reconnectMaxDelayMs ?? 1000;
    const base: RedisOptions = {
      host: a.host,
      port: a.port,
      db: a.db,
      ...(a.username ? { username: a.username } : {}),
      ...(a.password ? { password: a.password } : {}),
      ...(a.tls ? { tls: {} } : {}),
      lazyConnect: true,
      connectTimeout: options.connectTimeoutMs ?? 1000,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
      connectionName: `rotor:${this.instanceId}`,
    };
    this.client = new Redis({
      ...base,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 500,
    }) as ScriptedRedis;
    this.client.defineCommand('rotorAdmit', { lua: ADMIT_LUA, numberOfKeys: 3 });
    this.client.defineCommand('rotorPublishFact', { lua: PUBLISH_FACT_LUA, numberOfKeys: 1 });
    this.client.defineCommand('rotorReleaseProbe', { lua: RELEASE_PROBE_LUA, numberOfKeys: 1 });
    this.sub = new Redis({ ...base, autoResubscribe: true, maxRetriesPerRequest: null });
    for (const c of [this.client, this.sub]) {
      // Connection errors surface as state changes, logged once per outage.
      c.on('error', (err: Error) => {
        this.lastError = err;
      });
      c.on('ready', () => this.reconsider());
      c.on('close', () => this.reconsider());
    }
    this.sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.onMessage(message);
    });
  }

  /**
   * Connect, waiting up to `connectTimeoutMs`. Never rejects because Redis is unreachable: the
   * coordinator then starts degraded and keeps reconnecting in the background.
   */
  static async connect(options: RedisCoordinatorOptions): Promise<RedisCoordinator> {
    const c = new RedisCoordinator(options);
    const timeoutMs = (options.connectTimeoutMs ?? 1000) + 200;
    const connected = Promise.all([c.client.connect(), c.sub.connect()]).then(
      () => true,
      () => false,
    );
    const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    const up = await Promise.race([connected, timeout]);
    c.starting = false;
    if (!up && isAuthError(c.lastError)) {
      // Wrong credentials are a configuration error, not an outage: waiting will not fix them.
      const why = c.lastError!.message;
      await c.close();
      throw new StoreError(
        `Redis at ${c.display} refused rotor's credentials (${why.replace(/\s+/g, ' ').trim()}): authentication failed; check the user and password in the store URL (ROTOR_STORE).`,
      );
    }
    if (!up) c.sayDown();
    return c;
  }

  /**
   * Start sharing the engine's health facts and applying the others'. Resolves after the first
   * sync (or at once when Redis is unreachable).
   */
  async attach(engine: RotationEngine): Promise<void> {
    this.engine = engine;
    this.unsubscribe = engine.subscribe((event) => this.onEngineEvent(event));
    if (this.resyncIntervalMs > 0) {
      this.resyncTimer = setInterval(() => {
        if (!this.isDegraded && !this.syncing) void this.sync('periodic');
      }, this.resyncIntervalMs);
      this.resyncTimer.unref();
    }
    this.reconsider();
    await this.syncing;
  }

  /** True while Redis is unreachable (or not yet re-synced): each replica runs on local state. */
  degraded(): boolean {
    return this.isDegraded;
  }

  /** Whether commands can be sent right now. */
  get connected(): boolean {
    return this.client.status === 'ready';
  }

  stats(): CoordinatorStats {
    return { ...this.counts };
  }

  key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  async admit(request: AdmissionRequest): Promise<AdmissionVerdict> {
    if (!request.free && !request.isProbe) return { ok: true };
    const engine = this.engine;
    if (!engine || this.isDegraded || this.client.status !== 'ready') {
      this.counts.admittedUnchecked++;
      return { ok: true };
    }
    const now = engine.clock.now();
    const minuteEnd = nextMinuteMs(now);
    const dayEnd = nextUtcMidnightMs(now);
    const limits = request.free ? engine.freeQuotaLimits(request.account) : { perMinute: 0, perDay: 0 };
    let reply: [number, string?, number?];
    try {
      reply = await this.client.rotorAdmit(
        this.key('quota', request.account, 'minute', String(minuteEnd - 60_000)),
        this.key('quota', request.account, 'day', String(dayEnd - 86_400_000)),
        this.key('probe', request.model),
        request.free ? 1 : 0,
        limits.perMinute ?? 0,
        limits.perDay ?? 0,
        minuteEnd - now + 60_000,
        dayEnd - now + 3_600_000,
        request.isProbe ? 1 : 0,
        this.instanceId,
        this.probeLockMs,
      );
    } catch (err) {
      this.counts.admittedUnchecked++;
      this.logger?.debug({ err: (err as Error).message }, 'redis: admission unchecked');
      return { ok: true };
    }
    if (reply[0] === 1) {
      this.counts.admitted++;
      if (request.isProbe) this.heldProbes.add(request.model);
      return { ok: true };
    }
    if (reply[1] === 'probe') {
      this.counts.deniedProbe++;
      const pttl = Number(reply[2]);
      return pttl > 0
        ? { ok: false, reason: 'probe_taken', untilMs: now + pttl }
        : { ok: false, reason: 'probe_taken' };
    }
    this.counts.deniedQuota++;
    return reply[1] === 'day'
      ? { ok: false, reason: 'account_quota', scope: 'account_day', untilMs: dayEnd }
      : { ok: false, reason: 'account_quota', scope: 'account_minute', untilMs: minuteEnd };
  }

  /** Push this replica's facts in force, then apply everyone's. Returns when done (or failed). */
  resync(): Promise<void> {
    return this.sync('requested');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    if (this.client.status === 'ready') {
      await Promise.allSettled([...this.heldProbes].map((m) => this.releaseProbe(m)));
    }
    await Promise.allSettled([quit(this.client), quit(this.sub)]);
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────

  /** Follow the connection state: degrade when either connection is lost, re-sync when both are back. */
  private reconsider(): void {
    if (this.closed) return;
    const up = this.client.status === 'ready' && this.sub.status === 'ready';
    if (!up) {
      if (!this.isDegraded) this.isDegraded = true;
      this.sayDown();
      return;
    }
    if (this.isDegraded && this.engine && !this.syncing) void this.sync('reconnected');
  }

  private sayDown(): void {
    if (this.saidDown || this.closed || this.starting) return;
    this.saidDown = true;
    if (isAuthError(this.lastError)) {
      this.logger?.error(
        { store: 'redis', url: this.display, err: this.lastError?.message },
        'redis authentication failed (wrong user or password): serving on local state until it is fixed',
      );
      return;
    }
    this.logger?.warn(
      { store: 'redis', url: this.display },
      'redis unreachable: serving on local state (shared quota, probes and health facts resume when it returns)',
    );
  }

  private sync(why: string): Promise<void> {
    if (this.syncing) return this.syncing;
    this.syncing = (async () => {
      const engine = this.engine;
      if (!engine) return;
      try {
        await this.sub.subscribe(this.channel); // before reading the hash: nothing published after is missed
        const pushed = await this.pushLocalFacts(engine);
        const applied = await this.pullFacts(engine);
        this.counts.resyncs++;
        this.counts.lastResyncAtMs = engine.clock.now();
        if (this.isDegraded) {
          this.isDegraded = false;
          this.saidDown = false;
          this.logger?.info(
            { store: 'redis', url: this.display, pushed, applied, why },
            'redis reachable: shared state re-synced',
          );
        }
      } catch (err) {
        this.logger?.debug({ err: (err as Error).message, why }, 'redis: re-sync failed');
      }
    })().finally(() => {
      this.syncing = undefined;
      // The connection may have changed while syncing.
      if (!this.closed && this.isDegraded && this.client.status === 'ready' && this.sub.status === 'ready') {
        setTimeout(() => this.reconsider(), 100).unref();
      }
    });
    return this.syncing;
  }

  /** This replica's facts still in force, from the engine's snapshot. */
  private localFacts(engine: RotationEngine): ExternalFact[] {
    const m = engine.metrics();
    const now = m.system.atMs;
    const facts: ExternalFact[] = [];
    for (const model of m.models) {
      if (model.cooldownUntilMs !== null && model.cooldownUntilMs > now) {
        facts.push({
          type: 'cooldown',
          model: model.model,
          untilMs: model.cooldownUntilMs,
          reason: model.cooldownReason ?? 'manual',
          detail: model.cooldownDetail ?? '',
        });
      }
      if (
        model.breakerState === 'open' &&
        model.breakerOpenUntilMs !== null &&
        model.breakerOpenUntilMs > now
      ) {
        facts.push({
          type: 'breaker_open',
          model: model.model,
          untilMs: model.breakerOpenUntilMs,
          timesOpened: model.timesOpened,
          ...(model.outageSinceMs === null ? {} : { outageSinceMs: model.outageSinceMs }),
          ...(model.probesToday > 0
            ? { probes: { dayStartMs: dayStartMs(now), count: model.probesToday } }
            : {}),
        });
      }
      if (model.retired) facts.push({ type: 'retire', model: model.model, reason: model.retired.reason });
    }
    for (const a of m.system.accounts) {
      if (a.blockedUntilMs !== null && a.blockedUntilMs > now && a.blockedScope) {
        facts.push({
          type: 'account_block',
          account: a.account,
          scope: a.blockedScope as 'account_minute' | 'account_day',
          untilMs: a.blockedUntilMs,
          detail: a.blockedDetail ?? '',
        });
      }
    }
    return facts;
  }

  private async pushLocalFacts(engine: RotationEngine): Promise<number> {
    let pushed = 0;
    for (const fact of this.localFacts(engine)) if (await this.publish(fact)) pushed++;
    return pushed;
  }

  private async pullFacts(engine: RotationEngine): Promise<number> {
    const all = await this.client.hgetall(this.factsKey);
    const now = engine.clock.now();
    let applied = 0;
    for (const text of Object.values(all)) {
      const record = parseRecord(text);
      if (!record || (record.untilMs !== null && record.untilMs <= now)) continue;
      engine.applyExternal(record.fact);
      applied++;
    }
    return applied;
  }

  private onEngineEvent(event: EngineEvent): void {
    if (event.origin === 'remote' || this.closed) return;
    switch (event.type) {
      case 'cooldown_started':
        this.share({
          type: 'cooldown',
          model: event.model,
          untilMs: event.untilMs,
          reason: COOLDOWN_REASONS.has(event.reason) ? (event.reason as CooldownReason) : 'manual',
          detail: event.detail,
        });
        this.releaseHeldProbe(event.model);
        break;
      case 'breaker_opened':
        this.share({
          type: 'breaker_open',
          model: event.model,
          untilMs: event.untilMs,
          timesOpened: event.timesOpened,
          ...(event.outageSinceMs === undefined ? {} : { outageSinceMs: event.outageSinceMs }),
          ...(event.probes ? { probes: event.probes } : {}),
        });
        this.releaseHeldProbe(event.model);
        break;
      case 'breaker_closed':
        this.share({ type: 'breaker_closed', model: event.model });
        this.releaseHeldProbe(event.model);
        break;
      case 'account_blocked':
        this.share({
          type: 'account_block',
          account: event.account,
          scope: event.scope,
          untilMs: event.untilMs,
          detail: event.detail,
        });
        break;
      case 'model_retired':
        this.share({ type: 'retire', model: event.model, reason: event.reason });
        this.releaseHeldProbe(event.model);
        break;
      case 'model_restored':
        // Deletes the shared retirement and tells every replica (a re-sync alone would not un-retire).
        this.share({ type: 'restore', model: event.model, reason: event.reason });
        break;
      default:
        break;
    }
  }

  /** Publish a local fact now; while degraded it waits for the re-sync, which pushes what is still in force. */
  private share(fact: ExternalFact): void {
    if (this.isDegraded || this.client.status !== 'ready') return;
    void this.publish(fact).catch((err: unknown) => {
      this.logger?.debug({ err: (err as Error).message, fact: fact.type }, 'redis: fact not published');
    });
  }

  private async publish(fact: ExternalFact): Promise<boolean> {
    const now = this.engine?.clock.now() ?? Date.now();
    const untilMs =
      fact.type === 'breaker_closed' || fact.type === 'restore'
        ? null
        : fact.type === 'retire'
          ? now + RETIRE_FACT_MS
          : fact.untilMs;
    const record: FactRecord = { v: 1, from: this.instanceId, atMs: now, untilMs, fact };
    const field = factField(fact);
    const published = await this.client.rotorPublishFact(
      this.factsKey,
      field,
      JSON.stringify(record),
      fact.type === 'retire' || untilMs === null ? -1 : untilMs,
      this.channel,
      FACT_TTL_MS,
      fact.type === 'breaker_closed' || fact.type === 'restore' ? 'del' : 'set',
    );
    if (published === 1) this.counts.published++;
    return published === 1;
  }

  private onMessage(message: string): void {
    const record = parseRecord(message);
    if (!record || record.from === this.instanceId || !this.engine) return;
    this.counts.received++;
    this.engine.applyExternal(record.fact);
  }

  private releaseHeldProbe(model: string): void {
    if (!this.heldProbes.has(model)) return;
    void this.releaseProbe(model).catch(() => {}); // else it expires after probeLockMs
  }

  private async releaseProbe(model: string): Promise<void> {
    this.heldProbes.delete(model);
    await this.client.rotorReleaseProbe(this.key('probe', model), this.instanceId);
  }
}

/** One field per fact subject: a later fact of the same kind replaces an earlier one. */
function factField(fact: ExternalFact): string {
  switch (fact.type) {
    case 'cooldown':
      return `cooldown|${fact.model}`;
    case 'breaker_open':
    case 'breaker_closed':
      return `breaker|${fact.model}`;
    case 'account_block':
      return `account|${fact.account}`;
    case 'retire':
    case 'restore':
      return `retire|${fact.model}`;
  }
}

function parseRecord(text: string): FactRecord | undefined {
  try {
    const parsed = recordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

async function quit(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  try {
    if (client.status === 'ready') {
      await Promise.race([client.quit(), new Promise((r) => setTimeout(r, 500).unref())]);
    }
  } catch {
    // closing anyway
  }
  client.disconnect();
}

/** Whether Redis refused the credentials (as opposed to being unreachable). */
function isAuthError(err: Error | undefined): boolean {
  return err !== undefined && /WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username/i.test(err.message);
}
