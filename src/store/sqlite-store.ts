/**
 * The default store of a single gateway: one SQLite file (better-sqlite3, WAL), one row per
 * gateway state. Cooldowns, breakers, account quota counts and rolling per-model stats survive a
 * restart. The gateway holds the file's lock while it runs (`locking_mode = EXCLUSIVE`), so a
 * second gateway on the same file is refused instead of silently overwriting the first one's
 * state. Opening checks everything a later write needs (schema, write lock), so a locked or
 * unwritable file is one clear error at start, never a crash loop of stack traces. A file that is
 * not a database, or a WAL that is not a WAL, is kept aside as `<name>.corrupt-<time>` and the
 * gateway starts with fresh state, saying so: the state is a cache of health facts, and a gateway
 * that refuses to start over it would be worse than one that relearns them.
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { EngineStateJson } from '../engine/engine-state.js';
import { isEngineStateJson, type StateStore, StoreError } from './state-store.js';

/** Version of the tables below, kept in `PRAGMA user_version`. */
export const SQLITE_SCHEMA_VERSION = 1;

export interface SqliteStoreOptions {
  /** How long a statement waits for another connection's lock before failing, ms. Default 2000. */
  busyTimeoutMs?: number;
  /** The row this gateway's state lives in. Default `gateway`. */
  key?: string;
  /** Told what was found wrong and done about it at open (an empty file, a corrupt file kept aside). */
  onNotice?: (message: string) => void;
}

const SQLITE_HEADER = 'SQLite format 3\0';
/** The two magic numbers a WAL file starts with (big- and little-endian checksums). */
const WAL_MAGIC = new Set([0x377f0682, 0x377f0683]);

export class SqliteStore implements StateStore {
  readonly kind = 'sqlite' as const;
  readonly location: string;
  private readonly db: Database.Database;
  private readonly key: string;
  private readonly selectState: Database.Statement<[string], { state: string }>;
  private readonly upsertState: Database.Statement<[string, number, string]>;
  private failing = false;
  private closed = false;

  private constructor(path: string, db: Database.Database, key: string) {
    this.location = path;
    this.db = db;
    this.key = key;
    this.selectState = db.prepare('SELECT state FROM engine_state WHERE id = ?');
    this.upsertState = db.prepare(
      `INSERT INTO engine_state (id, saved_at_ms, state) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET saved_at_ms = excluded.saved_at_ms, state = excluded.state`,
    );
  }

