/**
 * What a provider's response headers say about its quota, normalised to one shape per window:
 * limit, remaining, and when it resets. Which headers mean what is data (the catalog's
 * `quota_headers`): Groq's `x-ratelimit-*-requests` is the DAY window with Go-duration resets,
 * Cerebras sends a minute/hour/day set, Mistral `-req-minute` / `-tokens-month`, GitHub names the
 * window in `x-ratelimit-type`, OpenRouter's reset is epoch ms. Pure: time comes in as `nowMs`.
 */
import { parseResetMs } from '../upstream/classify.js';
import { parseGoDurationMs } from './go-duration.js';
import { type HeaderMap, headerText } from './header-lookup.js';
import type { Provider, QuotaHeaderSpec } from './provider-catalog-schema.js';
import { nextBoundaryMs, type QuotaWindow, windowPeriod } from './quota-window.js';
import { limitFor } from './window-reset.js';

/** One window's state as a response reported it. */
export interface QuotaObservation {
  window: QuotaWindow;
  limit?: number;
  remaining?: number;
  /** When the window has room again (or refills completely), epoch ms. */
  resetAtMs?: number;
  /** The figure was advertised but is known not to bind (GitHub's 200s): learn from it with care. */
  advisory?: true;
}

/**
 * Every window the headers report on, in catalog order. A window with a fixed clock reset and no
 * reset header gets its boundary from the catalog (Mistral's wall-clock minute).
 */
export function parseQuotaHeaders(provider: Provider, headers: HeaderMap, nowMs: number): QuotaObservation[] {
  const byWindow = new Map<QuotaWindow, QuotaObservation>();
  for (const spec of provider.quota_headers) {
    const raw = headerText(headers, spec.name);
    if (raw === undefined) continue;
    const window = specWindow(provider, spec, headers);
    if (window === undefined) continue;
    const value = parseValue(spec, raw, nowMs);
    if (value === undefined) continue;
    let obs = byWindow.get(window);
    if (!obs) {
      obs = { window };
      byWindow.set(window, obs);
    }
    if (spec.field === 'reset') obs.resetAtMs = value;
    else obs[spec.field] = value;
    if (spec.advisory) obs.advisory = true;
  }
  for (const obs of byWindow.values()) {
    if (obs.resetAtMs !== undefined) continue;
    const limit = limitFor(provider, obs.window);
    const period = windowPeriod(obs.window);
    if (limit?.reset.rule !== 'fixed' || period === undefined) continue;
    const sessionMs = limit.period_s === undefined ? undefined : limit.period_s * 1000;
    const boundary = nextBoundaryMs(nowMs, period, limit.reset.time_zone, sessionMs);
    if (boundary !== undefined) obs.resetAtMs = boundary;
  }
  return [...byWindow.values()];
}

function specWindow(provider: Provider, spec: QuotaHeaderSpec, headers: HeaderMap): QuotaWindow | undefined {
  if (spec.window !== undefined) return spec.window;
  const type = spec.window_from === undefined ? undefined : headerText(headers, spec.window_from);
  return type === undefined ? undefined : provider.window_types[type];
}

/** The header's value: a count, or for `reset` an absolute epoch ms. Undefined when unreadable. */
function parseValue(spec: QuotaHeaderSpec, raw: string, nowMs: number): number | undefined {
  if (spec.field !== 'reset') {
    const n = Number(raw);
    return Number.isFinite(n) && n >= 0 && raw !== '' ? n : undefined;
  }
  switch (spec.format) {
    case 'go_duration': {
      const ms = parseGoDurationMs(raw);
      return ms === undefined ? undefined : Math.round(nowMs + ms);
    }
    case 'seconds':
    case 'number': {
      const s = Number(raw);
      return Number.isFinite(s) && s >= 0 ? Math.round(nowMs + s * 1000) : undefined;
    }
    case 'epoch_ms': {
      const ms = Number(raw);
      return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : undefined;
    }
    case 'epoch':
      return parseResetMs(raw);
  }
}
