/** What the engine reports as it decides: each with a timestamp and a reason, for logs, metrics and dashboards. */
import type { RateLimitScope } from './failure.js';

export type EngineEvent =
  | { type: 'rotation'; atMs: number; from: string | null; to: string | null; reason: string }
  | { type: 'reset_to_primary'; atMs: number; model: string }
  | { type: 'cooldown_started'; atMs: number; model: string; untilMs: number; reason: string; detail: string }
  | {
      type: 'breaker_opened';
      atMs: number;
      model: string;
      untilMs: number;
      timesOpened: number;
      reason: string;
    }
  | { type: 'breaker_half_open'; atMs: number; model: string }
  | { type: 'breaker_closed'; atMs: number; model: string }
  | {
      type: 'account_blocked';
      atMs: number;
      account: string;
      scope: Exclude<RateLimitScope, 'model'>;
      untilMs: number;
      detail: string;
    }
  | { type: 'account_unblocked'; atMs: number; account: string }
  | { type: 'model_retired'; atMs: number; model: string; reason: string }
  | { type: 'model_restored'; atMs: number; model: string; reason: string };

export type EngineEventType = EngineEvent['type'];
export type EngineEventListener = (event: EngineEvent) => void;
