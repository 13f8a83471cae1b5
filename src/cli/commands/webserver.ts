/**
 * `dagctl webserver`: Airflow's REST API v1 and the web UI over DAGCTL_HOME's database (the one the CLI and
 * the scheduler use). Refuses to start while nobody could log in; --dev creates airflow/airflow for a demo.
 */
import { InvalidArgumentError } from 'commander';
import { topCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { withEngine } from '../engine.js';
import { CliError } from '../errors.js';
import type { CommandModule } from '../program.js';
import { stopOnSignals } from '../signals.js';
import type { UserService } from '../../engine/users.js';

/** What `dagctl webserver` prints when no user exists: the exact command that creates one. */
export const CREATE_USER_HINT = 'dagctl users create -u admin -p <password> -r Admin -e admin@example.com -f Admin -l User';

function port(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0..65535');
  return n;
}

/** Someone must be able to log in: a user in the store, or (--dev only) airflow/airflow made now. */
async function ensureLogin(c: CliContext, users: UserService, dev: boolean): Promise<void> {
  if (users.count() > 0) return;
  if (!dev) {
    throw new CliError('no user can log in: the web server has no users yet', `create one first:\n  ${CREATE_USER_HINT}\n(or pass --dev for a local demo user airflow/airflow)`, 'no_users');
  }
  await users.create({ username: 'airflow', password: 'airflow', role: 'Admin', firstName: 'Airflow', lastName: 'Demo' });
  c.logger.warn('--dev: created the user airflow with password airflow and role Admin. ANYONE WHO CAN REACH THIS SERVER CAN LOG IN AS ADMIN. For a local demo only; delete it with `dagctl users delete -u airflow`');
}

const webserver: CommandModule = (ctx) =>
  topCommand('webserver', ctx)
    .description("Serve Airflow's REST API v1 (/api/v1) and the web UI on the same database as the CLI and the scheduler")
    .option('-p, --port <n>', 'TCP port (0 picks a free one)', port, 8080)
    .option('-H, --host <host>', 'interface to listen on (0.0.0.0 for all)', '127.0.0.1')
    .option('--dev', 'with no user in the database, create airflow/airflow (Admin) for a local demo')
    .addHelpText('after', `\nFirst create a user:\n  ${CREATE_USER_HINT}\nthen:\n  dagctl webserver --port 8080\n  curl -u admin:<password> http://127.0.0.1:8080/api/v1/dags`)
    .action(async (o: { port: number; host: string; dev?: boolean }) => {
      const c = ctx();
      const { openUserStore } = await import('../../engine/users.js');
      const { openRunAdmin } = await import('../../engine/run-admin.js');
      const { systemClock } = await import('../../engine/service.js');
      const users = openUserStore(c.config.home);
      const runs = openRunAdmin(c.config.home);
      const stop = stopOnSignals();
      try {
        await ensureLogin(c, users, o.dev ?? false);
        await withEngine(c, async (engine) => {
          const { startWebServer } = await import('../../web/server.js');
          const server = await startWebServer({ engine, logger: c.logger, clock: systemClock, home: c.config.home, users, runs }, { host: o.host, port: o.port });
          c.err.line(`webserver: ${server.url}  (UI ${server.url}/, API ${server.url}/api/v1, home ${c.config.home}${engine.schedulerAlive() ? '' : ', no scheduler alive: runs triggered here are driven by this server'})`);
          await new Promise<void>((resolve) => {
            if (stop.signal.aborted) resolve();
            else stop.signal.addEventListener('abort', () => resolve(), { once: true });
          });
          await server.close();
          c.err.line(`webserver: stopped (${stop.received() ?? 'signal'})`);
        });
      } finally {
        stop.dispose();
        runs.close();
        users.close();
      }
    });
export default webserver;
