/**
 * What a configuration reload (`SIGHUP`) can change while the gateway runs, and what needs a
 * restart. A reload applies only what can be swapped between requests without dropping state or
 * connections; everything else is reported, never half-applied.
 */
import type { GatewayConfig } from './gateway-config.js';

/** Config paths (and everything below them) a reload applies. */
export const RELOADABLE_PATHS: readonly string[] = [
  'server.apiKeys',
  'server.bodyLimitBytes',
  'server.allowUnknownModels',
  'server.allowUnauthenticatedExposure',
  'server.cors',
  'server.drainTimeoutMs',
  'rotation.order',
  'deadlineMs',
  'maxQueueWaitMs',
  'timeouts',
  'log.level',
];

export interface ReloadPlan {
  /** Changed paths the reload applies. */
  apply: string[];
  /** Changed paths that take effect only after a restart (the old values stay in force). */
  restart: string[];
}

/** Compare two validated configurations leaf by leaf (arrays are leaves). */
export function planReload(current: GatewayConfig, next: GatewayConfig): ReloadPlan {
  const before = leaves(current);
  const after = leaves(next);
  const plan: ReloadPlan = { apply: [], restart: [] };
  for (const path of new Set([...before.keys(), ...after.keys()])) {
    if (before.get(path) === after.get(path)) continue;
    const reloadable = RELOADABLE_PATHS.some((p) => path === p || path.startsWith(`${p}.`));
    // Unpinning the order hands it back to the registry and reconciler: that wiring is made at start.
    const unpinned = path === 'rotation.order' && next.rotation.order === undefined;
    (reloadable && !unpinned ? plan.apply : plan.restart).push(path);
  }
  return plan;
}

function leaves(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (value !== undefined) {
    out.set(prefix, JSON.stringify(value));
  }
  return out;
}
