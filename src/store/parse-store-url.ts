/**
 * The store a gateway uses, as one string (config `store.url` or `ROTOR_STORE`):
 * `memory` · `sqlite:PATH` · `redis://[USER:PASSWORD@]HOST[:PORT][/DB][?prefix=rotor:]`
 * (`rediss://` for TLS). Errors say what was expected and echo the bad value.
 */
import { StoreError } from './state-store.js';

export interface RedisAddress {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
  /** Prefix of every key and channel rotor uses, so several deployments can share one Redis. Default `rotor:`. */
  prefix: string;
}

export type StoreUrl =
  | { kind: 'memory'; display: string }
  | { kind: 'sqlite'; path: string; display: string }
  | ({ kind: 'redis'; display: string } & RedisAddress);

export const DEFAULT_REDIS_PREFIX = 'rotor:';
const EXPECTED = 'expected "memory", "sqlite:PATH" or "redis://HOST:PORT[/DB]"';

export function parseStoreUrl(input: string): StoreUrl {
  const text = input.trim();
  if (text === 'memory' || text === 'memory:') return { kind: 'memory', display: 'memory' };
  if (text.startsWith('sqlite:')) {
    let path = text.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2); // sqlite:///abs/path → /abs/path
    if (path === '') throw invalid(input, 'sqlite: needs a file path, e.g. sqlite:./data/rotor.db');
    return { kind: 'sqlite', path, display: `sqlite:${path}` };
  }
  if (text.startsWith('redis://') || text.startsWith('rediss://')) return parseRedis(input, text);
  throw invalid(input, EXPECTED);
}

function parseRedis(input: string, text: string): StoreUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(input, EXPECTED);
  }
  if (!url.hostname) throw invalid(input, 'a Redis URL needs a host, e.g. redis://127.0.0.1:6379');
  const port = url.port === '' ? 6379 : Number(url.port);
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw invalid(input, 'the Redis database must be a number, e.g. /0');
  for (const key of url.searchParams.keys()) {
    if (key !== 'prefix') throw invalid(input, `unknown option "${key}" (only "prefix" is known)`);
  }
  const prefix = url.searchParams.get('prefix') ?? DEFAULT_REDIS_PREFIX;
  const tls = url.protocol === 'rediss:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const address: RedisAddress = { host, port, db, tls, prefix };
  if (url.username) address.username = decodeURIComponent(url.username);
  if (url.password) address.password = decodeURIComponent(url.password);
  const auth = url.username || url.password ? `${url.username}${url.password ? ':***' : ''}@` : '';
  const query = prefix === DEFAULT_REDIS_PREFIX ? '' : `?prefix=${encodeURIComponent(prefix)}`;
  const display = `${url.protocol}//${auth}${url.hostname}:${port}/${db}${query}`;
  return { kind: 'redis', display, ...address };
}

function invalid(input: string, why: string): StoreError {
  return new StoreError(`Invalid store URL ${JSON.stringify(redact(input))}: ${why}`);
}

/** The URL with any password replaced by `***`, safe for logs. */
function redact(input: string): string {
  return input.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}
