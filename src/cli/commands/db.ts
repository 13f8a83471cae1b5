import { existsSync } from 'node:fs';
import path from 'node:path';
import { topCommand } from '../command.js';
import { CliError } from '../errors.js';
import type { CommandModule } from '../program.js';

/** The metadata database inside DAGCTL_HOME (the engine contract's location). */
const dbFile = (home: string): string => path.join(home, 'dagctl.db');

/** The SQLite store, loaded on first use (a native module: other commands should not pay for it). */
async function loadStore(): Promise<typeof import('../../engine/store/sqlite.js') & typeof import('../../engine/store/migrate.js')> {
  const [sqlite, migrate] = await Promise.all([import('../../engine/store/sqlite.js'), import('../../engine/store/migrate.js')]);
  return { ...sqlite, ...migrate };
}

const db: CommandModule = (ctx) => {
  const root = topCommand('db', ctx).description('The metadata database (SQLite in DAGCTL_HOME)');
  root
    .command('migrate')
    .description('Create the database or apply pending migrations (every command also does this on open)')
    .action(async () => {
      const c = ctx();
      const { loadMigrations, openSqliteStore } = await loadStore();
      const file = dbFile(c.config.home);
      const existed = existsSync(file);
      openSqliteStore(file, new Date().toISOString()).close();
      const latest = loadMigrations().at(-1)?.version ?? 0;
      c.out.line(`${existed ? 'migrated' : 'created'} ${file}: schema version ${latest}`);
    });
  root
    .command('check')
    .description('Check that the database exists and can be read (exit 1 if not)')
    .action(async () => {
      const c = ctx();
      const { openSqliteStore } = await loadStore();
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
