/**
 * `rotor probe [model …]`: real test requests to each model, paced under the account's limit,
 * with progress while it runs; a table (or `--json`) of verdicts and measured figures at the end,
 * and with `--write` those figures in the registry. Ctrl-C stops cleanly and keeps the samples.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { type Clock, systemClock } from '../engine/clock.js';
import type { ChatTransport } from '../upstream/chat-transport.js';
import { UpstreamClient, UpstreamFailure } from '../upstream/upstream-client.js';
import type { UpstreamConfig } from '../upstream/upstream-config.js';
import { type CommandIo, isoDate, processIo } from './command-io.js';
import { DEFAULT_BASE_URL } from './discover-command.js';
import { type Colour, type Column, formatTable, paint } from './format-table.js';
import { formatDuration, type ProbeRun, probeModels, utcTime } from './probe.js';
import { createProgressReporter, type ProgressStream } from './probe-progress.js';
import type { ModelProbeResult, ProbeVerdict } from './probe-summary.js';
import { applyProbeResults, type ProbeWriteReport } from './probe-write.js';
import { RegistryError } from './registry-error.js';
import { defaultRegistryPath, loadRegistry, saveRegistry } from './registry-file.js';
import { type Registry, UNSERVABLE_STATUSES } from './registry-schema.js';

export interface ProbeCommandOptions {
  /** Models to probe; default the registry's rotation (or every servable model with `all`). */
  models?: readonly string[];
  /** Registry file; default the shipped `registry/free-models.yaml`. */
  registry?: string;
  /** Default `OPENROUTER_BASE_URL`, else OpenRouter. */
  baseUrl?: string;
  /** Rounds per model. Default 3. */
  samples?: number;
  /** Also probe a tool call. */
  tools?: boolean;
  /** Most requests per rolling minute. Default 20. */
  rpm?: number;
  /** Per request, ms. Default 90 000. */
  timeoutMs?: number;
  /** Without model names: every registry model that is not retired or incompatible. */
  all?: boolean;
  write?: boolean;
  json?: boolean;
  signal?: AbortSignal;
  /** Paces and times the requests. Default `systemClock`. */
  clock?: Clock;
  /** Default: rotor's undici client. */
  transport?: ChatTransport;
}

/** The command's io, plus where progress goes (a TTY there gets the redrawn bar). */
export interface ProbeIo extends CommandIo {
  progress?: ProgressStream;
}

/** Daily quota as the key endpoint reports it. */
interface DailyQuota {
  limit: number;
  remaining: number;
}

const VERDICT_COLOURS: Record<ProbeVerdict, Colour> = {
  verified: 'green',
  rate_limited: 'yellow',
  incompatible: 'red',
  retired: 'red',
  failing: 'red',
  untested: 'dim',
};

