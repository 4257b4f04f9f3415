/**
 * `rotor sim`: run the OpenRouter simulator (and, with `--providers`, the other built-in providers)
 * from the command line until SIGINT/SIGTERM, e.g. as the upstream of a no-API-key demo of the
 * gateway or of a benchmark.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { simulatedProviderIds } from './providers/provider-sim-models.js';
import { ScenarioError } from './scenario-schema.js';
import { type SimulatorOptions, startSimulator } from './simulator.js';

/** Where the command writes and how it learns to stop; tests replace these. */
export interface SimCommandIo {
  out(text: string): void;
  err(text: string): void;
  /** Resolves when the simulator should stop. Default: on SIGINT or SIGTERM. */
  waitForStop(): Promise<void>;
}

function waitForTermination(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

const processIo: SimCommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  waitForStop: waitForTermination,
};

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`);
    return n;
  };
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('expected a number ≥ 0.');
  return n;
}

interface SimCommandOptions {
  port: number;
  host: string;
  scenario?: string;
  seed?: number;
  modelsFile?: string;
  latencyScale?: number;
  hasCredits?: boolean;
  freeLimits: boolean;
  providers?: string[] | 'all';
}

/** `groq,gemini` → the ids; `all` → every simulated provider. */
function providerList(value: string): string[] | 'all' {
  const ids = value
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  if (ids.length === 1 && ids[0] === 'all') return 'all';
  const known = new Set(simulatedProviderIds());
  const unknown = ids.filter((id) => !known.has(id));
  if (ids.length === 0 || unknown.length > 0)
    throw new InvalidArgumentError(
      `expected "all" or provider ids from: ${[...known].join(', ')}${unknown.length > 0 ? ` (unknown: ${unknown.join(', ')})` : ''}.`,
    );
  return ids;
}

/** CLI options → simulator options; options not given leave the scenario's values in force. */
function simulatorOptions(opts: SimCommandOptions): SimulatorOptions {
  return {
    port: opts.port,
    host: opts.host,
    ...(opts.scenario === undefined ? {} : { scenarioFile: opts.scenario }),
    ...(opts.seed === undefined ? {} : { seed: opts.seed }),
    ...(opts.modelsFile === undefined ? {} : { modelsFile: opts.modelsFile }),
    ...(opts.latencyScale === undefined ? {} : { latencyScale: opts.latencyScale }),
    ...(opts.hasCredits ? { hasCredits: true } : {}),
    ...(opts.freeLimits ? {} : { freeLimits: false }),
    ...(opts.providers === undefined ? {} : { providers: opts.providers }),
  };
}

export function register(program: Command, io: SimCommandIo = processIo): void {
  program
    .command('sim')
    .description(
      'Run a simulated OpenRouter (limits, latencies, scripted faults) for tests, demos and benchmarks.',
    )
    .option('--port <port>', 'port to listen on (0 picks a free one)', integer(0, 65_535), 8090)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--scenario <file>', 'scenario YAML file (models, account, latencies, faults)')
    .option('--seed <n>', 'seed for answers and fault probabilities', integer(-(2 ** 31), 2 ** 32 - 1))
    .option('--models-file <file>', 'serve this GET /models snapshot; every model in it becomes servable')
    .option('--latency-scale <x>', 'multiply model latencies (0 = answer at once)', nonNegative)
    .option('--has-credits', 'the account bought credits: 1000 free-model requests per day instead of 50')
    .option('--no-free-limits', 'do not enforce the account free-model limits (for benchmarks)')
    .option(
      '--providers <ids>',
      'also serve these built-in providers, comma-separated (groq,gemini,…) or "all", each under /<id>/…',
      providerList,
    )
    .action(async (opts: SimCommandOptions) => {
      let sim: Awaited<ReturnType<typeof startSimulator>>;
      try {
        sim = await startSimulator(simulatorOptions(opts));
      } catch (err) {
        io.err(err instanceof ScenarioError ? `${err.message}\n` : `rotor sim: ${(err as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      io.out(
        `rotor sim listening: ${sim.url}\n` +
          `  ${sim.models().length} models, seed ${sim.seed}; admin API: ${sim.origin}/__sim/state\n` +
          sim
            .providers()
            .map((p) => `  ${p.id}: ${p.baseUrl}\n`)
            .join(''),
      );
      await io.waitForStop();
      await sim.close();
      io.out('rotor sim stopped\n');
    });
}
