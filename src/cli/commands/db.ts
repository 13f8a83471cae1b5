import { existsSync } from 'node:fs';
import { topCommand } from '../command.js';
import { CliError } from '../errors.js';
import type { CommandModule } from '../program.js';

/** The store, loaded on first use (native modules: other commands should not pay for them). */
async function loadStore(): Promise<typeof import('../../engine/store/open.js') & typeof import('../../engine/store/migrate.js') & typeof import('../../engine/errors.js')> {
  const [open, migrate, errors] = await Promise.all([import('../../engine/store/open.js'), import('../../engine/store/migrate.js'), import('../../engine/errors.js')]);
  return { ...open, ...migrate, ...errors };
}

const db: CommandModule = (ctx) => {
  const root = topCommand('db', ctx).description('The metadata database (SQLite in DAGCTL_HOME, or PostgreSQL at DAGCTL_DATABASE_URL)');
  root
    .command('migrate')
    .description('Create the database or apply pending migrations (every command also does this on open)')
    .action(async () => {
      const c = ctx();
      const { databaseLocation, loadMigrations, migrationsDir, openStoreAt, redactUrl } = await loadStore();
      const where = databaseLocation(c.config.home);
      const existed = existsSync(where);
      const store = openStoreAt(where, new Date().toISOString());
      store.close();
      const latest = loadMigrations(migrationsDir(store.dialect)).at(-1)?.version ?? 0;
      c.out.line(`${store.dialect === 'sqlite' && !existed ? 'created' : 'migrated'} ${redactUrl(where)}: schema version ${latest}`);
    });
  root
    .command('check')
    .description('Check that the database exists and can be read (exit 1 if not)')
    .action(async () => {
      const c = ctx();
      const { databaseLocation, isPostgresUrl, openStoreAt, redactUrl } = await loadStore();
      const where = databaseLocation(c.config.home);
      if (!isPostgresUrl(where) && !existsSync(where)) throw new CliError(`no database at ${where}`, 'create it with `dagctl db migrate` (or check DAGCTL_HOME / --home)', 'no_database');
      const store = openStoreAt(where, new Date().toISOString(), { readonly: true });
      try {
        const dags = store.listDags().length;
        const holder = store.lockHolder();
        c.out.line(`ok: ${redactUrl(where)} (${dags} DAGs)`);
        c.out.line(holder ? `scheduler lock: ${holder.kind} pid ${holder.pid} on ${holder.hostname}, last heartbeat ${holder.heartbeat_at}` : 'scheduler lock: free');
      } finally {
        store.close();
      }
    });
  return root;
};
export default db;
