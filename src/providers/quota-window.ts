/**
 * The vocabulary of provider limits: a window is a metric counted over a period
 * (`requests_minute`, `tokens_day`, `neurons_day`, …), and each window resets by one of three
 * rules — a fixed clock boundary in a time zone (Gemini's midnight Pacific, Cloudflare's 00:00 UTC,
 * Mistral's wall-clock minute), a rolling window (GitHub's "per 86400s"), or continuous refill
 * (Groq's daily bucket refills at limit/86 400 per second). Pure: time comes in as `nowMs`.
 */

/** What a limit counts. `neurons` is Cloudflare's unit; `usage` an opaque share (Ollama Cloud). */
export const QUOTA_METRICS = ['requests', 'tokens', 'neurons', 'usage'] as const;
export type QuotaMetric = (typeof QUOTA_METRICS)[number];

/**
 * The period a limit is counted over. `session` is Ollama Cloud's 5-hour window (its length is the
 * limit's `period_s`); `unknown` is for limits a provider reports without saying the period.
 */
export const QUOTA_PERIODS = [
  'second',
  '10_seconds',
  'minute',
  'hour',
  'day',
  'week',
  'month',
  'session',
  'unknown',
] as const;
export type QuotaPeriod = (typeof QUOTA_PERIODS)[number];

/** `requests_minute`, `tokens_day`, … and `concurrency` (requests in flight at once). */
export type QuotaWindow = `${QuotaMetric}_${QuotaPeriod}` | 'concurrency';

export const QUOTA_WINDOWS: readonly QuotaWindow[] = [
  ...QUOTA_METRICS.flatMap((metric) => QUOTA_PERIODS.map((period) => `${metric}_${period}` as const)),
  'concurrency',
];

/** Who a limit is counted for: one model, or the whole account (org, project, user, workspace). */
export type QuotaHolder = 'model' | 'account';

/** The period of a window (`tokens_day` → `day`); `concurrency` has none. */
export function windowPeriod(window: QuotaWindow): QuotaPeriod | undefined {
  if (window === 'concurrency') return undefined;
  return window.slice(window.indexOf('_') + 1) as QuotaPeriod;
}

/** Day-scale windows: spending one parks the provider (or model) for hours, so the request moves on at once. */
export function isLongWindow(window: QuotaWindow): boolean {
  const period = windowPeriod(window);
  return period === 'day' || period === 'week' || period === 'month' || period === 'session';
}

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Nominal length of a period, ms (a month counts 30 days); undefined for `unknown`/`session` without a length. */
export function periodLengthMs(period: QuotaPeriod, sessionMs?: number): number | undefined {
  switch (period) {
    case 'second':
      return SECOND_MS;
    case '10_seconds':
      return 10 * SECOND_MS;
    case 'minute':
      return MINUTE_MS;
    case 'hour':
      return HOUR_MS;
    case 'day':
      return DAY_MS;
    case 'week':
      return 7 * DAY_MS;
    case 'month':
      return 30 * DAY_MS;
    case 'session':
      return sessionMs;
    case 'unknown':
      return undefined;
  }
}

/**
 * The first boundary of `period` strictly after `nowMs`, on the wall clock of `timeZone`: the next
 * whole second/minute/hour, the next local midnight, the next Monday 00:00, the first of the next
 * month. `session` windows are aligned to the epoch (`sessionMs` long), as Ollama Cloud's are.
 * DST is handled: "midnight Pacific" is 08:00 UTC in winter and 07:00 UTC in summer.
 */
export function nextBoundaryMs(
  nowMs: number,
  period: QuotaPeriod,
  timeZone: string,
  sessionMs?: number,
): number | undefined {
  if (period === 'unknown') return undefined;
  if (period === 'session') {
    if (sessionMs === undefined || sessionMs <= 0) return undefined;
    return Math.floor(nowMs / sessionMs) * sessionMs + sessionMs;
  }
  // Wall-clock fields of `nowMs` in the zone, written as if they were UTC.
  const local = new Date(nowMs + zoneOffsetMs(nowMs, timeZone));
  const y = local.getUTCFullYear();
  const mo = local.getUTCMonth();
  const d = local.getUTCDate();
  const h = local.getUTCHours();
  const mi = local.getUTCMinutes();
  const s = local.getUTCSeconds();
  let nextLocal: number;
  switch (period) {
    case 'second':
      nextLocal = Date.UTC(y, mo, d, h, mi, s + 1);
      break;
    case '10_seconds':
      nextLocal = Date.UTC(y, mo, d, h, mi, Math.floor(s / 10) * 10 + 10);
      break;
    case 'minute':
      nextLocal = Date.UTC(y, mo, d, h, mi + 1);
      break;
    case 'hour':
      nextLocal = Date.UTC(y, mo, d, h + 1);
      break;
    case 'day':
      nextLocal = Date.UTC(y, mo, d + 1);
      break;
    case 'week': {
      // Weeks start on Monday (ISO 8601), as Ollama Cloud's weekly limit does.
      const daysToMonday = (8 - local.getUTCDay()) % 7 || 7;
      nextLocal = Date.UTC(y, mo, d + daysToMonday);
      break;
    }
    case 'month':
      nextLocal = Date.UTC(y, mo + 1, 1);
      break;
  }
  return localToUtcMs(nextLocal, timeZone);
}

/** Whether `timeZone` is an IANA zone this Node knows (`UTC`, `America/Los_Angeles`, …). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Local wall-clock time minus UTC at instant `utcMs`, ms (−8 h for Los Angeles in winter). */
function zoneOffsetMs(utcMs: number, timeZone: string): number {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(utcMs))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(
    fields['year']!,
    fields['month']! - 1,
    fields['day']!,
    fields['hour']!,
    fields['minute']!,
    fields['second']!,
  );
  return asUtc - (utcMs - (((utcMs % SECOND_MS) + SECOND_MS) % SECOND_MS));
}

/** The instant whose wall clock in `timeZone` reads `localMs` (fields written as UTC). */
function localToUtcMs(localMs: number, timeZone: string): number {
  // Two passes settle the offset even when the boundary and "now" sit on opposite sides of a DST change.
  let guess = localMs - zoneOffsetMs(localMs, timeZone);
  guess = localMs - zoneOffsetMs(guess, timeZone);
  return guess;
}
