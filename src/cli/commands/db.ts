import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadMigrations } from '../../engine/store/migrate.js';
import { openSqliteStore } from '../../engine/store/sqlite.js';
import { topCommand } from '../command.js';
import { CliError } from '../errors.js';
import type { CommandModule } from '../program.js';

/** The metadata database inside DAGCTL_HOME (the engine contract's location). */
const dbFile = (home: string): string => path.join(home, 'dagctl.db');

const db: CommandModule = (ctx) => {
  const root = topCommand('db', ctx).description('The metadata database (SQLite in DAGCTL_HOME)');
  root
    .command('migrate')
    .description('Create the database or apply pending migrations (every command also does this on open)')
    .action(() => {
      const c = ctx();
      const file = dbFile(c.config.home);
      const existed = existsSync(file);
      openSqliteStore(file, new Date().toISOString()).close();
      const latest = loadMigrations().at(-1)?.version ?? 0;
      c.out.line(`${existed ? 'migrated' : 'created'} ${file}: schema version ${latest}`);
    });
  root
    .command('check')
    .description('Check that the database exists and can be read (exit 1 if not)')
    .action(() => {
      const c = ctx();
      const file = dbFile(c.config.home);
      if (!existsSync(file)) throw new CliError(`no database at ${file}`, 'create it with `dagctl db migrate` (or check DAGCTL_HOME / --home)', 'no_database');
      const store = openSqliteStore(file, new Date().toISOString(), { readonly: true });
      try {
        const dags = store.listDags().length;
        const holder = store.lockHolder();
        c.out.line(`ok: ${file} (${dags} DAGs)`);
        c.out.line(holder ? `scheduler lock: ${holder.kind} pid ${holder.pid} on ${holder.hostname}, last heartbeat ${holder.heartbeat_at}` : 'scheduler lock: free');
      } finally {
        store.close();
      }
    });
  return root;
};
export default db;
