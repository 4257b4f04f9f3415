/**
 * When a spent window is expected to be usable again, from the provider's limit model and the
 * server's own hint. A fixed clock boundary is authoritative (Gemini's per-day `retryDelay` of
 * 22 s is wrong by hours, PROVIDERS.md §0.1.5); for rolling and continuous windows the hint is
 * the best estimate, and without one we assume the worst case of one whole period.
 */
import type { Provider, ProviderLimit } from './provider-catalog-schema.js';
import { nextBoundaryMs, periodLengthMs, type QuotaWindow, windowPeriod } from './quota-window.js';

/** The catalog's limit for `window`, else one with the same period (a `requests_day` rule on a provider that lists only `tokens_day`). */
export function limitFor(provider: Provider, window: QuotaWindow): ProviderLimit | undefined {
  const exact = provider.limits.find((l) => l.window === window);
  if (exact) return exact;
  const period = windowPeriod(window);
  if (period === undefined || period === 'unknown') return undefined;
  return provider.limits.find((l) => windowPeriod(l.window) === period);
}

/**
 * Epoch ms at which `window` should have room again. `hintMs` is the server's relative wait
 * (message, body or header), if any.
 */
export function windowResetAtMs(
  provider: Provider,
  window: QuotaWindow,
  hintMs: number | undefined,
  nowMs: number,
): number {
  const limit = limitFor(provider, window);
  const period = windowPeriod(window);
  const sessionMs = limit?.period_s === undefined ? undefined : limit.period_s * 1000;
  if (limit?.reset.rule === 'fixed' && period !== undefined) {
    const boundary = nextBoundaryMs(nowMs, period, limit.reset.time_zone, sessionMs);
    if (boundary !== undefined) return boundary;
  }
  if (hintMs !== undefined) return Math.round(nowMs + hintMs);
  const lengthMs = period === undefined ? undefined : periodLengthMs(period, sessionMs);
  return nowMs + (lengthMs ?? provider.unknown_limit_cooldown_s * 1000);
}
