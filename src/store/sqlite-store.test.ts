/** The SQLite store on its own: round trip, reopen, and one-line errors for files it cannot use. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../engine/clock.js';
import { seededRandom } from '../engine/random.js';
import { RotationEngine } from '../engine/rotation-engine.js';
import { SqliteStore } from './sqlite-store.js';
import { StoreError } from './state-store.js';

const A = 'a/primary:free';
const B = 'b/second:free';
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'rotor-sqlite-')), 'nested', 'rotor.db');
}

function open(path: string, busyTimeoutMs = 2000): SqliteStore {
  const store = SqliteStore.open(path, { busyTimeoutMs });
  cleanups.push(() => store.close());
  return store;
}

function engineWithHistory() {
  const clock = new ManualClock(Date.UTC(2026, 7, 14, 12));
  const engine = new RotationEngine({ rotationOrder: [A, B] }, { clock, random: seededRandom(3) });
  engine.coolDown(A, 60_000, 'rate_limited', 'rate limited (server reset hint)');
  engine.recordSuccess(B, { latencyMs: 420, ttftMs: 120 });
  engine.setAccountQuota('openrouter', { limit: 50, remaining: 0, used: 50 });
  return { clock, engine };
}

describe('SqliteStore', () => {
  it('starts empty, then loads exactly what was saved, also after reopening the file', async () => {
    const path = tempFile();
    const store = open(path);
    expect(await store.load()).toBeUndefined();
    const { engine } = engineWithHistory();
    const state = engine.toJSON();
    await store.save(state);
    expect(await store.load()).toEqual(state);
    await store.close();
    expect(await open(path).load()).toEqual(state);
  });

  it('uses WAL and records its schema version', async () => {
    const path = tempFile();
    await open(path).close();
    const db = new Database(path, { readonly: true });
    cleanups.push(() => void db.close());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(1);
  });

  it('a locked file is a one-line StoreError at open, naming the file', async () => {
    const path = tempFile();
    await open(path).close();
    const holder = new Database(path);
    cleanups.push(() => void holder.close());
    holder.exec('BEGIN EXCLUSIVE');
    cleanups.push(() => void holder.exec('ROLLBACK'));
    const err = (() => {
      try {
        SqliteStore.open(path, { busyTimeoutMs: 50 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toMatch(/database is locked by another process/);
    expect((err as Error).message).not.toContain('\n');
  });

  it('a second store on a file in use is refused: one gateway per file', async () => {
    const path = tempFile();
    const first = open(path);
    await first.save(engineWithHistory().engine.toJSON());
    expect(() => SqliteStore.open(path, { busyTimeoutMs: 50 })).toThrowError(
      /database is locked by another process/,
    );
    await first.close();
    await open(path).close(); // free again once the first is closed
  });

  const corruptCopies = (dir: string, name: string) =>
    readdirSync(dir).filter((f) => f.startsWith(`${name}.corrupt-`));

  it('a file that is not a database is kept aside as *.corrupt-<time>, reported, and a fresh one opened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rotor-sqlite-'));
    const path = join(dir, 'rotor.db');
    const text = 'this is not an SQLite file, just some text '.repeat(20);
    writeFileSync(path, text);
    const notices: string[] = [];
    const store = SqliteStore.open(path, { onNotice: (m) => notices.push(m) });
    cleanups.push(() => store.close());
    expect(await store.load()).toBeUndefined();
    const [aside] = corruptCopies(dir, 'rotor.db');
    expect(aside).toMatch(/^rotor\.db\.corrupt-\d{4}-\d\d-\d\dT/);
    expect(readFileSync(join(dir, aside!), 'utf8')).toBe(text); // nothing lost: the old file is intact
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(`kept aside as ${join(dir, aside!)}`);
    expect(notices[0]).toMatch(/starting with fresh state/);
  });

  it('a file with a SQLite header but garbage pages is kept aside too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rotor-sqlite-'));
    const path = join(dir, 'rotor.db');
    writeFileSync(path, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4080, 0xab)]));
    const notices: string[] = [];
    const store = SqliteStore.open(path, { onNotice: (m) => notices.push(m) });
    cleanups.push(() => store.close());
    expect(corruptCopies(dir, 'rotor.db')).toHaveLength(1);
    expect(notices.join('\n')).toMatch(/corrupt; kept aside/);
  });

  it('a garbage WAL is kept aside and the last checkpointed state is kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rotor-sqlite-'));
    const path = join(dir, 'rotor.db');
    const first = SqliteStore.open(path);
    const state = engineWithHistory().engine.toJSON();
    await first.save(state);
    await first.close(); // the last close checkpoints the WAL into the file
    writeFileSync(`${path}-wal`, Buffer.alloc(8192, 0x5a));
    const notices: string[] = [];
    const again = SqliteStore.open(path, { onNotice: (m) => notices.push(m) });
    cleanups.push(() => again.close());
    expect((await again.load())?.savedAtMs).toBe(state.savedAtMs);
    expect(corruptCopies(dir, 'rotor.db-wal')).toHaveLength(1);
    expect(notices.join('\n')).toMatch(/not a SQLite write-ahead log/);
  });

  it('an empty file is reported, and a healthy file and WAL are not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rotor-sqlite-'));
    const path = join(dir, 'rotor.db');
    writeFileSync(path, '');
    const notices: string[] = [];
    await SqliteStore.open(path, { onNotice: (m) => notices.push(m) }).close();
    expect(notices).toEqual([`SQLite store ${path}: the file is empty (0 bytes); starting with fresh state`]);
    const healthy = SqliteStore.open(path, { onNotice: (m) => notices.push(m) });
    await healthy.save(engineWithHistory().engine.toJSON());
    expect(existsSync(`${path}-wal`)).toBe(true); // in use while open
    await healthy.close();
    await SqliteStore.open(path, { onNotice: (m) => notices.push(m) }).close();
    expect(notices).toHaveLength(1);
    expect(corruptCopies(dir, 'rotor.db')).toEqual([]);
  });

  it('a saved state that is not engine state is refused with advice', async () => {
    const path = tempFile();
    await open(path).close();
    const db = new Database(path);
    db.prepare('INSERT INTO engine_state (id, saved_at_ms, state) VALUES (?, ?, ?)').run(
      'gateway',
      1,
      '{"x":1}',
    );
    db.close();
    await expect(open(path).load()).rejects.toThrowError(/saved state is unreadable; move the file aside/);
  });

  it('a schema from a newer rotor is refused', async () => {
    const path = tempFile();
    await open(path).close();
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    expect(() => SqliteStore.open(path)).toThrowError(/schema version 99 was written by a newer rotor/);
  });
});
