/**
 * `rotor status`: a running gateway's state in the terminal — `GET {url}/v1/rotor/status`, shown
 * as a few header lines and a per-model table (colours on a TTY), or passed through with `--json`.
 */
import type { Command } from 'commander';
import { request } from 'undici';
import { type CommandIo, processIo } from './command-io.js';
import { formatStatus, gatewayStatusSchema } from './status-command-format.js';

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:8080';

export interface StatusCommandOptions {
  /** Gateway address. Default `$ROTOR_URL`, else `http://127.0.0.1:8080`. */
  url?: string;
  /** Client key, when the gateway requires one. Default `$ROTOR_API_KEY`. Never printed. */
  key?: string;
  json?: boolean;
  /** Limit for the whole request, ms. Default 5 000. */
  timeoutMs?: number;
  /** `HH:MM:SS` of an epoch-ms time (tests pin it). Default: local time. */
  clockTime?: (epochMs: number) => string;
}

class StatusError extends Error {
  override readonly name = 'StatusError';
}

/** Runs the command; returns the exit code (1 when the gateway cannot be reached or read). */
export async function runStatus(options: StatusCommandOptions, io: CommandIo): Promise<number> {
  const url = gatewayBase(options.url ?? io.env.ROTOR_URL ?? DEFAULT_GATEWAY_URL);
  const key = options.key ?? (io.env.ROTOR_API_KEY || undefined);
  try {
    const body = await fetchStatus(url, key, options.timeoutMs ?? 5_000);
    if (options.json) {
      io.stdout(JSON.stringify(body, null, 2));
      return 0;
    }
    const parsed = gatewayStatusSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new StatusError(
        `${url}/v1/rotor/status answered, but not with a rotor status (${issue.path.join('.') || '(root)'}: ` +
          `${issue.message}); is this a rotor gateway of the same version?`,
      );
    }
    io.stdout(
      formatStatus(parsed.data, {
        colour: io.colour,
        url,
        ...(options.clockTime ? { clockTime: options.clockTime } : {}),
      }),
    );
    return 0;
  } catch (err) {
    if (err instanceof StatusError) {
      io.stderr(`rotor status: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

/** `http://host:8080/` or `http://host:8080/v1` → `http://host:8080`. */
function gatewayBase(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v1$/, '');
}

async function fetchStatus(url: string, key: string | undefined, timeoutMs: number): Promise<unknown> {
  const target = `${url}/v1/rotor/status`;
  let response: Awaited<ReturnType<typeof request>>;
  try {
    new URL(target);
  } catch {
    throw new StatusError(`not a URL: ${JSON.stringify(url)} (give e.g. --url http://127.0.0.1:8080)`);
  }
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    response = await request(target, {
      method: 'GET',
      headers: { accept: 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      signal,
    });
  } catch (err) {
    const reason = signal.aborted ? `no answer within ${timeoutMs} ms` : networkReason(err);
    throw new StatusError(
      `cannot reach the gateway at ${url}: ${reason}. Is \`rotor serve\` running there? (--url or ROTOR_URL)`,
    );
  }
  let text: string;
  try {
    text = await response.body.text();
  } catch (err) {
    throw new StatusError(`the gateway at ${url} broke off its answer: ${networkReason(err)}`);
  }
  if (response.statusCode === 401) {
    throw new StatusError(
      `the gateway at ${url} refused ${key ? 'the key' : 'the request: it needs a key'} (--key or ROTOR_API_KEY)`,
    );
  }
  if (response.statusCode !== 200) {
    throw new StatusError(
      `${target} answered HTTP ${response.statusCode}: ${text.replace(/\s+/g, ' ').slice(0, 200)}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new StatusError(`${target} answered with something that is not JSON`);
  }
}

function networkReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const cause = err.cause instanceof Error ? err.cause : undefined;
  const causeCode = (cause as { code?: unknown } | undefined)?.code;
  const codes = [code, causeCode].filter(
    (c): c is string => typeof c === 'string' && !c.startsWith('UND_ERR'),
  );
  return codes[0] ?? cause?.message ?? err.message;
}

export function register(program: Command, io: CommandIo = processIo()): void {
  program
    .command('status')
    .description("A running gateway's state: current model, quota, and each model's health and latency.")
    .option('--url <url>', `gateway address (default: $ROTOR_URL or ${DEFAULT_GATEWAY_URL})`)
    .option('--key <key>', "the gateway's client key, if it requires one (default: $ROTOR_API_KEY)")
    .option('--json', 'print the status JSON as the gateway sent it')
    .action(async (options: Pick<StatusCommandOptions, 'url' | 'key' | 'json'>) => {
      process.exitCode = await runStatus(options, io);
    });
}
