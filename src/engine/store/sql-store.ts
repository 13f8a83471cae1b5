/** A Store from one Sql connection: the operations of ./sql-*.ts, written once for both databases. */
import { dagOps } from './sql-dags.js';
import { poolOps } from './sql-pools.js';
import { runAdminOps } from './sql-run-admin.js';
import { runOps } from './sql-runs.js';
import { scaleOutOps } from './sql-scale-out.js';
import { tiOps } from './sql-tis.js';
import { userOps } from './sql-users.js';
import type { Sql } from './sql.js';
import type { Store } from './store.js';

export function sqlStore(sql: Sql, location: string): Store {
  return {
    location,
    dialect: sql.dialect,
    close: () => sql.close(),
    transaction: (fn) => sql.tx(fn),
    savepoint: (fn) => sql.savepoint(fn),
    ...dagOps(sql),
    ...runOps(sql),
    ...tiOps(sql),
    ...poolOps(sql),
    ...userOps(sql),
    ...runAdminOps(sql),
    ...scaleOutOps(sql),
  };
}
