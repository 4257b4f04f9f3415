/**
 * The provider accounts whose quota rotor paces (every pooled provider; OpenRouter keeps its own
 * `:free` counting in `account-quota.ts`): for each account its limits (from the provider
 * catalog) and the state of each window, per model or account-wide. The engine asks it whether a
 * (provider, model) pair has room for a request, counts admitted attempts, and feeds it what
 * responses and 429s say. Pure bookkeeping; time comes in as `nowMs`.
 */
import { isLongWindow, type QuotaWindow } from '../providers/quota-window.js';
import { windowWords } from '../providers/window-words.js';
import {
  blockWindow,
  chargeWindow,
  effectiveLimit,
  newWindowState,
  observeWindow,
  type PacedLimit,
  type PacedWindowState,
  type QuotaReport,
  requestCost,
  roomAtMs,
  settleWindow,
  tooLarge,
  usedAmount,
} from './provider-quota.js';

/** One window of one account as status, metrics and dashboards show it. */
export interface PacedQuotaSnapshot {
  account: string;
  window: QuotaWindow;
  per: 'model' | 'account';
  /** The engine's model id for a per-model window; null for an account-wide one. */
  model: string | null;
  limit: number | null;
  used: number;
  remaining: number | null;
  /** `fixed` | `rolling` | `continuous`, or `reported` for a window only the provider's answers named. */
  rule: string;
  /** End of the current fixed window, epoch ms. */
  resetAtMs: number | null;
  blockedUntilMs: number | null;
  blockedDetail: string | null;
}

/** Why a pair has no room now. */
export interface PacedGap {
  untilMs: number;
  per: 'model' | 'account';
  detail: string;
}

/** What one admitted attempt was counted as, so it can be given back or corrected. */
export interface PacedCharge {
  /** Never sent: give everything back. */
  refund(nowMs: number): void;
  /** The answer's real token count replaces the estimate in token windows the headers did not already correct. */
  correct(totalTokens: number, nowMs: number): void;
  /** The estimate the token windows were charged with. */
  readonly tokens: number;
}

interface Account {
  limits: PacedLimit[];
  /** key (`''` or model id) → window → state. */
  windows: Map<string, Map<QuotaWindow, PacedWindowState>>;
}

export class PacedAccounts {
  private readonly accounts = new Map<string, Account>();

  has(account: string): boolean {
    return this.accounts.has(account);
  }

  /** Set (or replace) an account's limits; the windows' state is kept. */
  setLimits(account: string, limits: readonly PacedLimit[]): void {
    const a = this.accounts.get(account);
    if (a) a.limits = [...limits];
    else this.accounts.set(account, { limits: [...limits], windows: new Map() });
  }

  limits(account: string): readonly PacedLimit[] {
    return this.accounts.get(account)?.limits ?? [];
  }

  /**
   * When `model` (reached as `upstreamId`) has room for a request of `tokens` estimated tokens in
   * every window; undefined if it has room now. The latest window decides.
   */
  gap(
    account: string,
    model: string,
    upstreamId: string,
    tokens: number,
    nowMs: number,
  ): PacedGap | undefined {
    const a = this.accounts.get(account);
    if (!a) return undefined;
    let worst: PacedGap | undefined;
    this.forEachWindow(a, model, nowMs, (state, spec, per) => {
      const limit = effectiveLimit(state, spec, upstreamId);
      settleWindow(state, spec, limit, nowMs);
      const at = roomAtMs(state, spec, limit, requestCost(state.window, tokens), nowMs);
      if (at === undefined || at <= nowMs || (worst && worst.untilMs >= at)) return;
      const what = `${windowWords(state.window)}${per === 'model' ? ' of this model' : ''}`;
      worst = {
        untilMs: at,
        per,
        detail:
          state.blockedUntilMs !== undefined && state.blockedUntilMs >= at
            ? `${account}: ${what} spent (${state.blockedDetail ?? 'blocked'})`
            : `${account}: ${what} used up (${formatAmount(usedAmount(state))} of ${formatAmount(limit ?? 0)}, counted locally)`,
      };
    });
    return worst;
  }

  /** The account's limit on requests in flight at once (GitHub Models: 5 per model), if it has one. */
  concurrencyLimit(
    account: string,
    upstreamId: string,
  ): { limit: number; per: 'model' | 'account' } | undefined {
    const spec = this.accounts.get(account)?.limits.find((l) => l.window === 'concurrency');
    const limit = spec && (spec.byModel?.[upstreamId] ?? spec.limit);
    return spec && limit !== undefined && limit > 0 ? { limit, per: spec.per } : undefined;
  }

