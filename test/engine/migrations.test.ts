import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseTooNewError } from '../../src/engine/errors.js';
import { loadMigrations, migrate, schemaVersion } from '../../src/engine/store/migrate.js';
import { openSqliteStore } from '../../src/engine/store/sqlite.js';
import { SqliteSql } from '../../src/engine/store/sqlite-sql.js';
import { cleanup, tempDir } from './helpers.js';

afterEach(cleanup);
const NOW = '2026-01-01T00:00:00.000Z';

describe('migrations', () => {
  it('applies every numbered migration once, in a transaction, and records it', () => {
    const file = path.join(tempDir(), 'dagctl.db');
    const raw = new Database(file);
    const db = new SqliteSql(raw);
    const all = loadMigrations();
    expect(all[0]).toMatchObject({ version: 1, name: 'init' });
    expect(migrate(db, file, NOW)).toEqual(all.map((m) => m.version));
    expect(migrate(db, file, NOW)).toEqual([]);
    expect(schemaVersion(db)).toBe(all.at(-1)!.version);
    const rows = db.all('SELECT version, name, applied_at FROM schema_migrations');
    expect(rows).toEqual(all.map((m) => ({ version: m.version, name: m.name, applied_at: NOW })));
    db.close();
  });
  it('rolls back a migration that fails halfway', () => {
    const file = path.join(tempDir(), 'dagctl.db');
    const db = new SqliteSql(new Database(file));
    const bad = [{ version: 1, name: 'bad', sql: 'CREATE TABLE t1 (x INTEGER); CREATE TABLE broken (' }];
    expect(() => migrate(db, file, NOW, bad)).toThrow();
    expect(db.get("SELECT name FROM sqlite_master WHERE name = 't1'")).toBeUndefined();
    expect(schemaVersion(db)).toBe(0);
    db.close();
  });
  it('refuses a database newer than the code, with a hint', () => {
    const file = path.join(tempDir(), 'dagctl.db');
    openSqliteStore(file, NOW).close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, ?)').run('future', NOW);
    db.close();
    let err: unknown;
    try {
      openSqliteStore(file, NOW);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DatabaseTooNewError);
    expect((err as DatabaseTooNewError).message).toContain('schema version 999');
    expect((err as DatabaseTooNewError).hint).toMatch(/upgrade dagctl/);
    expect(() => openSqliteStore(file, NOW, { readonly: true })).toThrow(DatabaseTooNewError);
  });
  it('opens in WAL mode', () => {
    const file = path.join(tempDir(), 'dagctl.db');
    openSqliteStore(file, NOW).close();
    const db = new Database(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });
});