/** Runs the command; returns the exit code (130 when interrupted, 1 when the account refused). */
export async function runProbe(options: ProbeCommandOptions, io: ProbeIo): Promise<number> {
  const registryPath = options.registry ?? defaultRegistryPath();
  const baseUrl = options.baseUrl ?? io.env.OPENROUTER_BASE_URL ?? DEFAULT_BASE_URL;
  const apiKey = io.env.OPENROUTER_API_KEY;
  if (!apiKey) {
    io.stderr(
      'rotor probe: OPENROUTER_API_KEY is not set. A probe sends real requests; for a demo run ' +
        '`rotor sim` and set OPENROUTER_BASE_URL=http://127.0.0.1:8090/api/v1 OPENROUTER_API_KEY=sk-demo.',
    );
    return 1;
  }
  let registry: Registry;
  try {
    registry = (await loadRegistry(registryPath)).registry;
  } catch (err) {
    if (err instanceof RegistryError) {
      io.stderr(`rotor probe: ${err.message}`);
      return 1;
    }
    throw err;
  }
  const models = selectModels(registry, options);
  if (models.length === 0) {
    io.stderr(
      'rotor probe: nothing to probe: the rotation is empty. Name models, or use --all for every ' +
        'servable model in the registry.',
    );
    return 1;
  }

  const upstream: UpstreamConfig = { id: 'openrouter', baseUrl, apiKey, title: 'rotor probe' };
  const clock = options.clock ?? systemClock;
  const client = new UpstreamClient({ clock, metadataTimeoutMs: 10_000 });
  const transport = options.transport ?? client;
  const reporter = io.progress ? createProgressReporter(io.progress, { now: () => clock.now() }) : undefined;
  const say = (text: string) => (reporter ? reporter.note(text) : io.stderr(text));
  const samples = options.samples ?? 3;
  const checks = options.tools ? ['plain', 'system', 'tools'] : ['plain', 'system'];
  const planned = models.length * samples * checks.length;
  const rpm = options.rpm ?? 20;

  const onAbort = () => say('Stopping: the request in flight is cancelled; the results so far follow.');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let run: ProbeRun;
  let quota: DailyQuota | undefined;
  try {
    try {
      quota = await dailyQuota(client, upstream, options.signal);
    } catch (err) {
      if (err instanceof UpstreamFailure && err.failure.kind === 'auth') {
        io.stderr(`rotor probe: the API key was refused: ${err.failure.message}`);
        return 1;
      }
      // The key endpoint is only a courtesy check; the probe itself finds out soon enough.
    }
    if (!options.json) {
      io.stdout(
        `Probing ${models.length} model(s) × ${samples} sample(s) (${checks.join(', ')}) = ${planned} requests ` +
          `at most ${rpm}/min against ${baseUrl}` +
          (planned > rpm ? `; at least ${formatDuration(Math.floor((planned - 1) / rpm) * 61_000)}` : ''),
      );
    }
    if (quota !== undefined && quota.remaining < planned) {
      say(
        `Note: the account has ${quota.remaining} of ${quota.limit} free-model requests left today ` +
          `(reset 00:00 UTC); the probe stops when they run out, keeping what it measured.`,
      );
    }
    run = await probeModels({
      models,
      upstream,
      samples,
      tools: options.tools === true,
      rpm,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      transport,
      clock,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(reporter ? { onEvent: (event) => reporter.onEvent(event) } : {}),
    });
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    reporter?.finish();
    await client.close();
  }

  let write: ProbeWriteReport | undefined;
  try {
    if (options.write) write = await writeResults(registryPath, run.results, io.now());
  } catch (err) {
    if (err instanceof RegistryError) {
      io.stderr(`rotor probe: not written: ${err.message}`);
      return 1;
    }
    throw err;
  }

  if (run.stopped) io.stderr(`rotor probe: ${run.stopped.message}`);
  if (options.json) {
    io.stdout(
      JSON.stringify(
        {
          source: baseUrl,
          registry: registryPath,
          planned: run.planned,
          sent: run.sent,
          stopped: run.stopped,
          quota: quota ?? null,
          results: run.results,
          samples: run.samples,
          written: write?.updated ?? [],
          notWritten: write?.skipped ?? [],
        },
        null,
        2,
      ),
    );
  } else {
    printTable(run, io, { write, registryPath, quotaResetMs: run.stopped?.resetAtMs });
  }
  if (run.stopped?.reason === 'aborted') return 130;
  return run.stopped ? 1 : 0;
}

/** Named models (even retired or incompatible ones: naming them asks for a re-test), else the rotation. */
function selectModels(registry: Registry, options: ProbeCommandOptions): string[] {
  if (options.models && options.models.length > 0) return [...new Set(options.models)];
  if (options.all) {
    return registry.models.filter((model) => !UNSERVABLE_STATUSES.includes(model.status)).map((m) => m.id);
  }
  const unservable = new Set(
    registry.models.filter((model) => UNSERVABLE_STATUSES.includes(model.status)).map((model) => model.id),
  );
  return registry.rotation.filter((id) => !unservable.has(id));
}

async function dailyQuota(
  client: UpstreamClient,
  upstream: UpstreamConfig,
  signal: AbortSignal | undefined,
): Promise<DailyQuota | undefined> {
  const info = await client.getKeyInfo(upstream, signal);
  const daily = info['free_model_daily_requests'];
  if (typeof daily !== 'object' || daily === null) return undefined;
  const { limit, remaining } = daily as Record<string, unknown>;
  if (typeof limit !== 'number' || typeof remaining !== 'number') return undefined;
  return { limit, remaining };
}

/** Re-reads the file (it may have changed during a minutes-long probe), edits, validates, saves. */
async function writeResults(
  registryPath: string,
  results: readonly ModelProbeResult[],
  now: Date,
): Promise<ProbeWriteReport> {
  const { document } = await loadRegistry(registryPath);
  const report = applyProbeResults(document, results, {
    testedAt: `${now.toISOString().slice(0, 19)}Z`,
    todayIsoDate: isoDate(now),
  });
  if (report.updated.length > 0) await saveRegistry(registryPath, document);
  return report;
}

