/**
 * Numbered, append-only migrations (migrations/NNNN_name.sql). Each is applied in its own transaction and
 * recorded in schema_migrations; a database whose version is newer than the code is refused.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { DatabaseTooNewError } from '../errors.js';

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f.slice(5, -4), sql: readFileSync(path.join(dir, f), 'utf8') }));
}

export function schemaVersion(db: Database.Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/** Applies pending migrations; returns the versions applied. */
export function migrate(db: Database.Database, file: string, now: string, migrations = loadMigrations()): number[] {
  const latest = migrations.at(-1)?.version ?? 0;
  const current = schemaVersion(db);
  if (current > latest) throw new DatabaseTooNewError(current, latest, file);
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now);
    }).immediate();
    applied.push(m.version);
  }
  return applied;
}

/** For read-only opens: refuses a database newer than the code without writing to it. */
export function assertNotTooNew(db: Database.Database, file: string, migrations = loadMigrations()): void {
  const latest = migrations.at(-1)?.version ?? 0;
  let current = 0;
  try {
    current = (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
  } catch {
    return; // no schema_migrations table yet: nothing newer than us
  }
  if (current > latest) throw new DatabaseTooNewError(current, latest, file);
}
