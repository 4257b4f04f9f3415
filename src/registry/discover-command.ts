/**
 * `rotor discover`: compare the registry with the live model list and show (or, with `--write`,
 * apply) what changed; then each pooled provider's own model list, grouped by provider, the free
 * ones marked. Without `--write` nothing on disk changes (the providers' part writes nothing). A
 * provider that does not answer is reported and the others are still listed.
 */
import { type Command, InvalidArgumentError } from 'commander';
import {
  discoverProviders,
  type JoinedProvider,
  type SkippedProvider,
} from '../providers/discover-providers.js';
import { mergeProviderOverrides } from '../providers/merge-provider-overrides.js';
import { loadProviderCatalog } from '../providers/provider-catalog-file.js';
import { OPENROUTER_PROVIDER } from '../router/pair-id.js';
import { ConfigError, loadGatewayConfig } from '../server/gateway-config.js';
import { type CommandIo, isoDate, processIo } from './command-io.js';
import { applyDiff, diffRegistry, type FieldChange, type RegistryDiff } from './discover.js';
import { FetchModelsError, fetchModels, modelsUrl } from './fetch-models.js';
import { type Colour, type Column, formatTable, paint } from './format-table.js';
import { selectFreeModels } from './free-models.js';
import { formatProviderReport, providerModelsReport } from './provider-models-report.js';
import { RegistryError } from './registry-error.js';
import { defaultRegistryPath, loadRegistry, saveRegistry } from './registry-file.js';
import type { RegistryModelInput } from './registry-schema.js';

export const DEFAULT_BASE_URL = 'https://openrouter.ai/api/v1';

export interface DiscoverOptions {
  /** Registry file; default the shipped `registry/free-models.yaml`. */
  registry?: string;
  /** Default `OPENROUTER_BASE_URL`, else OpenRouter. */
  baseUrl?: string;
  write?: boolean;
  json?: boolean;
  /** Limit for fetching the model list, ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Config file whose `providers:` section applies (default `$ROTOR_CONFIG`). */
  config?: string;
  /** Only these: `openrouter` (the registry diff) and pooled provider ids. Default: all. */
  provider?: string[];
}

interface Row {
  change: 'added' | 'retired' | 'changed';
  id: string;
  detail: string;
}

const CHANGE_COLOURS: Record<Row['change'], Colour> = { added: 'green', retired: 'red', changed: 'yellow' };