function printTable(
  run: ProbeRun,
  io: CommandIo,
  context: { write: ProbeWriteReport | undefined; registryPath: string; quotaResetMs: number | undefined },
): void {
  io.stdout('');
  io.stdout(formatTable(resultColumns(), run.results, { colour: io.colour }));
  io.stdout(
    paint(
      `${run.sent} of ${run.planned} planned requests sent in ${formatDuration(run.finishedAtMs - run.startedAtMs)}. ` +
        'Latencies of successful requests; SUCCESS counts every sample but tool refusals.',
      'dim',
      io.colour,
    ),
  );
  if (context.quotaResetMs !== undefined) io.stdout(`Quota resets at ${utcTime(context.quotaResetMs)}.`);
  const { write } = context;
  if (write === undefined) {
    io.stdout(
      paint(
        `Dry run: nothing written. Run with --write to record these results in ${context.registryPath}.`,
        'dim',
        io.colour,
      ),
    );
    return;
  }
  for (const { id, reason } of write.skipped) io.stdout(`  not written: ${id}: ${reason}`);
  if (write.updated.length === 0) io.stdout('Nothing to write.');
  else {
    io.stdout(
      `Wrote ${write.updated.length} model(s) to ${context.registryPath}; run \`rotor rank\` to see the order ` +
        'these figures give.',
    );
  }
}

function resultColumns(): Column<ModelProbeResult>[] {
  return [
    { header: 'MODEL', value: (r) => r.model },
    { header: 'STATUS', value: (r) => r.verdict, colour: (r) => VERDICT_COLOURS[r.verdict] },
    { header: 'P50', value: (r) => formatMs(r.p50Ms), align: 'right' },
    { header: 'P95', value: (r) => formatMs(r.p95Ms), align: 'right' },
    { header: 'TTFT', value: (r) => formatMs(r.ttftP50Ms), align: 'right' },
    {
      header: 'SUCCESS',
      value: (r) => (r.successRate === null ? '—' : `${Math.round(r.successRate * 100)} %`),
      align: 'right',
    },
    { header: 'SAMPLES', value: (r) => String(r.attempts), align: 'right' },
    { header: 'REASON', value: (r) => truncate(r.reason ?? '', 100) },
  ];
}

/** The table keeps to one line per model; `--json` has the whole reason. */
function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `812 ms`, `12.3 s`. */
function formatMs(ms: number | null): string {
  if (ms === null) return '—';
  return ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new InvalidArgumentError('expected a positive integer');
  return value;
}

export function processProbeIo(): ProbeIo {
  return { ...processIo(), progress: process.stderr };
}

export function register(program: Command, io: ProbeIo = processProbeIo()): void {
  program
    .command('probe')
    .argument('[models...]', 'model ids (default: the registry rotation)')
    .description(
      'Send real test requests to each model (a plain completion, a system prompt, optionally a tool ' +
        'call), paced under the account limit; classify each model and measure latency, time to ' +
        'first token and success. --write records the results in the registry.',
    )
    .option('--registry <file>', 'registry YAML (default: the shipped registry/free-models.yaml)')
    .option('--base-url <url>', `API base URL (default: $OPENROUTER_BASE_URL or ${DEFAULT_BASE_URL})`)
    .option('--samples <n>', 'rounds per model (default 3)', positiveInteger)
    .option('--tools', 'also probe a tool call')
    .option(
      '--rpm <n>',
      'most requests per rolling minute (default 20, the free tier limit)',
      positiveInteger,
    )
    .option('--timeout-ms <ms>', 'limit per request (default 90000)', positiveInteger)
    .option('--all', 'without model ids: every registry model that is not retired or incompatible')
    .option('--write', 'record status, measured figures and reasons in the registry, keeping comments')
    .option('--json', 'print the results as JSON, for scripts (progress still goes to stderr)')
    .action(async (models: string[], options: Omit<ProbeCommandOptions, 'models'>) => {
      const controller = new AbortController();
      // The first Ctrl-C stops cleanly; with the handler gone, a second one ends the process at once.
      const onSigint = () => {
        process.off('SIGINT', onSigint);
        controller.abort(new Error('interrupted'));
      };
      process.on('SIGINT', onSigint);
      try {
        process.exitCode = await runProbe({ ...options, models, signal: controller.signal }, io);
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
