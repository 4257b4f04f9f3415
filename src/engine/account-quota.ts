/**
 * Account-wide quota windows for `:free` models, as OpenRouter counts them: a per-minute window
 * aligned to the minute boundary and a per-day window starting at 00:00 UTC. Every attempt counts,
 * failed ones included. Pure functions over `AccountState`.
 */
import type { AccountState } from './engine-state.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** OpenRouter's naming rule: a model whose id ends in `:free` counts against the account's free-model quota. */
export function isFreeModelId(id: string): boolean {
  return id.endsWith(':free');
}

export function minuteStartMs(nowMs: number): number {
  return Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
}

/** 00:00 UTC of the day containing `nowMs`. */
export function dayStartMs(nowMs: number): number {
  return Math.floor(nowMs / DAY_MS) * DAY_MS;
}

export function nextMinuteMs(nowMs: number): number {
  return minuteStartMs(nowMs) + MINUTE_MS;
}

/** The next 00:00 UTC after `nowMs`. */
export function nextUtcMidnightMs(nowMs: number): number {
  return dayStartMs(nowMs) + DAY_MS;
}

export function newAccountState(nowMs: number): AccountState {
  return {
    minute: { startMs: minuteStartMs(nowMs), count: 0 },
    day: { startMs: dayStartMs(nowMs), count: 0 },
  };
}

/** Roll the windows forward if time has moved past them. Returns whether anything changed. */
export function rollWindows(account: AccountState, nowMs: number): boolean {
  let changed = false;
  const minute = minuteStartMs(nowMs);
  if (account.minute.startMs !== minute) {
    account.minute = { startMs: minute, count: 0 };
    changed = true;
  }
  const day = dayStartMs(nowMs);
  if (account.day.startMs !== day) {
    account.day = { startMs: day, count: 0 };
    changed = true;
  }
  return changed;
}

export interface QuotaLimits {
  perMinute: number | undefined;
  perDay: number | undefined;
}

/**
 * Whether the local count says the account is spent, and until when. Local counts only ever
 * under-estimate (other clients may share the key), so this can refuse early but never wrongly late.
 */
export function localQuotaBlock(
  account: AccountState,
  limits: QuotaLimits,
  nowMs: number,
): { scope: 'account_minute' | 'account_day'; untilMs: number } | undefined {
  if (limits.perDay !== undefined && limits.perDay > 0 && account.day.count >= limits.perDay) {
    return { scope: 'account_day', untilMs: nextUtcMidnightMs(nowMs) };
  }
  if (limits.perMinute !== undefined && limits.perMinute > 0 && account.minute.count >= limits.perMinute) {
    return { scope: 'account_minute', untilMs: nextMinuteMs(nowMs) };
  }
  return undefined;
}
