/**
 * Admission across replicas, as the request loop uses it: ask the coordinator before an attempt
 * goes out, and read a probe another replica holds as "busy", not "tried".
 */
import type { Acquisition, Lease } from '../engine/engine-types.js';
import type { RotationEngine } from '../engine/rotation-engine.js';
import type { AdmissionVerdict, AttemptCoordinator } from './attempt-coordinator.js';

/**
 * Ask the coordinator; on a denial withdraw the lease (no verdict, no quota count), and turn a
 * shared-quota denial into an account block so the loop's usual wait-or-429 logic applies.
 */
export async function coordinate(
  coordinator: AttemptCoordinator,
  engine: RotationEngine,
  lease: Lease,
): Promise<AdmissionVerdict> {
  let verdict: AdmissionVerdict;
  try {
    verdict = await coordinator.admit({
      model: lease.model,
      account: lease.account,
      isProbe: lease.isProbe,
      free: engine.isFreeModel(lease.model),
    });
  } catch {
    verdict = { ok: true }; // a coordinator must not reject; if it does, local decisions stand
  }
  if (verdict.ok) return verdict;
  lease.withdraw();
  if (verdict.reason === 'account_quota') {
    const window = verdict.scope === 'account_day' ? 'daily' : 'per-minute';
    engine.applyExternal({
      type: 'account_block',
      account: lease.account,
      scope: verdict.scope,
      untilMs: Math.max(verdict.untilMs, engine.clock.now() + 1),
      detail: `${window} free-model quota spent (shared by all replicas)`,
    });
  }
  return verdict;
}

export function union(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  const out = new Set(a);
  for (const x of b) out.add(x);
  return out;
}

/** A model left out because another replica holds its probe is busy, not tried: poll for it. */
export function probesBusy(
  acquisition: Extract<Acquisition, { ok: false }>,
  held: ReadonlySet<string>,
): Extract<Acquisition, { ok: false }> {
  const skipped = acquisition.skipped.map((s) =>
    held.has(s.model) && s.reason === 'already_tried'
      ? { model: s.model, reason: 'half_open_busy', detail: 'another replica is probing it' }
      : s,
  );
  return { ...acquisition, skipped, busy: true };
}
