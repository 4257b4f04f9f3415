/**
 * `rotor status`'s view of a gateway's `GET /v1/rotor/status`, pure: the schema of what it reads
 * (loose: a newer gateway may send more) and the text it prints — a few header lines, then one
 * row per model in rotation order.
 */
import { z } from 'zod';
import { type Colour, type Column, formatTable, paint } from './format-table.js';
import {
  duration,
  OPENROUTER,
  pairQuota,
  providerHeader,
  providerOf,
  providersStatusSchema,
} from './status-providers-format.js';

const nullableNumber = z.number().nullable();

const modelSchema = z.looseObject({
  model: z.string(),
  totalRequests: z.number(),
  recentSuccessRate: z.number().nullable(),
  latencyP50Ms: nullableNumber,
  latencyP95Ms: nullableNumber,
  breakerState: z.enum(['closed', 'open', 'half_open']),
  breakerOpenUntilMs: nullableNumber,
  cooldownUntilMs: nullableNumber,
  cooldownReason: z.string().nullable(),
  cooldownDetail: z.string().nullable(),
  inFlight: z.number(),
  slowStartLimit: nullableNumber.optional(),
  /** Absent from gateways that predate hedging. */
  hedgeDelayMs: nullableNumber.optional(),
  retired: z.looseObject({ atMs: z.number(), reason: z.string() }).nullable(),
  available: z.boolean(),
  unavailableReason: z
    .looseObject({ reason: z.string(), detail: z.string().optional(), untilMs: z.number().optional() })
    .nullable(),
});

const accountSchema = z.looseObject({
  account: z.string(),
  minuteUsed: z.number(),
  minuteLimit: nullableNumber,
  minuteResetAtMs: z.number(),
  dayUsed: z.number(),
  dayLimit: nullableNumber,
  dayResetAtMs: z.number(),
  blockedUntilMs: nullableNumber,
  blockedScope: z.string().nullable(),
  blockedDetail: z.string().nullable(),
});

const reconcileChangeSchema = z.looseObject({
  type: z.string(),
  model: z.string().optional(),
  reason: z.string().optional(),
  status: z.string().optional(),
  added: z.array(z.string()).optional(),
  removed: z.array(z.string()).optional(),
});

export const gatewayStatusSchema = z.looseObject({
  rotor: z.looseObject({
    version: z.string(),
    simulated: z.boolean(),
    startedAtMs: z.number().optional(),
    upstream: z.string().optional(),
  }),
  atMs: z.number(),
  currentModel: z.string().nullable(),
  rotation: z.array(z.string()),
  pinnedOrder: z.boolean().optional(),
  system: z.looseObject({
    totalRotations: z.number(),
    resetsToPrimary: z.number(),
    requests: z.looseObject({
      total: z.number(),
      successRate: z.number().nullable(),
      firstTrySuccessRate: z.number().nullable(),
      meanAttempts: z.number().optional(),
    }),
    accounts: z.array(accountSchema),
  }),
  models: z.array(modelSchema),
  /** Hedged first token; absent from gateways that predate it. */
  hedging: z
    .looseObject({ enabled: z.boolean(), started: z.number(), won: z.number(), wasted: z.number() })
    .optional(),
  /** Whether reconciliation is on at all; absent from gateways that predate it. */
  reconcileEnabled: z.boolean().optional(),
  /** Added by the reconciler; absent from gateways that predate it, null before its first run. */
  reconcile: z
    .looseObject({
      atMs: z.number(),
      ok: z.boolean(),
      error: z.string().optional(),
      baseUrl: z.string().optional(),
      changes: z.array(reconcileChangeSchema),
    })
    .nullable()
    .optional(),
  /** Pooled providers; absent without any (and from gateways that predate them). */
  providers: providersStatusSchema.optional(),
});

export type GatewayStatus = z.infer<typeof gatewayStatusSchema>;
type ModelStatus = GatewayStatus['models'][number];
type ReconcileChange = NonNullable<GatewayStatus['reconcile']>['changes'][number];

export interface StatusFormatOptions {
  colour: boolean;
  /** The gateway's address, for the header. */
  url: string;
  /** `HH:MM:SS` of an epoch-ms time. Default: local time. */
  clockTime?: (epochMs: number) => string;
}

type StateKind = 'available' | 'cooling' | 'open' | 'half-open' | 'retired' | 'unavailable';

interface Row {
  position: string;
  status: ModelStatus;
  state: StateKind;
  stateText: string;
  /** Pooled gateways: the pair's fullest quota window. */
  quota?: { text: string; colour?: Colour };
}

const STATE_COLOURS: Record<StateKind, Colour> = {
  available: 'green',
  cooling: 'yellow',
  open: 'red',
  'half-open': 'cyan',
  retired: 'dim',
  unavailable: 'yellow',
};

