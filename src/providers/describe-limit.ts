/**
 * A limit in words, for `rotor status`, the dashboard and the README table:
 * "Groq: 14,400 requests/day per model, refills continuously".
 */
import type { ProviderLimit } from './provider-catalog-schema.js';
import { windowPeriod } from './quota-window.js';

const PERIOD_WORDS: Readonly<Record<string, string>> = {
  second: 'second',
  '10_seconds': '10 s',
  minute: 'min',
  hour: 'hour',
  day: 'day',
  week: 'week',
  month: 'month',
  session: 'session',
  unknown: 'window',
};

/** `14,400 requests/day per model, refills continuously`; `model` picks a `by_model` figure. */
export function describeLimit(limit: ProviderLimit, model?: string): string {
  const figure = (model !== undefined ? limit.by_model?.[model] : undefined) ?? limit.limit;
  const amount = figure === undefined ? 'unknown' : figure.toLocaleString('en-US');
  let what: string;
  if (limit.window === 'concurrency') {
    what = `${amount} requests at once`;
  } else {
    const metrics = limit.window.slice(0, limit.window.indexOf('_'));
    const metric = figure === 1 ? metrics.replace(/s$/, '') : metrics;
    const period = windowPeriod(limit.window)!;
    const sessionWords = period === 'session' && limit.period_s ? ` (${formatSeconds(limit.period_s)})` : '';
    what = `${amount} ${metric}/${PERIOD_WORDS[period]}${sessionWords}`;
  }
  const who = limit.per === 'model' ? 'per model' : `per ${limit.holder}`;
  return `${what} ${who}, ${describeReset(limit)}`;
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
      return `resets at the start of each ${PERIOD_WORDS[period ?? 'unknown']}`;
  }
}

function formatSeconds(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600} h` : `${seconds} s`;
}
