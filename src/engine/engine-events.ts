/** What the engine reports as it decides: each with a timestamp and a reason, for logs, metrics and dashboards. */
import type { CooldownReason } from './engine-state.js';
import type { RateLimitScope } from './failure.js';

/**
 * Where an event's cause was observed: absent or `local` — by this process; `remote` — by another
 * gateway replica, applied through `RotationEngine.applyExternal` (a replicator must not re-publish it).
 */
export interface EventOrigin {
  origin?: 'local' | 'remote';
  /** Position in this engine's event stream, from 1; set when emitted (lets a dashboard dedupe and resume). */
  seq?: number;
}

/** An engine event, with where its cause was observed. */
export type EngineEvent = EngineEventBody & EventOrigin;

type EngineEventBody =
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
      /** Start of the outage this opening belongs to (its first opening), epoch ms. */
      outageSinceMs?: number;
      /** Recovery probes of this model on the UTC day starting at `dayStartMs` (shared between replicas). */
      probes?: { dayStartMs: number; count: number };
    }
  | { type: 'breaker_half_open'; atMs: number; model: string }
  /**
   * The account's daily probe budget is spent: no more recovery probes of its `:free` models until
   * `untilMs` (00:00 UTC); open breakers stay open and the models are skipped.
   */
  | {
      type: 'probe_budget_spent';
      atMs: number;
      account: string;
      spent: number;
      budget: number;
      untilMs: number;
    }
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
  | { type: 'model_restored'; atMs: number; model: string; reason: string }
  /** The rotation order was replaced (e.g. reconciled with the live model list). */
  | { type: 'order_changed'; atMs: number; reason: string; added: string[]; removed: string[] };

export type EngineEventType = EngineEvent['type'];
export type EngineEventListener = (event: EngineEvent) => void;

/**
 * A health fact observed elsewhere (another replica, via a shared store), for
 * `RotationEngine.applyExternal`. Times are epoch ms.
 */
export type ExternalFact =
  | { type: 'cooldown'; model: string; untilMs: number; reason: CooldownReason; detail: string }
  | {
      type: 'breaker_open';
      model: string;
      untilMs: number;
      timesOpened: number;
      /** When the outage began on the replica that saw it: the probe schedule follows the earliest. */
      outageSinceMs?: number;
      /** That replica's count of this model's probes on a UTC day: the probe budget follows the highest. */
      probes?: { dayStartMs: number; count: number };
    }
  | { type: 'breaker_closed'; model: string }
  | {
      type: 'account_block';
      account: string;
      scope: Exclude<RateLimitScope, 'model'>;
      untilMs: number;
      detail: string;
    }
  | { type: 'retire'; model: string; reason: string }
  /** A retired model is back (e.g. listed again): every replica may use it again. */
  | { type: 'restore'; model: string; reason: string };
