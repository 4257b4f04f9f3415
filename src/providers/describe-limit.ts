/**
 * A limit in words, for `rotor status`, the dashboard and the README table:
 * "Groq: 14,400 requests/day per model, refills continuously".
 */
import type { ProviderLimit } from './provider-catalog-schema.js';
import { windowPeriod } from './quota-window.js';
import { periodWords, windowWords } from './window-words.js';

/** `14,400 requests/day per model, refills continuously`; `model` picks a `by_model` figure. */
export function describeLimit(limit: ProviderLimit, model?: string): string {
  const figure = (model !== undefined ? limit.by_model?.[model] : undefined) ?? limit.limit;
  const amount = figure === undefined ? 'unknown' : figure.toLocaleString('en-US');
  return `${limitWhat(limit, amount, figure === 1)} ${limitWho(limit)}, ${describeReset(limit)}`;
}

/**
 * A provider's limits in one line, windows that share who counts and how they reset together:
 * "30 requests/min, 1,000–14,400 requests/day per model, refills continuously". `figures` gives
 * the figures in force for a window (one per model, learned or the catalog's); without them the
 * catalog's figures (`limit` and `by_model`) are used. A window with no figure at all is left out.
 */
export function describeProviderLimits(
  limits: readonly ProviderLimit[],
  figures: (limit: ProviderLimit) => readonly number[] = () => [],
): string {
  const groups = new Map<string, string[]>();
  for (const limit of limits) {
    let known = [...figures(limit)];
    if (known.length === 0)
      known = [...(limit.limit === undefined ? [] : [limit.limit]), ...Object.values(limit.by_model ?? {})];
    if (known.length === 0) continue;
    const low = Math.min(...known);
    const high = Math.max(...known);
    const amount =
      low === high
        ? low.toLocaleString('en-US')
        : `${low.toLocaleString('en-US')}–${high.toLocaleString('en-US')}`;
    // Concurrency does not reset: it frees a slot when an answer ends.
    const reset = limit.window === 'concurrency' ? '' : describeReset(limit);
    const key = `${limitWho(limit)}\u0000${reset}`;
    const items = groups.get(key) ?? [];
    items.push(limitWhat(limit, amount, low === 1 && high === 1));
    groups.set(key, items);
  }
  return [...groups]
    .map(([key, items]) => {
      const [who, reset] = key.split('\u0000') as [string, string];
      return `${items.join(', ')} ${who}${reset ? `, ${reset}` : ''}`;
    })
    .join('; ');
}

/** `14,400 requests/day`, `5 requests at once`, `1 request/second`. */
function limitWhat(limit: ProviderLimit, amount: string, one: boolean): string {
  if (limit.window === 'concurrency') return `${amount} requests at once`;
  const session = windowPeriod(limit.window) === 'session' && limit.period_s;
  const sessionWords = session ? ` (${formatSeconds(limit.period_s!)})` : '';
  return `${amount} ${windowWords(limit.window, one)}${sessionWords}`;
}

/** `per model`, `per project`. */
function limitWho(limit: ProviderLimit): string {
  return limit.per === 'model' ? 'per model' : `per ${limit.holder}`;
}

function describeReset(limit: ProviderLimit): string {
  const reset = limit.reset;
  if (reset.rule === 'continuous') return 'refills continuously';
  if (reset.rule === 'rolling') return 'rolling window';
  const period = windowPeriod(limit.window);
  const zone = reset.time_zone === 'UTC' ? 'UTC' : reset.time_zone;
  switch (period) {
    case 'day':
      return `resets at midnight ${zone}`;
    case 'week':
      return `resets Monday 00:00 ${zone}`;
    case 'month':
      return `resets on the 1st, 00:00 ${zone}`;
    case 'session':
      return 'resets at each session boundary';
    case 'minute':
      return 'resets at the start of each minute';
    case 'hour':
      return 'resets at the start of each hour';
    default:
      return `resets at the start of each ${periodWords(period ?? 'unknown')}`;
  }
}

function formatSeconds(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600} h` : `${seconds} s`;
}
