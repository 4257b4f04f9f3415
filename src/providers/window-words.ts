/**
 * A quota window in words, the same wherever rotor names one (`rotor status`, the dashboard,
 * engine explanations, the README table): `requests/day`, `tokens/min`, `concurrent requests`.
 */
import { type QuotaPeriod, type QuotaWindow, windowPeriod } from './quota-window.js';

const PERIOD_WORDS: Readonly<Record<QuotaPeriod, string>> = {
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

/** `minute` → `min`, `10_seconds` → `10 s`, `unknown` → `window`. */
export function periodWords(period: QuotaPeriod): string {
  return PERIOD_WORDS[period];
}

/**
 * `requests_day` → `requests/day` (`request/day` when `one`: a figure of 1);
 * `concurrency` → `concurrent requests`.
 */
export function windowWords(window: QuotaWindow, one = false): string {
  if (window === 'concurrency') return 'concurrent requests';
  const metrics = window.slice(0, window.indexOf('_'));
  const metric = one ? metrics.replace(/s$/, '') : metrics;
  return `${metric}/${periodWords(windowPeriod(window)!)}`;
}
