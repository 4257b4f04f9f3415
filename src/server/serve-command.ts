/**
 * `rotor serve`: run the gateway until SIGTERM/SIGINT, then drain in-flight requests and exit;
 * SIGHUP reloads the configuration file. Without OPENROUTER_API_KEY it serves simulated answers
 * and says so loudly. Everything it writes goes through the one redaction rule.
 */
import type { Command } from 'commander';
import { redact } from '../redact.js';
import type { AccountSnapshot } from '../sim/account-limits.js';
import { SIMULATED_POOL_PROVIDERS } from '../sim/providers/provider-endpoints.js';
import { StoreError } from '../store/state-store.js';
import { exposureWarning } from './exposure.js';
import { type Gateway, startGateway } from './gateway.js';
import { ConfigError, defaultStoreUrl, type GatewayConfig, loadGatewayConfig } from './gateway-config.js';

const say = (text: string) => process.stderr.write(redact(text));

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
      const load = (): GatewayConfig => {
        const server: Record<string, unknown> = {};
        if (opts.port !== undefined) server.port = Number(opts.port);
        if (opts.host !== undefined) server.host = opts.host;
        const overrides: Record<string, unknown> = { server };
        if (opts.simFreeTier) overrides.sim = { freeTier: true };
        const loaded = loadGatewayConfig({ path: opts.config, overrides: overrides as never });
        // `rotor serve` persists by default (SQLite under ./data); an embedded gateway uses memory.
        return loaded.store.url === undefined
          ? { ...loaded, store: { ...loaded.store, url: defaultStoreUrl(loaded) } }
          : loaded;
      };
      let config: GatewayConfig;
      try {
        config = load();
      } catch (err) {
        if (err instanceof ConfigError) {
          say(`rotor: ${err.message}\n`);
          process.exit(2);
        }
        throw err;
      }
      let gateway: Gateway;
      try {
        // Zero config: every provider whose key variable is set joins (README "Providers").
        // With no key at all, the demo pools simulated Groq and Gemini beside the simulated
        // OpenRouter (`sim.providers` changes that; `[]` keeps OpenRouter alone).
        gateway = await startGateway(config, {
          env: process.env,
          simulatedProviders: SIMULATED_POOL_PROVIDERS,
        });
      } catch (err) {
        if (err instanceof StoreError || err instanceof ConfigError) {
          say(`rotor: ${err.message}\n`);
          process.exit(2);
        }
        throw err;
      }
      // One write: the warning can never be separated from (or arrive after) the banner.
      const warning = exposureWarning(config.server);
      const banner = gateway.simulated
        ? simulatedBanner(
            gateway.url,
            gateway.urls,
            gateway.simulator?.account(),
            gateway.providers.joined.map((j) => j.provider.name),
          )
        : `rotor: gateway on ${gateway.url}/v1 (model "auto"), dashboard at ${gateway.url}/\n` +
          gateway.urls
            .slice(1)
            .map((u) => `rotor: also reachable at ${u}/v1\n`)
            .join('');
      say(
        `${banner}${gateway.simulated ? '' : providersBanner(gateway.providers)}${warning ? `\nrotor: WARNING: ${warning}\n\n` : ''}`,
      );
      process.on('SIGHUP', () => {
        let next: GatewayConfig;
        try {
          next = load();
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          say(`rotor: SIGHUP: reload failed, still running with the previous configuration: ${why}\n`);
          return;
        }
        const plan = gateway.reload(next);
        const applied = plan.apply.length ? plan.apply.join(', ') : 'nothing changed';
        const restart = plan.restart.length ? `; needs a restart to change: ${plan.restart.join(', ')}` : '';
        say(`rotor: SIGHUP: configuration reloaded (applied: ${applied}${restart})\n`);
        const exposed = exposureWarning(gateway.config.server);
        if (exposed) say(`rotor: WARNING: ${exposed}\n`);
      });
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        say(`rotor: ${signal} received, draining in-flight requests…\n`);
        gateway.close().then(
          (r) => {
            say(`rotor: stopped (${r.drained} finished, ${r.aborted} answered with an error)\n`);
            process.exit(0);
          },
          (err: unknown) => {
            say(`rotor: error while stopping: ${String(err)}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}

export function simulatedBanner(
  url: string,
  urls: readonly string[] = [url],
  account?: AccountSnapshot,
  providers: readonly string[] = [],
): string {
  const pool = providers;
  const lines = [
    'NO OPENROUTER_API_KEY SET — ANSWERS ARE SIMULATED',
    '',
    pool.length > 0
      ? `rotor is running against a simulated pool: OpenRouter + ${pool.join(' + ')}.`
      : 'rotor is running against its built-in OpenRouter simulator.',
    pool.length > 0
      ? 'Set OPENROUTER_API_KEY, GROQ_API_KEY, GEMINI_API_KEY, … to route to real models.'
      : 'Set OPENROUTER_API_KEY to route to real models.',
    '',
    ...(account ? [simulatedAccountLine(account), ''] : []),
    `OpenAI base URL:  ${url}/v1   (model "auto")`,
    `Dashboard:        ${url}/`,
    ...urls.filter((u) => u !== url).map((u) => `Also reachable:   ${u}/v1`),
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

/**
 * Which providers are pooled and which are not, with why (only when at least one provider
 * joined: without a provider key the banner is what it always was).
 */
export function providersBanner(providers: Gateway['providers']): string {
  if (providers.joined.length === 0) return '';
  const joined = providers.joined.map(
    (j) =>
      `rotor: provider ${j.id} joined (${j.keySource ?? 'no key needed'}; ${j.provider.rotation.length} models)\n`,
  );
  const skipped = providers.skipped.map((s) => `rotor: provider ${s.id} left out: ${s.reason}\n`);
  return [...joined, ...skipped].join('');
}
