/** The SQLite store on its own: round trip, reopen, and one-line errors for files it cannot use. */
import { mkdtempSync, writeFileSync } from 'node:fs';
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

  it('a file that is not a database is a one-line StoreError', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rotor-sqlite-')), 'rotor.db');
    writeFileSync(path, 'this is not an SQLite file, just some text '.repeat(20));
    expect(() => SqliteStore.open(path)).toThrowError(StoreError);
    expect(() => SqliteStore.open(path)).toThrowError(/file is not a database or is corrupt; move it aside/);
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