  /**
   * The share of `model`'s budget left now, 0..1: the tightest of its windows (a blocked one is 0;
   * 1 when none has a known limit). Hedges, which cost quota, are not sent where it is low.
   */
  shareLeft(account: string, model: string, upstreamId: string, nowMs: number): number {
    const a = this.accounts.get(account);
    if (!a) return 1;
    let share = 1;
    this.forEachWindow(a, model, nowMs, (state, spec) => {
      const limit = effectiveLimit(state, spec, upstreamId);
      settleWindow(state, spec, limit, nowMs);
      if (state.blockedUntilMs !== undefined && state.blockedUntilMs > nowMs) share = 0;
      else if (limit !== undefined && limit > 0)
        share = Math.min(share, Math.max(0, limit - usedAmount(state)) / limit);
    });
    return share;
  }

  /** Why a request of `tokens` can never fit `model`'s budget (a window smaller than the request), if so. */
  tooLarge(
    account: string,
    model: string,
    upstreamId: string,
    tokens: number,
    nowMs: number,
  ): string | undefined {
    const a = this.accounts.get(account);
    if (!a || tokens <= 0) return undefined;
    let why: string | undefined;
    this.forEachWindow(a, model, nowMs, (state, spec) => {
      if (
        why !== undefined ||
        requestCost(state.window, tokens) !== tokens ||
        !state.window.startsWith('tokens')
      )
        return;
      const limit = effectiveLimit(state, spec, upstreamId);
      if (tooLarge(state, limit, tokens)) {
        const budget = limit !== undefined && tokens > limit ? ` (${formatAmount(limit)})` : '';
        why = `needs ~${formatAmount(tokens)} tokens: more than ${account}'s whole ${windowWords(state.window)} budget${budget}`;
      }
    });
    return why;
  }

  /** Count an admitted attempt: one request, `tokens` estimated tokens. */
  charge(
    account: string,
    model: string,
    upstreamId: string,
    tokens: number,
    nowMs: number,
  ): PacedCharge | undefined {
    const a = this.accounts.get(account);
    if (!a) return undefined;
    const charged: Array<{ state: PacedWindowState; spec: PacedLimit; amount: number; observed: number }> =
      [];
    this.forEachWindow(a, model, nowMs, (state, spec) => {
      if (!spec) return; // a window only answers named: its count comes from them
      const cost = requestCost(state.window, tokens);
      if (cost <= 0) return;
      settleWindow(state, spec, effectiveLimit(state, spec, upstreamId), nowMs);
      chargeWindow(state, spec, cost, nowMs);
      charged.push({ state, spec, amount: cost, observed: state.observed });
    });
    let settled = false;
    return {
      tokens,
      refund: (now) => {
        if (settled) return;
        settled = true;
        for (const c of charged) {
          settleWindow(c.state, c.spec, effectiveLimit(c.state, c.spec, upstreamId), now);
          chargeWindow(c.state, c.spec, -c.amount, now);
        }
      },
      correct: (totalTokens, now) => {
        if (settled) return;
        settled = true;
        for (const c of charged) {
          if (!c.state.window.startsWith('tokens') || c.state.observed !== c.observed) continue;
          settleWindow(c.state, c.spec, effectiveLimit(c.state, c.spec, upstreamId), now);
          chargeWindow(c.state, c.spec, totalTokens - c.amount, now);
        }
      },
    };
  }

  /** What a response's quota headers said (each report's `per` is used only when the catalog has no limit for its window). */
  observe(
    account: string,
    model: string,
    upstreamId: string,
    reports: readonly QuotaReport[],
    nowMs: number,
  ): void {
    const a = this.accounts.get(account);
    if (!a) return;
    for (const report of reports) {
      const spec = a.limits.find((l) => l.window === report.window);
      const per = spec?.per ?? report.per ?? 'model';
      observeWindow(
        this.state(a, per === 'model' ? model : '', report.window, nowMs),
        spec,
        report,
        upstreamId,
        nowMs,
      );
    }
  }

  /** A 429 for `window`: no room there until `untilMs`. */
  block(
    account: string,
    model: string,
    window: QuotaWindow,
    per: 'model' | 'account',
    untilMs: number,
    detail: string,
    nowMs: number,
  ): void {
    const a = this.accounts.get(account);
    if (!a) return;
    blockWindow(this.state(a, per === 'model' ? model : '', window, nowMs), untilMs, detail);
  }

