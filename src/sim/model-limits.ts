/**
 * Per-model limits: OpenRouter's own cap on a model (`limitRpm` / `limitRpd`, the
 * `Rate limit exceeded: limit_rpm/…` 429) and the capacity of the model's upstream provider pool
 * (`upstreamRpm`, the "temporarily rate-limited upstream" 429). Both count in fixed windows; a
 * refused request is not counted.
 */
import { admit, WindowCounter, type WindowRefusal } from './quota-window.js';
import type { SimModel } from './sim-models.js';

interface ModelCounters {
  capMinute: WindowCounter;
  capDay: WindowCounter;
  pool: WindowCounter;
}

export class ModelLimits {
  private readonly counters = new Map<string, ModelCounters>();

  private countersOf(modelId: string): ModelCounters {
    let counters = this.counters.get(modelId);
    if (!counters) {
      counters = {
        capMinute: new WindowCounter('minute'),
        capDay: new WindowCounter('day'),
        pool: new WindowCounter('minute'),
      };
      this.counters.set(modelId, counters);
    }
    return counters;
  }

  /** Count a request against the model's OpenRouter cap, or return the full window. */
  admitCap(model: SimModel, nowMs: number): WindowRefusal | undefined {
    if (model.limitRpm === undefined && model.limitRpd === undefined) return undefined;
    const counters = this.countersOf(model.id);
    const limits: [WindowCounter, number][] = [];
    if (model.limitRpd !== undefined) limits.push([counters.capDay, model.limitRpd]);
    if (model.limitRpm !== undefined) limits.push([counters.capMinute, model.limitRpm]);
    return admit(limits, nowMs);
  }

  /** Count a request against the model's upstream pool, or return the full window. */
  admitPool(model: SimModel, nowMs: number): WindowRefusal | undefined {
    if (model.upstreamRpm === undefined) return undefined;
    return admit([[this.countersOf(model.id).pool, model.upstreamRpm]], nowMs);
  }

  reset(): void {
    this.counters.clear();
  }
}
