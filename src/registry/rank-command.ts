/**
 * `rotor rank`: the speed-optimised rotation order from the registry's figures, as a table with
 * tiers; `--write` stores it as the registry's `rotation:` list.
 */
import type { Command } from 'commander';
import { type CommandIo, isoDate, processIo } from './command-io.js';
import { type Colour, type Column, formatTable, paint } from './format-table.js';
import { type LatencyTier, type RankedModel, rankModels } from './rank.js';
import { markUpdated, type RotationItem, setRotation } from './registry-edit.js';
import { RegistryError } from './registry-error.js';
import { defaultRegistryPath, loadRegistry, saveRegistry } from './registry-file.js';

export interface RankCommandOptions {
  /** Registry file; default the shipped `registry/free-models.yaml`. */
  registry?: string;
  write?: boolean;
  json?: boolean;
}

const TIER_COLOURS: Record<LatencyTier, Colour> = {
  'ultra-fast': 'green',
  fast: 'cyan',
  balanced: 'yellow',
  slow: 'red',
  unknown: 'dim',
};

/** Runs the command; returns the exit code. */
export async function runRank(options: RankCommandOptions, io: CommandIo): Promise<number> {
  const registryPath = options.registry ?? defaultRegistryPath();
  try {
    const { registry, document } = await loadRegistry(registryPath);
    const { ranked, excluded } = rankModels(registry.models);
    const order = ranked.map((model) => model.id);
    const changed = order.join('\n') !== registry.rotation.join('\n');
    const written = options.write === true && changed;
    if (written) {
      setRotation(document, ranked.map(rotationItem));
      markUpdated(document, isoDate(io.now()));
      await saveRegistry(registryPath, document);
    }

    if (options.json) {
      io.stdout(JSON.stringify({ registry: registryPath, ranked, excluded, changed, written }, null, 2));
      return 0;
    }
    io.stdout(formatTable(rankColumns(), ranked, { colour: io.colour }));
    io.stdout(
      paint(
        '(…) = not measured: success assumed from status, latency from expected_latency_ms. ' +
          'Tiers: ultra-fast < 2 s, fast 2–5 s, balanced 5–15 s, slow ≥ 15 s.',
        'dim',
        io.colour,
      ),
    );
    // Retired models can be many after a discover; name them in --json, count them here.
    const retired = excluded.filter(({ reason }) => reason.startsWith('retired'));
    const others = excluded.filter(({ reason }) => !reason.startsWith('retired'));
    if (excluded.length > 0) io.stdout('\nNot ranked:');
    for (const { id, reason } of others) io.stdout(`  ${id}: ${reason}`);
    if (retired.length > 0) io.stdout(`  ${retired.length} retired model(s)`);
    io.stdout('');
    if (!changed) io.stdout('The rotation is already in this order.');
    else if (written) io.stdout(`Wrote the rotation (${order.length} models) to ${registryPath}.`);
    else
      io.stdout(
        paint(`Differs from the rotation in the registry; run with --write to store it.`, 'dim', io.colour),
      );
    return 0;
  } catch (err) {
    if (err instanceof RegistryError) {
      io.stderr(`rotor rank: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

function rankColumns(): Column<RankedModel>[] {
  return [
    { header: '#', value: (model) => String(model.position), align: 'right' },
    { header: 'MODEL', value: (model) => model.id },
    { header: 'FAMILY', value: (model) => model.family },
    { header: 'TIER', value: (model) => model.tier, colour: (model) => TIER_COLOURS[model.tier] },
    { header: 'LATENCY', value: formatLatency, align: 'right' },
    { header: 'SUCCESS', value: formatSuccess, align: 'right' },
    {
      header: 'SCORE',
      value: (model) => (model.score === null ? '—' : model.score.toFixed(2)),
      align: 'right',
    },
    { header: 'STATUS', value: (model) => model.status },
  ];
}

function formatLatency(model: RankedModel): string {
  if (model.latencyMs === null) return '—';
  const text = seconds(model.latencyMs);
  return model.latencySource === 'measured' ? text : `(${text})`;
}

function formatSuccess(model: RankedModel): string {
  const text = `${Math.round(model.successRate * 100)} %`;
  return model.successSource === 'measured' ? text : `(${text})`;
}

function seconds(latencyMs: number): string {
  return `${(latencyMs / 1000).toFixed(2)} s`;
}

/** `meta-llama/llama-3.3-8b-instruct:free # 0.88 s ultra-fast (primary)`, as in the shipped file. */
function rotationItem(model: RankedModel): RotationItem {
  const latency = model.latencyMs === null ? 'latency unknown' : `${seconds(model.latencyMs)} ${model.tier}`;
  return { id: model.id, comment: model.position === 1 ? `${latency} (primary)` : latency };
}

export function register(program: Command, io: CommandIo = processIo()): void {
  program
    .command('rank')
    .description(
      'Order the registry models for speed: success rate first, then latency, in tiers, preferring ' +
        'family diversity among near-ties. --write stores the order as the rotation.',
    )
    .option('--registry <file>', 'registry YAML (default: the shipped registry/free-models.yaml)')
    .option('--write', "write the order into the registry's rotation list")
    .option('--json', 'print the ranking as JSON, for scripts')
    .action(async (options: RankCommandOptions) => {
      process.exitCode = await runRank(options, io);
    });
}
