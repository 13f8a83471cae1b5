/** `dagctl users`: who may use the web server (Airflow's `airflow users create|list|delete`). */
import { Option } from 'commander';
import { rowsOf } from '../columns.js';
import { topCommand } from '../command.js';
import type { CliContext } from '../context.js';
import type { OutputFormat } from '../output.js';
import { outputOption, type CommandModule } from '../program.js';
import type { UserService } from '../../engine/users.js';

const USER_COLUMNS = ['username', 'email', 'first_name', 'last_name', 'role'] as const;

interface CreateFlags {
  username: string;
  password: string;
  role: 'Admin' | 'Op' | 'Viewer';
  email?: string;
  firstname?: string;
  lastname?: string;
}

async function withUsers<T>(c: CliContext, fn: (users: UserService) => Promise<T> | T): Promise<T> {
  // Loaded on use: the users table needs SQLite, not the DAG bag.
  const { openUserStore } = await import('../../engine/users.js');
  const users = openUserStore(c.config.home);
  try {
    return await fn(users);
  } finally {
    users.close();
  }
}

const users: CommandModule = (ctx) => {
  const root = topCommand('users', ctx).description('Users of `dagctl webserver` (roles: Viewer reads; Op and Admin may also trigger, clear, mark and pause)');
  root
    .command('create')
    .description('Create a user')
    .requiredOption('-u, --username <name>', 'login name')
    .requiredOption('-p, --password <password>', 'password (stored as a salted scrypt hash)')
    .addOption(new Option('-r, --role <role>', 'role').choices(['Admin', 'Op', 'Viewer']).makeOptionMandatory())
    .option('-e, --email <email>', 'email address')
    .option('-f, --firstname <name>', 'first name')
    .option('-l, --lastname <name>', 'last name')
    .addHelpText('after', '\nExample:\n  dagctl users create -u admin -p "$ADMIN_PASSWORD" -r Admin -e admin@example.com -f Ada -l Lovelace')
    .action(async (o: CreateFlags) => {
      const c = ctx();
      await withUsers(c, async (store) => {
        const u = await store.create({
          username: o.username, password: o.password, role: o.role,
          ...(o.email ? { email: o.email } : {}), ...(o.firstname ? { firstName: o.firstname } : {}), ...(o.lastname ? { lastName: o.lastname } : {}),
        });
        c.out.line(`User "${u.username}" created with role "${u.role}"`);
      });
    });
  root
    .command('list')
    .description('List the users')
    .addOption(outputOption())
    .action(async (o: { output: OutputFormat }) => {
      const c = ctx();
      await withUsers(c, (store) => c.out.rows(rowsOf(store.list()), o.output, USER_COLUMNS));
    });
  root
    .command('delete')
    .description('Delete a user')
    .requiredOption('-u, --username <name>', 'login name')
    .action(async (o: { username: string }) => {
      const c = ctx();
      await withUsers(c, (store) => {
        store.delete(o.username);
        c.out.line(`User "${o.username}" deleted`);
      });
    });
  return root;
};
export default users;
