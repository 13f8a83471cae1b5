/**
 * The PostgreSQL Store (DAGCTL_DATABASE_URL=postgres://…): the same operations and numbered migrations as
 * SQLite, over one connection per process. Several schedulers and workers on several hosts share it.
 */
import { redactUrl } from '../errors.js';
import { assertNotTooNew, migrate } from './migrate.js';
import { PostgresSql } from './postgres-sql.js';
import { sqlStore } from './sql-store.js';
import type { Store } from './store.js';

export function openPostgresStore(url: string, now: string, o: { readonly?: boolean } = {}): Store {
  const sql = new PostgresSql(url);
  try {
    if (o.readonly) assertNotTooNew(sql, redactUrl(url));
    else migrate(sql, redactUrl(url), now);
  } catch (e) {
    sql.close();
    throw e;
  }
  return sqlStore(sql, url);
}

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//.test(location);
}
