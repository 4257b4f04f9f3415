/**
 * `rotor status` for a gateway that pools providers: the models grouped by provider (pair ids,
 * OpenRouter's bare ids under `openrouter`), each group under one quota line — the provider's
 * limits and reset rule in words ("30 requests/min, 1,000–14,400 requests/day … per model, refills
 * continuously"), its account-wide usage, a block if any, and its latest model-list check — and a
 * QUOTA column with each pair's fullest window. Pure: it reads the status JSON only.
 */
import { z } from 'zod';
import { type Colour, paint } from './format-table.js';

const quotaSchema = z.looseObject({
  window: z.string(),
  per: z.string(),
  model: z.string().nullable(),
  limit: z.number().nullable(),
  used: z.number(),
  resetAtMs: z.number().nullable().optional(),
  blockedUntilMs: z.number().nullable(),
  blockedDetail: z.string().nullable().optional(),
});

export const providersStatusSchema = z.looseObject({
  joined: z.array(
    z.looseObject({
      id: z.string(),
      name: z.string(),
      models: z.array(z.string()),
      /** The limits in one line of words; absent from gateways that predate it. */
      rule: z.string().optional(),
      limits: z.array(z.string()).optional(),
      quotas: z.array(quotaSchema),
      reconcile: z
        .looseObject({
          atMs: z.number(),
          ok: z.boolean(),
          error: z.string().optional(),
          listed: z.number(),
          changes: z.array(z.looseObject({ type: z.string(), model: z.string().optional() })),
        })
        .nullable()
        .optional(),
    }),
  ),
  skipped: z.array(z.looseObject({ id: z.string(), reason: z.string() })),
});

export type ProvidersStatus = z.infer<typeof providersStatusSchema>;
type Joined = ProvidersStatus['joined'][number];
type Quota = z.infer<typeof quotaSchema>;

export const OPENROUTER = 'openrouter';

/** The provider a model id belongs to: `groq:…` → groq (a joined provider), anything else → openrouter. */
export function providerOf(model: string, joined: ReadonlySet<string>): string {
  const colon = model.indexOf(':');
  const prefix = colon > 0 ? model.slice(0, colon) : '';
  return joined.has(prefix) ? prefix : OPENROUTER;
}

/** `requests_day` → `requests/day`, `tokens_minute` → `tokens/min`. */
export function windowText(window: string): string {
  if (window === 'concurrency') return 'at once';
  const [metric, ...rest] = window.split('_');
  const period = rest.join('_');
  const words: Record<string, string> = { minute: 'min', '10_seconds': '10 s' };
  return `${metric}/${words[period] ?? period}`;
}

/** The pair's fullest window: `3/1,000 requests/day`, or `spent until 08:00:00`, with its colour. */
export function pairQuota(
  quotas: readonly Quota[],
  nowMs: number,
  clock: (ms: number) => string,
): { text: string; colour?: Colour } {
  const blocked = quotas
    .filter((q) => q.blockedUntilMs !== null && q.blockedUntilMs > nowMs)
    .sort((a, b) => b.blockedUntilMs! - a.blockedUntilMs!)[0];
  if (blocked)
    return {
      text: `${windowText(blocked.window)} spent until ${clock(blocked.blockedUntilMs!)}`,
      colour: 'red',
    };
  // The largest share used; on a tie the longer window (a day says more than a minute).
  let fullest: Quota | undefined;
  for (const q of quotas) {
    if (q.limit === null || q.limit <= 0) continue;
    const share = q.used / q.limit;
    const best = fullest ? fullest.used / fullest.limit! : -1;
    if (share > best || (share === best && periodRank(q.window) > periodRank(fullest!.window))) fullest = q;
  }
  if (!fullest) return { text: '—' };
  const share = fullest.used / fullest.limit!;
  return {
    text: `${amount(fullest.used)}/${amount(fullest.limit!)} ${windowText(fullest.window)}`,
    ...(share >= 0.9 ? { colour: 'red' as const } : share >= 0.7 ? { colour: 'yellow' as const } : {}),
  };
}

/** The group's header: `groq — Groq: <limits in words>`, then its account-wide usage, block and model-list check. */
export function providerHeader(
  provider: Joined,
  account:
    | { blockedUntilMs: number | null; blockedScope: string | null; blockedDetail: string | null }
    | undefined,
  nowMs: number,
  colour: boolean,
  clock: (ms: number) => string,
): string[] {
  const rule = provider.rule || provider.limits?.join('; ') || 'no limits known';
  const lines = [`${paint(provider.id, 'bold', colour)} — ${provider.name}: ${rule}`];
  const details: string[] = [];
  const accountWide = provider.quotas.filter((q) => q.model === null);
  if (accountWide.length > 0) {
    details.push(
      `account ${accountWide
        .map(
          (q) =>
            `${amount(q.used)}${q.limit === null ? '' : `/${amount(q.limit)}`} ${windowText(q.window)}` +
            (q.resetAtMs ? ` (reset ${clock(q.resetAtMs)})` : ''),
        )
        .join(', ')}`,
    );
  }
  const spent = [
    ...(account?.blockedUntilMs != null && account.blockedUntilMs > nowMs
      ? [
          {
            until: account.blockedUntilMs,
            why: [account.blockedScope, account.blockedDetail].filter(Boolean).join(': '),
          },
        ]
      : []),
    ...accountWide
      .filter((q) => q.blockedUntilMs !== null && q.blockedUntilMs > nowMs)
      .map((q) => ({ until: q.blockedUntilMs!, why: `${windowText(q.window)} spent` })),
  ].sort((a, b) => b.until - a.until)[0];
  if (spent)
    details.push(
      paint(`BLOCKED until ${clock(spent.until)}${spent.why ? ` (${spent.why})` : ''}`, 'red', colour),
    );
  const check = provider.reconcile;
  if (check) {
    const when = `${clock(check.atMs)} (${duration(nowMs - check.atMs)} ago)`;
    if (!check.ok) {
      details.push(
        `model list: check failed at ${when}: ${paint(check.error ?? 'unknown error', 'red', colour)}`,
      );
    } else {
      const counts = new Map<string, string[]>();
      for (const c of check.changes) counts.set(c.type, [...(counts.get(c.type) ?? []), c.model ?? '']);
      const what =
        counts.size === 0
          ? 'no changes'
          : [...counts].map(([type, models]) => `${type} ${models.join(', ')}`).join('; ');
      details.push(`model list: ${check.listed} listed, checked ${when}: ${what}`);
    }
  }
  if (details.length > 0) lines.push(`  ${details.join(' · ')}`);
  return lines;
}

const PERIOD_RANK = ['second', '10_seconds', 'minute', 'hour', 'session', 'day', 'week', 'month'];

function periodRank(window: string): number {
  return PERIOD_RANK.indexOf(window.slice(window.indexOf('_') + 1));
}

function amount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `45s`, `3m12s`, `2h05m`, `3d04h`. */
export function duration(msValue: number): string {
  const seconds = Math.max(0, Math.floor(msValue / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d${String(hours % 24).padStart(2, '0')}h`;
}