export function formatStatus(status: GatewayStatus, options: StatusFormatOptions): string {
  const clock = options.clockTime ?? localClockTime;
  const lines = [...headerLines(status, options, clock), ''];
  const rows = tableRows(status, clock);
  if (isPooled(status)) lines.push(...groupedTable(status, rows, options.colour, clock));
  else lines.push(formatTable(statusColumns(), rows, { colour: options.colour }));
  const hidden = status.models.length - rows.length;
  lines.push(
    paint(
      `* = current model. SUCCESS over recent requests; P50/P95 total latency; HEDGE AT: no content by then, the request is hedged.` +
        (isPooled(status) ? ' QUOTA: the fullest window of the pair.' : '') +
        (hidden > 0 ? ` ${hidden} other known model(s) not in the rotation and unused are not shown.` : ''),
      'dim',
      options.colour,
    ),
  );
  return lines.join('\n');
}

function isPooled(
  status: GatewayStatus,
): status is GatewayStatus & { providers: NonNullable<GatewayStatus['providers']> } {
  return status.providers !== undefined && status.providers.joined.length > 0;
}

/**
 * The table grouped by provider, groups in the order their first model holds in the rotation
 * (joined providers without a model in it last); each group under its quota line.
 */
function groupedTable(
  status: GatewayStatus & { providers: NonNullable<GatewayStatus['providers']> },
  rows: Row[],
  colour: boolean,
  clock: (ms: number) => string,
): string[] {
  const joined = status.providers.joined;
  const ids = new Set(joined.map((j) => j.id));
  const quotasOf = new Map<string, NonNullable<GatewayStatus['providers']>['joined'][number]['quotas']>();
  for (const j of joined)
    for (const q of j.quotas)
      if (q.model !== null) quotasOf.set(q.model, [...(quotasOf.get(q.model) ?? []), q]);
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const provider = providerOf(row.status.model, ids);
    row.quota =
      provider === OPENROUTER
        ? { text: '—' }
        : pairQuota(quotasOf.get(row.status.model) ?? [], status.atMs, clock);
    groups.set(provider, [...(groups.get(provider) ?? []), row]);
  }
  for (const j of joined) if (!groups.has(j.id)) groups.set(j.id, []);
  const ordered = [...groups.values()].flat();
  const [head, ...body] = formatTable(pooledColumns(), ordered, { colour }).split('\n');
  const out = [head!];
  let next = 0;
  for (const [provider, members] of groups) {
    const account = status.system.accounts.find((a) => a.account === provider);
    const j = joined.find((x) => x.id === provider);
    if (j) out.push(...providerHeader(j, account, status.atMs, colour, clock));
    else
      out.push(
        `${paint(OPENROUTER, 'bold', colour)} — OpenRouter${account ? `: ${accountQuota(account, status.atMs, colour, clock)}` : ''}`,
      );
    if (members.length === 0) out.push(paint('  (no model in the rotation)', 'dim', colour));
    out.push(...body.slice(next, next + members.length));
    next += members.length;
  }
  return out;
}

function pooledColumns(): Column<Row>[] {
  return [
    ...statusColumns(),
    { header: 'QUOTA', value: (row) => row.quota?.text ?? '—', colour: (row) => row.quota?.colour },
  ];
}

