/**
 * `rotor probe --write`: records probe results in the registry Document in place (comments and
 * order survive): `status`, `measured`, `incompatible_reason`/`retired_reason`, and the
 * capabilities the probe exercised. A model that cannot serve leaves the rotation.
 */
import { type Document, isMap, isScalar, type Pair, type YAMLMap } from 'yaml';
import type { ModelProbeResult } from './probe-summary.js';
import {
  findModelNode,
  markUpdated,
  removeFromRotation,
  retireModel,
  setModelStatus,
  updateModelFields,
} from './registry-edit.js';

/** Key order of `measured`, as documented. */
const MEASURED_KEY_ORDER = ['p50_ms', 'p95_ms', 'ttft_ms', 'success_rate', 'samples', 'last_tested'] as const;

export interface ProbeWriteOptions {
  /** `last_tested`: ISO date-time, e.g. `2026-11-26T10:15:00Z`. */
  testedAt: string;
  /** `last_updated`: ISO date. */
  todayIsoDate: string;
}

export interface ProbeWriteReport {
  /** Models whose entry changed. */
  updated: string[];
  /** Models left alone, with why. */
  skipped: { id: string; reason: string }[];
}

/** Applies the results; returns what changed. Marks the registry updated when anything did. */
export function applyProbeResults(
  doc: Document,
  results: readonly ModelProbeResult[],
  options: ProbeWriteOptions,
): ProbeWriteReport {
  const report: ProbeWriteReport = { updated: [], skipped: [] };
  for (const result of results) {
    if (findModelNode(doc, result.model) === undefined) {
      report.skipped.push({ id: result.model, reason: 'not in the registry (add it with `rotor discover`)' });
      continue;
    }
    if (result.verdict === 'untested') {
      report.skipped.push({ id: result.model, reason: 'no samples' });
      continue;
    }
    applyOne(doc, result, options.testedAt);
    report.updated.push(result.model);
  }
  if (report.updated.length > 0) markUpdated(doc, options.todayIsoDate);
  return report;
}

function applyOne(doc: Document, result: ModelProbeResult, testedAt: string): void {
  const id = result.model;
  switch (result.verdict) {
    case 'retired':
      retireModel(doc, id, `${result.reason ?? 'not found'} (rotor probe, ${testedAt.slice(0, 10)})`);
      return; // figures of a model that is gone mean nothing
    case 'incompatible':
      setModelStatus(doc, id, 'incompatible', result.reason ?? 'refused the probe as unsupported');
      removeFromRotation(doc, [id]);
      break;
    case 'verified':
    case 'rate_limited':
      setModelStatus(doc, id, result.verdict);
      updateModelFields(doc, id, { incompatible_reason: undefined });
      break;
    case 'failing':
      // No status says "failing": keep the status; the measured success rate of 0 ranks it last.
      break;
  }
  const capabilities: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(result.capabilities))
    capabilities[`capabilities.${name}`] = value;
  updateModelFields(doc, id, capabilities);
  if (result.attempts > 0) writeMeasured(doc, id, result, testedAt);
}

function writeMeasured(doc: Document, id: string, result: ModelProbeResult, testedAt: string): void {
  const rounded = (ms: number | null) => (ms === null ? undefined : Math.round(ms));
  const fields: Record<string, number | string | undefined> = {
    'measured.p50_ms': rounded(result.p50Ms),
    'measured.p95_ms': rounded(result.p95Ms),
    'measured.ttft_ms': rounded(result.ttftP50Ms),
    'measured.success_rate':
      result.successRate === null ? undefined : Math.round(result.successRate * 1000) / 1000,
    'measured.samples': result.attempts,
    'measured.last_tested': testedAt,
  };
  const entries = Object.entries(fields);
  // Sets first, so `measured` exists before anything in it is deleted. Figures this probe could
  // not take (no success: no latency) are removed rather than left stale beside the new ones.
  updateModelFields(doc, id, Object.fromEntries(entries.filter(([, value]) => value !== undefined)));
  const stale = entries.filter(([key, value]) => value === undefined && hasIn(doc, id, key));
  updateModelFields(doc, id, Object.fromEntries(stale));
  const measured = findModelNode(doc, id)?.get('measured', true);
  if (isMap(measured)) sortKeys(measured as YAMLMap, MEASURED_KEY_ORDER);
}

function hasIn(doc: Document, id: string, dotPath: string): boolean {
  return findModelNode(doc, id)?.hasIn(dotPath.split('.')) ?? false;
}

/** Pairs move with their comments, so sorting keeps them. */
function sortKeys(map: YAMLMap, order: readonly string[]): void {
  const rank = (pair: Pair) => {
    const index = order.indexOf(String(isScalar(pair.key) ? pair.key.value : pair.key));
    return index === -1 ? order.length : index;
  };
  (map.items as Pair[]).sort((a, b) => rank(a) - rank(b));
}