/** Runs the command; returns the exit code. */
export async function runDiscover(options: DiscoverOptions, io: CommandIo): Promise<number> {
  let sources: Sources;
  try {
    sources = await selectSources(options, io);
  } catch (err) {
    if (err instanceof RegistryError || err instanceof ConfigError || err instanceof UsageError) {
      io.stderr(`rotor discover: ${err.message}`);
      return 1;
    }
    throw err;
  }
  const pooled = sources.providers.length > 0 || sources.named !== undefined;
  const fetchOptions = {
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const [openRouter, reports] = await Promise.all([
    sources.openRouter ? discoverOpenRouter(options, io) : undefined,
    Promise.all(sources.providers.map((j) => providerModelsReport(j, fetchOptions))),
  ]);

  // A provider named with --provider that failed (or did not join) fails the command; the others are reported.
  const named = sources.named;
  let code = openRouter?.ok === false ? 1 : 0;
  if (named) {
    if (reports.some((r) => !r.ok && named.has(r.id))) code = 1;
    if (sources.skipped.some((s) => named.has(s.id))) code = 1;
  }

  if (options.json) {
    if (openRouter && !openRouter.ok) io.stderr(`rotor discover: ${openRouter.error}`);
    if (!pooled) {
      if (openRouter?.ok) io.stdout(JSON.stringify(openRouter.report, null, 2));
      return code;
    }
    const providers = {
      joined: reports,
      skipped: sources.skipped.filter((s) => named === undefined || named.has(s.id)),
    };
    const head =
      openRouter === undefined ? {} : openRouter.ok ? openRouter.report : { error: openRouter.error };
    io.stdout(JSON.stringify({ ...head, providers }, null, 2));
    return code;
  }

  if (openRouter?.ok) for (const line of openRouter.lines) io.stdout(line);
  else if (openRouter) io.stderr(`rotor discover: ${openRouter.error}`);
  if (!pooled) return code;
  if (openRouter) io.stdout('');
  const skipped = sources.skipped.filter((s) => named === undefined || named.has(s.id));
  io.stdout(
    `Pooled providers: ${reports.length === 0 ? 'none joined' : `${reports.map((r) => r.id).join(', ')} joined`}` +
      (named === undefined
        ? skipped.length > 0
          ? `; ${skipped.length} not configured (--json says why)`
          : ''
        : skipped.map((s) => `; ${s.id} not configured: ${s.reason}`).join('')),
  );
  for (const report of reports) {
    io.stdout('');
    for (const line of formatProviderReport(report, io.colour)) io.stdout(line);
  }
  if (reports.some((r) => r.missing.length > 0)) {
    io.stdout(
      paint(
        '\nRotation models a provider no longer lists are retired by the gateway at its next check; ' +
          'set providers.<id>.rotation in the config to replace them.',
        'dim',
        io.colour,
      ),
    );
  }
  return code;
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface Sources {
  /** Whether OpenRouter's registry diff runs. */
  openRouter: boolean;
  /** Pooled providers to list (OpenRouter apart), catalog order. */
  providers: JoinedProvider[];
  /** Pooled providers left out, each with why. */
  skipped: SkippedProvider[];
  /** The ids `--provider` named, if it was given. */
  named?: Set<string>;
}

/** OpenRouter (always, unless `--provider` leaves it out) and every pooled provider the environment and the config join. */
async function selectSources(options: DiscoverOptions, io: CommandIo): Promise<Sources> {
  const configPath = options.config ?? (io.env.ROTOR_CONFIG || undefined);
  const overrides = configPath ? loadGatewayConfig({ path: configPath, env: io.env }).providers : undefined;
  const catalog = mergeProviderOverrides(await loadProviderCatalog(), overrides, configPath);
  const found = discoverProviders(catalog, io.env);
  const named = options.provider === undefined ? undefined : new Set(options.provider);
  if (named) {
    const known = new Set(catalog.providers.map((p) => p.id));
    const unknown = [...named].filter((id) => !known.has(id));
    if (unknown.length > 0)
      throw new UsageError(`unknown provider ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  }
  const wanted = (id: string) => named === undefined || named.has(id);
  return {
    openRouter: wanted(OPENROUTER_PROVIDER),
    providers: found.joined.filter((j) => j.id !== OPENROUTER_PROVIDER && wanted(j.id)),
    skipped: found.skipped.filter((s) => s.id !== OPENROUTER_PROVIDER),
    ...(named ? { named } : {}),
  };
}

type OpenRouterResult =
  | { ok: true; report: Record<string, unknown>; lines: string[] }
  | { ok: false; error: string };

/** OpenRouter's part: the registry diffed against the live free models (and written with `--write`). */
async function discoverOpenRouter(options: DiscoverOptions, io: CommandIo): Promise<OpenRouterResult> {
  const registryPath = options.registry ?? defaultRegistryPath();
  const baseUrl = options.baseUrl ?? io.env.OPENROUTER_BASE_URL ?? DEFAULT_BASE_URL;
  // The model list is public; the key is sent if present (some deployments require it), never shown.
  const apiKey = io.env.OPENROUTER_API_KEY || undefined;
  try {
    const loaded = await loadRegistry(registryPath);
    const list = await fetchModels(baseUrl, { apiKey, timeoutMs: options.timeoutMs, signal: options.signal });
    const selection = selectFreeModels(list.models);
    const todayIsoDate = isoDate(io.now());
    const diff = diffRegistry(loaded.registry, selection.models, { todayIsoDate });
    const rotationRetired = diff.retired.filter(({ id }) => loaded.registry.rotation.includes(id)).length;
    const written = options.write === true && applyDiff(loaded.document, diff, { todayIsoDate });
    if (written) await saveRegistry(registryPath, loaded.document);

    for (const entry of list.invalid) {
      io.stderr(
        `rotor discover: skipped malformed entry #${entry.index} ${entry.id ?? ''}: ${entry.message}`,
      );
    }
    const report = {
      source: modelsUrl(baseUrl),
      registry: registryPath,
      listed: list.models.length,
      free: selection.models.length + selection.excluded.length,
      selected: selection.models.length,
      excluded: selection.excluded,
      ...diff,
      written,
    };
    const lines: string[] = [];
    lines.push(
      `${modelsUrl(baseUrl)}: ${list.models.length} models, ` +
        `${selection.models.length + selection.excluded.length} free, ` +
        `${selection.models.length} free chat models`,
    );
    for (const { id, reason } of selection.excluded) lines.push(`  excluded ${id}: ${reason}`);
    lines.push('');
    const rows = diffRows(diff);
    if (rows.length > 0) lines.push(formatTable(diffColumns(), rows, { colour: io.colour }));
    lines.push(
      `\n${diff.added.length} added, ${diff.retired.length} retired, ` +
        `${new Set(diff.changed.map((change) => change.id)).size} changed, ${diff.unchanged.length} unchanged.`,
    );
    if (rows.length === 0) lines.push('The registry is up to date.');
    else if (written) lines.push(`Wrote ${registryPath}.`);
    else if (options.write) lines.push('Nothing to write.');
    else
      lines.push(
        paint(`Dry run: nothing written. Run with --write to update ${registryPath}.`, 'dim', io.colour),
      );
    if (rotationRetired > 0) {
      lines.push(
        `${rotationRetired} rotation model(s) ${written ? 'were' : 'would be'} retired and removed from the ` +
          'rotation; run `rotor rank --write` to rebuild it.',
      );
    }
    return { ok: true, report, lines };
  } catch (err) {
    if (err instanceof RegistryError || err instanceof FetchModelsError)
      return { ok: false, error: err.message };
    throw err;
  }
}

function diffColumns(): Column<Row>[] {
  return [
    { header: 'CHANGE', value: (row) => row.change, colour: (row) => CHANGE_COLOURS[row.change] },
    { header: 'MODEL', value: (row) => row.id },
    { header: 'DETAIL', value: (row) => row.detail },
  ];
}

function diffRows(diff: RegistryDiff): Row[] {
  return [
    ...diff.added.map((model): Row => ({ change: 'added', id: model.id, detail: describeNew(model) })),
    ...diff.retired.map((model): Row => ({ change: 'retired', id: model.id, detail: model.reason })),
    ...diff.changed.map(
      (change): Row => ({ change: 'changed', id: change.id, detail: describeChange(change) }),
    ),
  ];
}

/** `262k ctx; tools, json, reasoning, vision` */
function describeNew(model: RegistryModelInput): string {
  const capabilities = model.capabilities ?? {};
  const flags = (['tools', 'json_mode', 'reasoning', 'vision'] as const)
    .filter((flag) => capabilities[flag] === true)
    .map((flag) => (flag === 'json_mode' ? 'json' : flag));
  const context =
    model.context_length === undefined ? 'ctx unknown' : `${formatTokens(model.context_length)} ctx`;
  return [context, flags.join(', ')].filter(Boolean).join('; ');
}

function describeChange(change: FieldChange): string {
  return `${change.field}: ${showValue(change.from)} → ${showValue(change.to)}`;
}

function showValue(value: unknown): string {
  return value === undefined ? '—' : String(value);
}

function formatTokens(tokens: number): string {
  if (tokens >= 1_000_000 && tokens % 1_000_000 === 0) return `${tokens / 1_000_000}M`;
  return tokens >= 1000 ? `${Math.round(tokens / 1000)}k` : String(tokens);
}

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new InvalidArgumentError('expected a positive integer');
  return value;
}

