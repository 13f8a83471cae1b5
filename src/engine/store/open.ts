/**
 * Which metadata database a process uses: PostgreSQL when DAGCTL_DATABASE_URL is set (postgres://…),
 * otherwise the SQLite file in DAGCTL_HOME (the embedded default). Workers open the location their job names.
 */
import path from 'node:path';
import { StoreUnavailableError } from '../errors.js';
import { isPostgresUrl, openPostgresStore } from './postgres.js';
export { isPostgresUrl } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './store.js';

export function dbFile(home: string): string {
  return path.join(home, 'dagctl.db');
}

/** The database this home uses: DAGCTL_DATABASE_URL, or its SQLite file. */
export function databaseLocation(home: string, env: NodeJS.ProcessEnv = process.env): string {
  const url = env.DAGCTL_DATABASE_URL?.trim();
  if (!url) return dbFile(home);
  if (!isPostgresUrl(url)) {
    throw new StoreUnavailableError(url, 'DAGCTL_DATABASE_URL must be a postgres:// or postgresql:// URL', 'unset it to use the SQLite file in DAGCTL_HOME, or set it to postgres://USER:PASSWORD@HOST:PORT/DATABASE');
  }
  return url;
}

/** Opens (and migrates, unless read-only) the store at a location: a PostgreSQL URL or a SQLite file. */
export function openStoreAt(location: string, now: string, o: { readonly?: boolean } = {}): Store {
  return isPostgresUrl(location) ? openPostgresStore(location, now, o) : openSqliteStore(location, now, o);
}

export function openStore(home: string, now: string, o: { readonly?: boolean } = {}): Store {
  return openStoreAt(databaseLocation(home), now, o);
}
