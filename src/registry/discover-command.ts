/**
 * `rotor discover`: compare the registry with the live model list and show (or, with `--write`,
 * apply) what changed. Without `--write` nothing on disk changes.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { type CommandIo, isoDate, processIo } from './command-io.js';
import { applyDiff, diffRegistry, type FieldChange, type RegistryDiff } from './discover.js';
import { FetchModelsError, fetchModels, modelsUrl } from './fetch-models.js';
import { type Colour, type Column, formatTable, paint } from './format-table.js';
import { selectFreeModels } from './free-models.js';
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
}

interface Row {
  change: 'added' | 'retired' | 'changed';
  id: string;
  detail: string;
}

const CHANGE_COLOURS: Record<Row['change'], Colour> = { added: 'green', retired: 'red', changed: 'yellow' };

/** Runs the command; returns the exit code. */
export async function runDiscover(options: DiscoverOptions, io: CommandIo): Promise<number> {
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
    if (options.json) {
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
      io.stdout(JSON.stringify(report, null, 2));
      return 0;
    }
    io.stdout(
      `${modelsUrl(baseUrl)}: ${list.models.length} models, ` +
        `${selection.models.length + selection.excluded.length} free, ` +
        `${selection.models.length} free chat models`,
    );
    for (const { id, reason } of selection.excluded) io.stdout(`  excluded ${id}: ${reason}`);
    io.stdout('');
    const rows = diffRows(diff);
    if (rows.length > 0) io.stdout(formatTable(diffColumns(), rows, { colour: io.colour }));
    io.stdout(
      `\n${diff.added.length} added, ${diff.retired.length} retired, ` +
        `${new Set(diff.changed.map((change) => change.id)).size} changed, ${diff.unchanged.length} unchanged.`,
    );
    if (rows.length === 0) io.stdout('The registry is up to date.');
    else if (written) io.stdout(`Wrote ${registryPath}.`);
    else if (options.write) io.stdout('Nothing to write.');
    else
      io.stdout(
        paint(`Dry run: nothing written. Run with --write to update ${registryPath}.`, 'dim', io.colour),
      );
    if (rotationRetired > 0) {
      io.stdout(
        `${rotationRetired} rotation model(s) ${written ? 'were' : 'would be'} retired and removed from the ` +
          'rotation; run `rotor rank --write` to rebuild it.',
      );
    }
    return 0;
  } catch (err) {
    if (err instanceof RegistryError || err instanceof FetchModelsError) {
      io.stderr(`rotor discover: ${err.message}`);
      return 1;
    }
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

export function register(program: Command, io: CommandIo = processIo()): void {
  program
    .command('discover')
    .description(
      'Compare the registry with the live list of free models (GET /models): new, gone (→ retired), ' +
        'context and capability changes. Nothing is written without --write.',
    )
    .option('--registry <file>', 'registry YAML (default: the shipped registry/free-models.yaml)')
    .option('--base-url <url>', `API base URL (default: $OPENROUTER_BASE_URL or ${DEFAULT_BASE_URL})`)
    .option('--write', 'apply the changes to the registry file, keeping comments and order')
    .option('--json', 'print the diff as JSON, for scripts')
    .option('--timeout-ms <ms>', 'limit for fetching the model list (default 30000)', positiveInteger)
    .action(async (options: DiscoverOptions) => {
      process.exitCode = await runDiscover(options, io);
    });
}