function headerLines(
  status: GatewayStatus,
  options: StatusFormatOptions,
  clock: (ms: number) => string,
): string[] {
  const { rotor, system } = status;
  const colour = options.colour;
  const mode = rotor.simulated
    ? paint('SIMULATED (no OPENROUTER_API_KEY)', 'yellow', colour)
    : `upstream ${rotor.upstream ?? 'unknown'}`;
  const uptime = rotor.startedAtMs === undefined ? '' : ` · up ${duration(status.atMs - rotor.startedAtMs)}`;
  const lines = [`rotor ${rotor.version} at ${options.url} · ${mode}${uptime}`];

  const index = status.currentModel === null ? -1 : status.rotation.indexOf(status.currentModel);
  const current =
    status.currentModel === null
      ? paint('no model available', 'red', colour)
      : `${paint(status.currentModel, 'bold', colour)}${index >= 0 ? ` (#${index + 1} of ${status.rotation.length})` : ''}`;
  lines.push(
    `current ${current} · ${plural(system.totalRotations, 'rotation')} · ` +
      `${plural(system.resetsToPrimary, 'reset')} to primary${status.pinnedOrder ? ' · pinned order' : ''}`,
  );

  const r = system.requests;
  lines.push(
    `requests ${r.total} · success ${percent(r.successRate)} · first try ${percent(r.firstTrySuccessRate)}` +
      (r.meanAttempts !== undefined && r.total > 0 ? ` · ${r.meanAttempts.toFixed(2)} attempts/request` : ''),
  );

  const h = status.hedging;
  if (h)
    lines.push(
      h.enabled
        ? `hedging: ${plural(h.started, 'hedge')} started · ${h.won} won · ${h.wasted} wasted`
        : 'hedging: off',
    );

  if (isPooled(status)) {
    // Each provider's quota is its group's header below.
    const joined = status.providers.joined.map((j) => j.id);
    const openRouter = status.rotation.some((id) => providerOf(id, new Set(joined)) === OPENROUTER);
    const skipped = status.providers.skipped.length;
    lines.push(
      `providers: ${[...joined, ...(openRouter ? [OPENROUTER] : [])].join(', ')}` +
        (skipped > 0 ? ` · ${skipped} not configured (--json says why)` : ''),
    );
  } else {
    for (const account of system.accounts)
      lines.push(`quota ${account.account}: ${accountQuota(account, status.atMs, colour, clock)}`);
  }

  // Pooled: the model list above is OpenRouter's (each provider's check is in its group).
  const openRouterShown =
    !isPooled(status) ||
    status.rotation.some(
      (id) => providerOf(id, new Set(status.providers.joined.map((j) => j.id))) === OPENROUTER,
    );
  const label = isPooled(status) ? 'openrouter model list' : 'model list';
  if (!openRouterShown) {
    // No OpenRouter in the rotation: nothing of its own to reconcile.
  } else if (status.reconcile === null)
    lines.push(
      status.reconcileEnabled === false
        ? `${label}: not reconciled (reconciling is off: no API key, or reconcile.enabled: false)`
        : status.reconcileEnabled === true
          ? `${label}: first check in progress`
          : `${label}: not reconciled (reconciling is off, or its first run is not done)`,
    );
  else if (status.reconcile !== undefined)
    lines.push(...reconcileLines(status.reconcile, status.atMs, colour, clock, label));
  return lines;
}

/** `12/20 this minute (reset 01:49:00), 12/50 today (reset 00:00:00)`, and a block if any. */
function accountQuota(
  account: GatewayStatus['system']['accounts'][number],
  nowMs: number,
  colour: boolean,
  clock: (ms: number) => string,
): string {
  const minute = `${account.minuteUsed}${account.minuteLimit === null ? '' : `/${account.minuteLimit}`} this minute (reset ${clock(account.minuteResetAtMs)})`;
  const day = `${account.dayUsed}${account.dayLimit === null ? '' : `/${account.dayLimit}`} today (reset ${clock(account.dayResetAtMs)})`;
  let line = `${minute}, ${day}`;
  if (account.blockedUntilMs !== null && account.blockedUntilMs > nowMs) {
    const why = [account.blockedScope, account.blockedDetail].filter(Boolean).join(': ');
    line += ` · ${paint(`BLOCKED until ${clock(account.blockedUntilMs)}${why ? ` (${why})` : ''}`, 'red', colour)}`;
  }
  return line;
}

function reconcileLines(
  reconcile: NonNullable<GatewayStatus['reconcile']>,
  nowMs: number,
  colour: boolean,
  clock: (ms: number) => string,
  label = 'model list',
): string[] {
  const when = `${clock(reconcile.atMs)} (${duration(nowMs - reconcile.atMs)} ago)`;
  const source = reconcile.baseUrl ? ` with ${reconcile.baseUrl}` : '';
  if (!reconcile.ok) {
    return [
      `${label}: reconcile${source} failed at ${when}: ${paint(reconcile.error ?? 'unknown error', 'red', colour)}`,
    ];
  }
  const { changes } = reconcile;
  const byType = new Map<string, number>();
  for (const change of changes) byType.set(change.type, (byType.get(change.type) ?? 0) + 1);
  const summary =
    changes.length === 0
      ? 'no changes'
      : [...byType]
          .map(([type, count]) => (type === 'order' ? 'order changed' : `${count} ${type}`))
          .join(', ');
  const lines = [`${label}: reconciled${source} at ${when}: ${summary}`];
  // The order change says most; then the others, up to a screenful (`--json` has them all).
  const ordered = [
    ...changes.filter((c) => c.type === 'order'),
    ...changes.filter((c) => c.type !== 'order'),
  ];
  for (const change of ordered.slice(0, MAX_CHANGES_SHOWN))
    lines.push(`  ${clip(describeChange(change), 140)}`);
  if (ordered.length > MAX_CHANGES_SHOWN)
    lines.push(`  … ${ordered.length - MAX_CHANGES_SHOWN} more (--json)`);
  return lines;
}

const MAX_CHANGES_SHOWN = 8;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `retired x: reason`, `added x (untested)`, `order: reason (+2 −1)`. */
function describeChange(change: ReconcileChange): string {
  if (change.type === 'order') {
    const delta = `+${change.added?.length ?? 0} −${change.removed?.length ?? 0}`;
    return `order changed (${delta})${change.reason ? `: ${change.reason}` : ''}`;
  }
  const status = change.status ? ` (${change.status})` : '';
  const reason = change.reason ? `: ${change.reason}` : '';
  return `${change.type} ${change.model ?? ''}${status}${reason}`;
}

function tableRows(status: GatewayStatus, clock: (ms: number) => string): Row[] {
  const byModel = new Map(status.models.map((m) => [m.model, m]));
  const rows: Row[] = [];
  status.rotation.forEach((id, index) => {
    const m = byModel.get(id);
    if (m === undefined) return;
    rows.push(row(`${index + 1}${id === status.currentModel ? '*' : ''}`, m, status.atMs, clock));
  });
  const inRotation = new Set(status.rotation);
  for (const m of status.models) {
    if (!inRotation.has(m.model) && (m.totalRequests > 0 || m.inFlight > 0)) {
      rows.push(row(`-${m.model === status.currentModel ? '*' : ''}`, m, status.atMs, clock));
    }
  }
  return rows;
}

function row(position: string, m: ModelStatus, nowMs: number, clock: (ms: number) => string): Row {
  const { state, text } = describeState(m, nowMs, clock);
  return { position, status: m, state, stateText: text };
}

/** What one model is doing now, most decisive first. */
export function describeState(
  m: ModelStatus,
  nowMs: number,
  clock: (ms: number) => string,
): { state: StateKind; text: string } {
  if (m.retired) return { state: 'retired', text: `retired (${m.retired.reason})` };
  if (m.breakerState === 'open') {
    const until = m.breakerOpenUntilMs === null ? '' : ` until ${clock(m.breakerOpenUntilMs)}`;
    return { state: 'open', text: `open${until}` };
  }
  if (m.breakerState === 'half_open') {
    // The account's daily probe budget is spent: say so, or the model looks merely idle.
    const reason = m.unavailableReason;
    if (reason?.reason === 'probe_budget_spent' && reason.untilMs !== undefined)
      return {
        state: 'half-open',
        text: `half-open, no probe until ${clock(reason.untilMs)} (probe budget)`,
      };
    return { state: 'half-open', text: 'half-open' };
  }
  if (m.cooldownUntilMs !== null && m.cooldownUntilMs > nowMs) {
    const why = m.cooldownDetail ?? m.cooldownReason;
    return { state: 'cooling', text: `cooling until ${clock(m.cooldownUntilMs)}${why ? ` (${why})` : ''}` };
  }
  if (!m.available && m.unavailableReason) {
    const reason = m.unavailableReason;
    const until = reason.untilMs === undefined ? '' : ` until ${clock(reason.untilMs)}`;
    return {
      state: 'unavailable',
      text: `unavailable${until} (${reason.detail ? `${reason.reason}: ${reason.detail}` : reason.reason})`,
    };
  }
  const slowStart = m.slowStartLimit == null ? '' : ` (slow start: ${m.slowStartLimit} at once)`;
  return { state: 'available', text: `available${slowStart}` };
}

function statusColumns(): Column<Row>[] {
  const used = (row: Row) => row.status.totalRequests > 0;
  return [
    { header: '#', value: (row) => row.position },
    { header: 'MODEL', value: (row) => row.status.model },
    { header: 'STATE', value: (row) => row.stateText, colour: (row) => STATE_COLOURS[row.state] },
    {
      header: 'SUCCESS',
      value: (row) => (used(row) ? percent(row.status.recentSuccessRate) : '—'),
      align: 'right',
      colour: (row) => (used(row) ? successColour(row.status.recentSuccessRate) : undefined),
    },
    { header: 'P50', value: (row) => ms(row.status.latencyP50Ms), align: 'right' },
    { header: 'P95', value: (row) => ms(row.status.latencyP95Ms), align: 'right' },
    { header: 'HEDGE AT', value: (row) => ms(row.status.hedgeDelayMs ?? null), align: 'right' },
    { header: 'REQUESTS', value: (row) => String(row.status.totalRequests), align: 'right' },
    { header: 'IN-FLIGHT', value: (row) => String(row.status.inFlight), align: 'right' },
  ];
}

function successColour(rate: number | null): Colour | undefined {
  if (rate === null) return undefined;
  return rate >= 0.95 ? 'green' : rate >= 0.8 ? 'yellow' : 'red';
}

function ms(value: number | null): string {
  if (value === null) return '—';
  return value < 10_000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}

/** A 0..1 rate as a percentage; '—' when there is no data yet. */
function percent(fraction: number | null): string {
  if (fraction === null) return '—';
  return `${Math.round(fraction * 1000) / 10} %`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** `14:03:27`, local time. */
export function localClockTime(epochMs: number): string {
  return new Date(epochMs).toTimeString().slice(0, 8);
}
