/**
 * The fault schedule: which scripted fault, if any, hits a request to a model at time t (ms since
 * the simulator started). Faults are tried in the order they were added; the first that matches
 * wins. Probabilities draw from the injected seeded random, and only for faults with
 * probability < 1, so adding a certain fault does not shift the random sequence of the others.
 */
import type { Random } from '../engine/random.js';
import type { FaultSpec } from './scenario-schema.js';

/** Faults without an `upstream` are OpenRouter's. */
const OPENROUTER = 'openrouter';

/** A fault in the schedule: its id is always set; `hits` counts the requests it has hit. */
export type ScheduledFault = FaultSpec & { id: string; hits: number };

export class FaultSchedule {
  private faults: ScheduledFault[] = [];
  private nextId = 1;

  constructor(private readonly random: Random) {}

  /** Replace the whole schedule. */
  set(faults: readonly FaultSpec[]): ScheduledFault[] {
    this.faults = [];
    return faults.map((f) => this.add(f));
  }

  add(fault: FaultSpec): ScheduledFault {
    const scheduled = { ...fault, id: fault.id ?? `fault-${this.nextId++}`, hits: 0 } as ScheduledFault;
    this.faults.push(scheduled);
    return scheduled;
  }

  /** Remove the fault with this id; returns whether one was removed. */
  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length !== before;
  }

  clear(): void {
    this.faults = [];
  }

  /** Forget hit counts (admin reset), keeping the faults. */
  resetHits(): void {
    for (const f of this.faults) f.hits = 0;
  }

  list(): ScheduledFault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** The fault that hits this request, counting the hit; undefined when none does. */
  match(modelId: string, tMs: number, stream: boolean, provider = OPENROUTER): ScheduledFault | undefined {
    for (const fault of this.faults) {
      if (!this.applies(fault, modelId, tMs, provider)) continue;
      if (fault.stream !== undefined && fault.stream !== stream) continue;
      if (fault.probability < 1 && this.random() >= fault.probability) continue;
      fault.hits++;
      return fault;
    }
    return undefined;
  }

  /**
   * The fault that would certainly hit this request, without counting a hit or drawing from the
   * random (faults with a probability below 1 are not certain, so they are skipped): a peek.
   */
  peek(modelId: string, tMs: number, stream: boolean, provider = OPENROUTER): ScheduledFault | undefined {
    return this.faults.find(
      (f) =>
        f.probability === 1 &&
        (f.stream === undefined || f.stream === stream) &&
        this.applies(f, modelId, tMs, provider),
    );
  }

  /** Whether a certain `model_gone` fault retires this model at tMs (it then leaves `GET /models`). */
  isGone(modelId: string, tMs: number, provider = OPENROUTER): boolean {
    return this.faults.some(
      (f) =>
        f.kind === 'model_gone' &&
        f.model === modelId &&
        f.probability === 1 &&
        f.stream === undefined &&
        this.applies(f, modelId, tMs, provider),
    );
  }

  /** Whether any fault could retire a model (lets `GET /models` skip filtering on the common path). */
  get hasModelGone(): boolean {
    return this.faults.some((f) => f.kind === 'model_gone');
  }

  get size(): number {
    return this.faults.length;
  }

  private applies(fault: ScheduledFault, modelId: string, tMs: number, provider: string): boolean {
    return (
      (fault.upstream ?? OPENROUTER) === provider &&
      (fault.model === '*' || fault.model === modelId) &&
      tMs >= fault.fromMs &&
      (fault.toMs === undefined || tMs < fault.toMs) &&
      (fault.maxHits === undefined || fault.hits < fault.maxHits)
    );
  }
}
