/** One model as the engine tracks it: profile, health, counters, sample windows and in-flight slots. */
import type { ModelHealthState, ModelMetricsState } from './engine-state.js';
import type { ModelProfile } from './engine-types.js';
import { SampleWindow } from './sample-window.js';

export interface ModelEntry {
  id: string;
  profile: ModelProfile;
  health: ModelHealthState;
  metrics: Omit<ModelMetricsState, 'recentOutcomes' | 'latenciesMs' | 'ttftsMs'>;
  recent: SampleWindow;
  latencies: SampleWindow;
  ttfts: SampleWindow;
  inFlight: number;
  probesInFlight: number;
  /**
   * Episode counter: bumped whenever the model's health escalates (a counted failure or rate
   * limit, a cooldown, a breaker transition). An attempt remembers the epoch it was admitted in;
   * its failure escalates health only if no escalation happened since — so a burst of concurrent
   * failures is one incident, not N. Runtime only: no lease outlives the process.
   */
  epoch: number;
}

export function freshHealth(): ModelHealthState {
  return { consecutiveFailures: 0, consecutiveRateLimits: 0, breaker: { state: 'closed' }, timesOpened: 0 };
}

export function newModelEntry(
  id: string,
  windows: { successWindowSize: number; latencyWindowSize: number },
): ModelEntry {
  return {
    id,
    profile: { id },
    health: freshHealth(),
    metrics: {
      total: 0,
      successful: 0,
      failed: 0,
      rateLimited: 0,
      cancelled: 0,
      byKind: {},
      totalLatencyMs: 0,
      timedAttempts: 0,
      rotationsTo: 0,
    },
    recent: new SampleWindow(windows.successWindowSize),
    latencies: new SampleWindow(windows.latencyWindowSize),
    ttfts: new SampleWindow(windows.latencyWindowSize),
    inFlight: 0,
    probesInFlight: 0,
    epoch: 0,
  };
}
