/**
 * `rotor rank`'s logic, pure and deterministic: the speed-optimised rotation order.
 *
 * Success rate first, in buckets so that 0.99 and 1.00 count as a tie; then latency (measured p50,
 * else expected); among near-ties (same bucket, latency within 15 % of the fastest remaining
 * model) a model whose family was not among the last few picks goes first, so the top of the
 * rotation spreads over families — and over their separate upstream rate limits.
 */
import { isFreeModel } from './free-models.js';
import type { ModelStatus, RegistryModel } from './registry-schema.js';

export type LatencyTier = 'ultra-fast' | 'fast' | 'balanced' | 'slow' | 'unknown';

/** Upper bounds (exclusive) of the tiers, ms: ultra-fast < 2 s, fast 2–5 s, balanced 5–15 s, slow. */
export const TIER_UPPER_BOUNDS_MS = { 'ultra-fast': 2_000, fast: 5_000, balanced: 15_000 } as const;

export function latencyTier(latencyMs: number | null | undefined): LatencyTier {
  if (latencyMs === null || latencyMs === undefined) return 'unknown';
  if (latencyMs < TIER_UPPER_BOUNDS_MS['ultra-fast']) return 'ultra-fast';
  if (latencyMs < TIER_UPPER_BOUNDS_MS.fast) return 'fast';
  if (latencyMs < TIER_UPPER_BOUNDS_MS.balanced) return 'balanced';
  return 'slow';
}

export interface RankOptions {
  /** Lower bounds of the success-rate buckets, best first. Default `[0.98, 0.95, 0.9, 0.8, 0.5, 0]`. */
  successBuckets?: readonly number[];
  /** Latencies within this ratio of the fastest remaining model are a near-tie. Default 1.15. */
  nearTieLatencyRatio?: number;
  /** How many previous picks make a family "recently used". Default 3. */
  diversityWindow?: number;
  /**
   * Success rate assumed when none is measured, by status. Default: verified 1 (it passed the check
   * that made it verified), untested and rate_limited 0.5 (below any measured-good model).
   */
  assumedSuccessRate?: Partial<Record<ModelStatus, number>>;
  /** Also rank models that are not free. Default false: this is a rotation of free models. */
  includePaid?: boolean;
}

export interface RankedModel {
  /** 1-based place in the rotation. */
  position: number;
  id: string;
  name: string;
  family: string;
  status: ModelStatus;
  tier: LatencyTier;
  latencyMs: number | null;
  latencySource: 'measured' | 'expected' | 'unknown';
  /** 0–1. */
  successRate: number;
  successSource: 'measured' | 'assumed';
  /** Index into `successBuckets`; 0 is the best. */
  successBucket: number;
  /**
   * Successful answers per second of waiting (success rate ÷ latency in s), for display. The order
   * is by bucket, then latency, then diversity — not by this number. Null when latency is unknown.
   */
  score: number | null;
}

export interface RankResult {
  ranked: RankedModel[];
  /** Models left out, with why (incompatible, retired, not free). */
  excluded: { id: string; reason: string }[];
}

/** Lower bounds of the success-rate buckets, best first (also used by live adaptive ranking). */
export const DEFAULT_SUCCESS_BUCKETS: readonly number[] = [0.98, 0.95, 0.9, 0.8, 0.5, 0];
const DEFAULT_ASSUMED: Record<ModelStatus, number> = {
  verified: 1,
  untested: 0.5,
  rate_limited: 0.5,
  incompatible: 0,
  retired: 0,
};

type Candidate = Omit<RankedModel, 'position'>;

export function rankModels(entries: readonly RegistryModel[], options: RankOptions = {}): RankResult {
  const buckets = options.successBuckets ?? DEFAULT_SUCCESS_BUCKETS;
  const ratio = options.nearTieLatencyRatio ?? 1.15;
  const window = options.diversityWindow ?? 3;
  const assumed = { ...DEFAULT_ASSUMED, ...options.assumedSuccessRate };

  const excluded: RankResult['excluded'] = [];
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.id)) continue;
    seen.add(entry.id);
    const reason = exclusionReason(entry, options.includePaid ?? false);
    if (reason !== undefined) excluded.push({ id: entry.id, reason });
    else candidates.push(toCandidate(entry, buckets, assumed));
  }

  candidates.sort(compareCandidates);
  const ranked: RankedModel[] = [];
  const remaining = candidates;
  while (remaining.length > 0) {
    const head = remaining[0]!;
    const recent = new Set(ranked.slice(Math.max(0, ranked.length - window)).map((model) => model.family));
    let pick = 0;
    for (let i = 0; i < remaining.length && isNearTie(head, remaining[i]!, ratio); i++) {
      if (!recent.has(remaining[i]!.family)) {
        pick = i;
        break;
      }
    }
    const [chosen] = remaining.splice(pick, 1);
    ranked.push({ position: ranked.length + 1, ...chosen! });
  }
  return { ranked, excluded };
}

function exclusionReason(entry: RegistryModel, includePaid: boolean): string | undefined {
  if (entry.status === 'incompatible')
    return `incompatible: ${entry.incompatible_reason ?? 'no reason given'}`;
  if (entry.status === 'retired') return `retired: ${entry.retired_reason ?? 'no reason given'}`;
  if (!includePaid && !isFreeModel(entry.id, entry.pricing))
    return 'not free (no `:free` id, no zero pricing)';
  return undefined;
}

function toCandidate(
  entry: RegistryModel,
  buckets: readonly number[],
  assumed: Record<ModelStatus, number>,
): Candidate {
  const measuredRate = entry.measured?.success_rate;
  const successRate = measuredRate ?? assumed[entry.status];
  const p50 = entry.measured?.p50_ms;
  const latencyMs = p50 ?? entry.expected_latency_ms ?? null;
  return {
    id: entry.id,
    name: entry.name,
    family: entry.family,
    status: entry.status,
    tier: latencyTier(latencyMs),
    latencyMs,
    latencySource: p50 !== undefined ? 'measured' : latencyMs !== null ? 'expected' : 'unknown',
    successRate,
    successSource: measuredRate !== undefined ? 'measured' : 'assumed',
    successBucket: bucketOf(successRate, buckets),
    score: latencyMs === null ? null : successRate / Math.max(latencyMs / 1000, 0.001),
  };
}

/** Index of the bucket a success rate falls in (0 is the best); `buckets` are lower bounds, best first. */
export function bucketOf(successRate: number, buckets: readonly number[] = DEFAULT_SUCCESS_BUCKETS): number {
  const index = buckets.findIndex((lowerBound) => successRate >= lowerBound);
  return index === -1 ? buckets.length : index;
}

/** Bucket, then latency (unknown last), then id: a total order, so ranking is deterministic. */
function compareCandidates(a: Candidate, b: Candidate): number {
  if (a.successBucket !== b.successBucket) return a.successBucket - b.successBucket;
  if (a.latencyMs !== b.latencyMs) {
    if (a.latencyMs === null) return 1;
    if (b.latencyMs === null) return -1;
    return a.latencyMs - b.latencyMs;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** `other` (sorted after `head`) is close enough to `head` to be reordered for diversity. */
function isNearTie(head: Candidate, other: Candidate, ratio: number): boolean {
  if (other.successBucket !== head.successBucket) return false;
  if (head.latencyMs === null || other.latencyMs === null) return head.latencyMs === other.latencyMs;
  return other.latencyMs <= head.latencyMs * ratio;
}
