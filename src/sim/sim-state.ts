/**
 * Everything a running simulator knows and can be told: models, account and model counters, the
 * fault schedule, the attempt log, latency scale and t = 0. The HTTP routes read it; the admin API
 * and the programmatic `Simulator` methods change it through the same methods.
 */
import type { Clock } from '../engine/clock.js';
import { type Random, seededRandom } from '../engine/random.js';
import { AccountLimits, type AccountSnapshot } from './account-limits.js';
import { AttemptLog, type AttemptRecord } from './attempt-log.js';
import { FaultSchedule, type ScheduledFault } from './fault-schedule.js';
import { ModelLimits } from './model-limits.js';
import type { SimProviderScenario } from './providers/provider-scenario.js';
import { ProviderWorld } from './providers/provider-world.js';
import {
  type AccountConfig,
  type FaultInput,
  type FaultSpec,
  parseFaults,
  ScenarioError,
} from './scenario-schema.js';
import type { SimModel } from './sim-models.js';

export interface SimStateOptions {
  clock: Clock;
  seed: number;
  latencyScale: number;
  completionTokens: number;
  models: SimModel[];
  /** The `GET /models` `data` entries, in order (one per servable model, or a snapshot's). */
  modelsEntries: Record<string, unknown>[];
  account: AccountConfig;
  faults: FaultInput[];
  /** The other built-in providers (a listed provider is served unless `enabled: false`). */
  providers?: Readonly<Record<string, SimProviderScenario>>;
  /** Accepted bearer keys; undefined accepts any non-empty key. */
  apiKeys?: readonly string[];
  maxAttempts?: number;
}

export interface ResetOptions {
  /** Also remove every fault (default: keep them, with their hit counts zeroed). */
  clearFaults?: boolean;
  /** Make now the new t = 0 for fault windows and attempt times (default false). */
  restartClock?: boolean;
}

export interface AccountUpdate {
  hasCredits?: boolean;
  /** `:free` requests to count as already made in the current minute. */
  minuteUsed?: number;
  /** `:free` requests to count as already made today (UTC). */
  dayUsed?: number;
}

export class SimState {
  readonly clock: Clock;
  readonly seed: number;
  readonly completionTokens: number;
  readonly models: ReadonlyMap<string, SimModel>;
  readonly account: AccountLimits;
  readonly modelLimits = new ModelLimits();
  readonly faults: FaultSchedule;
  readonly log: AttemptLog;
  readonly apiKeys: ReadonlySet<string> | undefined;
  /** Groq, Gemini, Cerebras, … under `/<id>/…`. */
  readonly providers: ProviderWorld;
  latencyScale: number;
  /** Epoch ms of t = 0. */
  startMs: number;

  private random: Random;
  private generation = 0;
  private readonly modelsEntries: Record<string, unknown>[];
  /** `GET /models` serialised once: it is large (a snapshot is ~1 MB) and rarely changes. */
  private readonly modelsJson: Buffer;

  constructor(options: SimStateOptions) {
    this.clock = options.clock;
    this.seed = options.seed;
    this.latencyScale = options.latencyScale;
    this.completionTokens = options.completionTokens;
    this.models = new Map(options.models.map((m) => [m.id, m]));
    this.account = new AccountLimits(options.account);
    this.log = new AttemptLog(options.maxAttempts);
    this.apiKeys = options.apiKeys ? new Set(options.apiKeys) : undefined;
    this.random = seededRandom(options.seed);
    this.faults = new FaultSchedule(() => this.random());
    this.modelsEntries = options.modelsEntries;
    this.modelsJson = Buffer.from(JSON.stringify({ data: options.modelsEntries }));
    this.startMs = options.clock.now();
    this.providers = new ProviderWorld({
      clock: options.clock,
      seed: options.seed,
      completionTokens: options.completionTokens,
      providers: options.providers ?? {},
      faults: this.faults,
      log: this.log,
      ...(this.apiKeys ? { apiKeys: this.apiKeys } : {}),
      startMs: () => this.startMs,
    });
    this.faults.set(this.checkProviders(parseFaults(options.faults, 'scenario faults'), 'scenario faults'));
  }

  /** Ms since t = 0. */
  elapsedMs(nowMs = this.clock.now()): number {
    return nowMs - this.startMs;
  }

  /** A generation id in OpenRouter's form, unique within this simulator. */
  nextGenerationId(createdS: number): string {
    this.generation++;
    return `gen-${createdS}-${this.generation.toString(36).padStart(12, '0')}`;
  }

  /** The `GET /models` body; models retired by a `model_gone` fault in force are left out. */
  modelsBody(tMs: number): Buffer | string {
    if (!this.faults.hasModelGone) return this.modelsJson;
    const data = this.modelsEntries.filter((e) => !this.faults.isGone(String(e.id), tMs));
    return JSON.stringify({ data });
  }

  setFaults(faults: FaultInput[]): ScheduledFault[] {
    return this.faults.set(this.checkProviders(parseFaults(faults), 'faults'));
  }

  addFault(fault: FaultInput): ScheduledFault {
    const [parsed] = this.checkProviders(parseFaults(fault, 'fault'), 'fault');
    return this.faults.add(parsed!);
  }

  /** A fault's `upstream` must be one the simulator can serve. */
  private checkProviders(faults: FaultSpec[], source: string): FaultSpec[] {
    const issues = faults.flatMap((f, i) =>
      f.upstream === undefined || f.upstream === 'openrouter' || this.providers.get(f.upstream)
        ? []
        : [`[${i}].upstream: not a simulated provider (got ${JSON.stringify(f.upstream)})`],
    );
    if (issues.length > 0) throw new ScenarioError(source, issues);
    return faults;
  }

  /** Forget counters and attempts (and optionally faults, and t = 0); re-seed the random. */
  reset(options: ResetOptions = {}): void {
    this.account.reset();
    this.modelLimits.reset();
    this.providers.reset();
    this.log.clear();
    this.random = seededRandom(this.seed);
    this.generation = 0;
    if (options.clearFaults) this.faults.clear();
    else this.faults.resetHits();
    if (options.restartClock) this.startMs = this.clock.now();
  }

  attempts(): AttemptRecord[] {
    return this.log.list();
  }

  accountSnapshot(): AccountSnapshot {
    return this.account.snapshot(this.clock.now());
  }

  updateAccount(update: AccountUpdate): AccountSnapshot {
    if (update.hasCredits !== undefined) this.account.setHasCredits(update.hasCredits);
    this.account.setUsage(this.clock.now(), update);
    return this.accountSnapshot();
  }

  setLatencyScale(scale: number): void {
    if (!Number.isFinite(scale) || scale < 0) throw new RangeError(`latencyScale must be ≥ 0, got ${scale}`);
    this.latencyScale = scale;
  }
}
