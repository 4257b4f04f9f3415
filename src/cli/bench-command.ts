/**
 * `rotor bench`: run the benchmark suite (`bench/run.mjs`) from a checkout — overhead against a
 * bare proxy and Portkey, memory with 1,000 streams, routing quality over a simulated day.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { packageRoot } from '../package-root.js';

export function register(program: Command): void {
  program
    .command('bench')
    .description('Run the benchmarks (needs a source checkout with devDependencies; see bench/README.md)')
    .option('--smoke', 'a short sanity run (~40 s); results go to a temp dir, never bench/results/')
    .option('--only <sections>', 'comma-separated subset: overhead,streams,routing,profile')
    .action(async (opts: { smoke?: boolean; only?: string }) => {
      const script = join(packageRoot(), 'bench', 'run.mjs');
      if (!existsSync(script)) {
        process.stderr.write(
          'rotor: the benchmarks ship with the source checkout (bench/run.mjs not found)\n',
        );
        process.exit(2);
      }
      const args = [script, ...(opts.smoke ? ['--smoke'] : []), ...(opts.only ? ['--only', opts.only] : [])];
      const child = spawn(process.execPath, args, { cwd: packageRoot(), stdio: 'inherit' });
      const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
      process.exit(code);
    });
}
