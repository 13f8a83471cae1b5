/**
 * Numbered, append-only migrations (migrations/<dialect>/NNNN_name.sql; both dialects have the same numbers).
 * Each is applied in its own transaction and recorded in schema_migrations; a database whose version is
 * newer than the code is refused. On PostgreSQL an advisory lock makes processes starting together
 * (two schedulers, workers) migrate one after the other.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseTooNewError } from '../errors.js';
import type { Sql } from './sql.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
export const migrationsDir = (dialect: Sql['dialect']): string => path.join(ROOT, dialect);
/** Any number: the key of the advisory lock migrations hold on PostgreSQL. */
const MIGRATION_LOCK = 7_246_931;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir = migrationsDir('sqlite')): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f.slice(5, -4), sql: readFileSync(path.join(dir, f), 'utf8') }));
}

export function schemaVersion(sql: Sql): number {
  sql.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  return sql.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations')?.v ?? 0;
}

/** Applies pending migrations; returns the versions applied. `where` names the database in errors. */
export function migrate(sql: Sql, where: string, now: string, migrations = loadMigrations(migrationsDir(sql.dialect))): number[] {
  const latest = migrations.at(-1)?.version ?? 0;
  const applied: number[] = [];
  const step = (): Migration | undefined =>
    sql.tx(() => {
      if (sql.dialect === 'postgres') sql.get(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      const current = schemaVersion(sql);
      if (current > latest) throw new DatabaseTooNewError(current, latest, where);
      const next = migrations.find((m) => m.version > current);
      if (!next) return undefined;
      sql.exec(next.sql);
      sql.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', next.version, next.name, now);
      return next;
    });
  for (let m = step(); m; m = step()) applied.push(m.version);
  return applied;
}

/** For read-only opens: refuses a database newer than the code without writing to it. */
export function assertNotTooNew(sql: Sql, where: string, migrations = loadMigrations(migrationsDir(sql.dialect))): void {
  const latest = migrations.at(-1)?.version ?? 0;
  let current = 0;
  try {
    current = sql.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations')?.v ?? 0;
  } catch {
    return; // no schema_migrations table yet: nothing newer than us
  }
  if (current > latest) throw new DatabaseTooNewError(current, latest, where);
}
