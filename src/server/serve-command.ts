/**
 * `rotor serve`: run the gateway until SIGTERM/SIGINT, then drain in-flight requests and exit.
 * Without OPENROUTER_API_KEY it serves simulated answers and says so loudly.
 */
import type { Command } from 'commander';
import type { AccountSnapshot } from '../sim/account-limits.js';
import { StoreError } from '../store/state-store.js';
import { type Gateway, startGateway } from './gateway.js';
import { ConfigError, defaultStoreUrl, loadGatewayConfig } from './gateway-config.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('Run the OpenAI-compatible gateway (simulated upstream when OPENROUTER_API_KEY is unset)')
    .option('-c, --config <file>', 'YAML configuration file (env: ROTOR_CONFIG)')
    .option('-p, --port <port>', 'port to listen on (env: ROTOR_PORT; default 8080)')
    .option('-H, --host <host>', 'interface to bind (env: ROTOR_HOST; default 127.0.0.1)')
    .option(
      '--sim-free-tier',
      'simulated mode: the 50-requests-a-day account instead of one with credits (1,000 a day) (env: ROTOR_SIM_FREE_TIER)',
    )
    .action(async (opts: { config?: string; port?: string; host?: string; simFreeTier?: boolean }) => {
      let config: ReturnType<typeof loadGatewayConfig>;
      try {
        const server: Record<string, unknown> = {};
        if (opts.port !== undefined) server.port = Number(opts.port);
        if (opts.host !== undefined) server.host = opts.host;
        const overrides: Record<string, unknown> = { server };
        if (opts.simFreeTier) overrides.sim = { freeTier: true };
        config = loadGatewayConfig({ path: opts.config, overrides: overrides as never });
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`rotor: ${err.message}\n`);
          process.exit(2);
        }
        throw err;
      }
      // `rotor serve` persists by default (SQLite under ./data); an embedded gateway uses memory.
      if (config.store.url === undefined)
        config = { ...config, store: { ...config.store, url: defaultStoreUrl(config) } };
      let gateway: Gateway;
      try {
        gateway = await startGateway(config);
      } catch (err) {
        if (err instanceof StoreError) {
          process.stderr.write(`rotor: ${err.message}\n`);
          process.exit(2);
        }
        throw err;
      }
      if (gateway.simulated) process.stderr.write(simulatedBanner(gateway.url, gateway.simulator?.account()));
      else
        process.stderr.write(
          `rotor: gateway on ${gateway.url}/v1 (model "auto"), dashboard at ${gateway.url}/\n`,
        );
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`rotor: ${signal} received, draining in-flight requests…\n`);
        gateway.close().then(
          (r) => {
            process.stderr.write(
              `rotor: stopped (${r.drained} finished, ${r.aborted} answered with an error)\n`,
            );
            process.exit(0);
          },
          (err: unknown) => {
            process.stderr.write(`rotor: error while stopping: ${String(err)}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}

export function simulatedBanner(url: string, account?: AccountSnapshot): string {
  const lines = [
    'NO OPENROUTER_API_KEY SET — ANSWERS ARE SIMULATED',
    '',
    'rotor is running against its built-in OpenRouter simulator.',
    'Set OPENROUTER_API_KEY to route to real models.',
    '',
    ...(account ? [simulatedAccountLine(account), ''] : []),
    `OpenAI base URL:  ${url}/v1   (model "auto")`,
    `Dashboard:        ${url}/`,
  ];
  const width = Math.max(...lines.map((l) => l.length)) + 4;
  const bar = '!'.repeat(width + 2);
  const body = lines.map((l) => `! ${l.padEnd(width - 2)} !`).join('\n');
  return `\n${bar}\n${body}\n${bar}\n\n`;
}

/** What the demo account allows, in one line (the dashboard says the same). */
export function simulatedAccountLine(account: AccountSnapshot): string {
  const limits = `${account.day.limit.toLocaleString('en-US')} free requests a day, ${account.minute.limit} a minute`;
  return account.hasCredits
    ? `Simulated account with credits: ${limits} (--sim-free-tier: 50 a day).`
    : `Simulated free-tier account: ${limits}.`;
}