  /** Open (creating it and its directory if needed) the file at `path`. Throws `StoreError`. */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    const file = resolve(path);
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch (err) {
      throw new StoreError(
        `SQLite store ${file}: cannot create its directory (${(err as Error).message}); choose a writable path with ROTOR_STORE=sqlite:PATH.`,
      );
    }
    const notice = options.onNotice ?? (() => {});
    checkFiles(file, notice);
    try {
      return SqliteStore.openChecked(file, options);
    } catch (err) {
      // Corruption the header checks could not see: keep the files aside and start once more, fresh.
      if (!(err instanceof CorruptFileError)) throw err;
      notice(`${keepAside(file, [file, `${file}-wal`, `${file}-shm`])}; starting with fresh state`);
      return SqliteStore.openChecked(file, options);
    }
  }

  private static openChecked(file: string, options: SqliteStoreOptions): SqliteStore {
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { timeout: options.busyTimeoutMs ?? 2000 });
      db.pragma('locking_mode = EXCLUSIVE'); // one gateway per file; the lock is released on close or exit
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SQLITE_SCHEMA_VERSION) {
        throw new StoreError(
          `SQLite store ${file}: schema version ${version} was written by a newer rotor (this one knows ${SQLITE_SCHEMA_VERSION}); upgrade rotor or use another file.`,
        );
      }
      // An immediate (write) transaction: fails now, not at the first save, if another process holds the lock.
      db.transaction(() => {
        db!.exec(`CREATE TABLE IF NOT EXISTS engine_state (
          id TEXT PRIMARY KEY,
          saved_at_ms INTEGER NOT NULL,
          state TEXT NOT NULL
        )`);
        if (version < SQLITE_SCHEMA_VERSION) db!.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
      }).immediate();
      return new SqliteStore(file, db, options.key ?? 'gateway');
    } catch (err) {
      db?.close();
      const code = (err as { code?: unknown }).code;
      if (code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT')))
        throw new CorruptFileError(sqliteError(file, err).message);
      throw sqliteError(file, err);
    }
  }

  async load(): Promise<EngineStateJson | undefined> {
    let row: { state: string } | undefined;
    try {
      row = this.selectState.get(this.key);
    } catch (err) {
      throw sqliteError(this.location, err);
    }
    if (!row) return undefined;
    let state: unknown;
    try {
      state = JSON.parse(row.state);
    } catch {
      state = undefined;
    }
    if (!isEngineStateJson(state)) {
      throw new StoreError(
        `SQLite store ${this.location}: the saved state is unreadable; move the file aside to start with fresh state.`,
      );
    }
    return state;
  }

  async save(state: EngineStateJson): Promise<void> {
    if (this.closed) return;
    try {
      this.upsertState.run(this.key, state.savedAtMs, JSON.stringify(state));
      this.failing = false;
    } catch (err) {
      this.failing = true;
      throw sqliteError(this.location, err);
    }
  }

  degraded(): boolean {
    return this.failing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

/** One line that names the file, says what is wrong and what to do. */
function sqliteError(file: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  const say = (what: string) => new StoreError(`SQLite store ${file}: ${what}`);
  switch (typeof code === 'string' ? code.replace(/^(SQLITE_[A-Z]+).*$/, '$1') : undefined) {
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return say(
        'database is locked by another process (another rotor on the same file?); stop it, or give this gateway its own file with ROTOR_STORE=sqlite:PATH.',
      );
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
      return say(
        'file is not a database or is corrupt; move it aside (rotor then starts with fresh state) or point ROTOR_STORE at another file.',
      );
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
      return say(`cannot open the file (${message}); check that it and its directory are writable.`);
    case 'SQLITE_READONLY':
      return say('the file is read-only; make it writable or choose another with ROTOR_STORE=sqlite:PATH.');
    case 'SQLITE_FULL':
      return say('the disk is full.');
    default:
      return say(`${message.replace(/\s+/g, ' ')}.`);
  }
}

class CorruptFileError extends StoreError {}

/**
 * Before SQLite sees them: an empty file is reported (SQLite would silently treat it as a new
 * database), a file without SQLite's header or a WAL without the WAL magic is kept aside (SQLite
 * would silently ignore a garbage WAL, dropping what it held without a word).
 */
function checkFiles(file: string, notice: (message: string) => void): void {
  const mainSize = sizeOf(file);
  if (mainSize === 0) notice(`SQLite store ${file}: the file is empty (0 bytes); starting with fresh state`);
  else if (mainSize !== undefined && readHead(file, 16).toString('latin1') !== SQLITE_HEADER) {
    notice(
      `${keepAside(file, [file, `${file}-wal`, `${file}-shm`])} (not a SQLite database); starting with fresh state`,
    );
    return;
  }
  const wal = `${file}-wal`;
  const walSize = sizeOf(wal);
  if (walSize === undefined || walSize === 0) return;
  const head = readHead(wal, 32);
  if (head.length < 32 || !WAL_MAGIC.has(head.readUInt32BE(0))) {
    notice(
      `${keepAside(file, [wal, `${file}-shm`])} (not a SQLite write-ahead log); starting from the last checkpointed state`,
    );
  }
}

/** Rename `paths` (those that exist) to `<path>.corrupt-<time>`; says what was moved where. */
function keepAside(file: string, paths: readonly string[]): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const moved: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) continue;
    const to = `${p}.corrupt-${stamp}`;
    try {
      renameSync(p, to);
    } catch (err) {
      throw new StoreError(
        `SQLite store ${file}: ${p} is corrupt and cannot be moved aside (${(err as Error).message}); move it yourself or choose another file with ROTOR_STORE=sqlite:PATH.`,
      );
    }
    moved.push(to);
  }
  return `SQLite store ${file}: corrupt; kept aside as ${moved.join(', ')}`;
}

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

function readHead(path: string, bytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    return buf.subarray(0, readSync(fd, buf, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}