function commaList(text: string): string[] {
  const ids = text
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (ids.length === 0) throw new InvalidArgumentError('expected provider ids, comma-separated');
  return ids;
}

export function register(program: Command, io: CommandIo = processIo()): void {
  program
    .command('discover')
    .description(
      'Compare the registry with the live list of free models (GET /models): new, gone (→ retired), ' +
        "context and capability changes; then list each pooled provider's models (its key set), " +
        'marking the free ones. Nothing is written without --write.',
    )
    .option('--registry <file>', 'registry YAML (default: the shipped registry/free-models.yaml)')
    .option('--base-url <url>', `API base URL (default: $OPENROUTER_BASE_URL or ${DEFAULT_BASE_URL})`)
    .option('--write', 'apply the changes to the registry file, keeping comments and order')
    .option('--json', 'print the diff as JSON, for scripts')
    .option('--timeout-ms <ms>', 'limit for fetching each model list (default 30000)', positiveInteger)
    .option('--config <file>', 'config whose providers: section applies (default: $ROTOR_CONFIG)')
    .option(
      '--provider <ids>',
      'only these, comma-separated: openrouter (the registry diff) and pooled provider ids (default: all)',
      commaList,
    )
    .action(async (options: DiscoverOptions) => {
      process.exitCode = await runDiscover(options, io);
    });
}