  /** The provider said a request of `tokens` is larger than the whole of `window`: never send one that large there again. */
  learnTooLarge(
    account: string,
    model: string,
    window: QuotaWindow,
    per: 'model' | 'account',
    tokens: number,
    nowMs: number,
  ): void {
    const a = this.accounts.get(account);
    if (!a || tokens <= 0) return;
    const state = this.state(a, per === 'model' ? model : '', window, nowMs);
    state.tooLargeFrom = Math.min(state.tooLargeFrom ?? tokens, tokens);
  }

  /** Every window with state, and every account-wide limit, as of `nowMs`. */
  snapshot(nowMs: number, upstreamIdOf: (model: string) => string): PacedQuotaSnapshot[] {
    const out: PacedQuotaSnapshot[] = [];
    for (const [account, a] of this.accounts) {
      for (const spec of a.limits) {
        if (spec.per === 'account' && spec.window !== 'concurrency') this.state(a, '', spec.window, nowMs);
      }
      for (const [key, windows] of a.windows) {
        for (const state of windows.values()) {
          const spec = a.limits.find((l) => l.window === state.window);
          const per = key === '' ? 'account' : 'model';
          const limit = effectiveLimit(state, spec, key === '' ? undefined : upstreamIdOf(key));
          settleWindow(state, spec, limit, nowMs);
          const used = Math.round(usedAmount(state));
          out.push({
            account,
            window: state.window,
            per,
            model: key === '' ? null : key,
            limit: limit ?? null,
            used,
            remaining: limit === undefined ? null : Math.max(0, Math.floor(limit - usedAmount(state))),
            rule: spec?.reset.rule ?? 'reported',
            resetAtMs: state.resetAtMs ?? null,
            blockedUntilMs: state.blockedUntilMs ?? null,
            blockedDetail: state.blockedDetail ?? null,
          });
        }
      }
    }
    return out;
  }

  toJSON(nowMs: number): Record<string, PacedWindowState[]> {
    const out: Record<string, PacedWindowState[]> = {};
    for (const [account, a] of this.accounts) {
      const states: PacedWindowState[] = [];
      for (const windows of a.windows.values()) {
        for (const state of windows.values()) {
          const spec = a.limits.find((l) => l.window === state.window);
          settleWindow(state, spec, effectiveLimit(state, spec, undefined), nowMs);
          states.push(structuredClone(state));
        }
      }
      if (states.length > 0) out[account] = states;
    }
    return out;
  }

  /** Replace every window's state with a saved one; limits stay as configured (accounts not configured are kept for later). */
  restore(saved: Record<string, PacedWindowState[]> | undefined): void {
    for (const a of this.accounts.values()) a.windows.clear();
    for (const [account, states] of Object.entries(saved ?? {})) {
      let a = this.accounts.get(account);
      if (!a) {
        a = { limits: [], windows: new Map() };
        this.accounts.set(account, a);
      }
      for (const s of states) this.windowsOf(a, s.key).set(s.window, structuredClone(s));
    }
  }

  /** Per-model windows of `model` and the account-wide ones, with their spec; creates state for every limit. */
  private forEachWindow(
    a: Account,
    model: string,
    nowMs: number,
    visit: (state: PacedWindowState, spec: PacedLimit | undefined, per: 'model' | 'account') => void,
  ): void {
    for (const spec of a.limits) {
      if (spec.window === 'concurrency') continue;
      visit(this.state(a, spec.per === 'model' ? model : '', spec.window, nowMs), spec, spec.per);
    }
    // Windows no limit names (known only from headers or 429s): their blocks and counts still hold.
    for (const [key, per] of [
      [model, 'model'],
      ['', 'account'],
    ] as const) {
      for (const state of a.windows.get(key)?.values() ?? []) {
        if (!a.limits.some((l) => l.window === state.window && l.per === per)) visit(state, undefined, per);
      }
    }
  }

  private windowsOf(a: Account, key: string): Map<QuotaWindow, PacedWindowState> {
    let windows = a.windows.get(key);
    if (!windows) {
      windows = new Map();
      a.windows.set(key, windows);
    }
    return windows;
  }

  private state(a: Account, key: string, window: QuotaWindow, nowMs: number): PacedWindowState {
    const windows = this.windowsOf(a, key);
    let state = windows.get(window);
    if (!state) {
      state = newWindowState(window, key, nowMs);
      windows.set(window, state);
    }
    return state;
  }
}

/** Whether a spent `window` parks its holder for hours (a day, week, month or session). */
export function isLongQuotaWindow(window: QuotaWindow): boolean {
  return isLongWindow(window);
}

function formatAmount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
