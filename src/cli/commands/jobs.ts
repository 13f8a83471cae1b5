/** `dagctl jobs check`: Airflow's liveness probe for schedulers (and our queue workers), for health checks. */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { InvalidArgumentError, Option } from 'commander';
import { aliveJobs, JOB_TYPES, type JobType } from '../../engine/jobs.js';
import { topCommand } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import type { CommandModule } from '../program.js';

function positive(raw: string): number {
  if (!/^[1-9]\d*$/.test(raw)) throw new InvalidArgumentError('expected a whole number >= 1');
  return Number(raw);
}

const jobs: CommandModule = (ctx) => {
  const root = topCommand('jobs', ctx).description('Scheduler and worker processes, from their heartbeat rows in the database');
  root
    .command('check')
    .description('Exit 0 if a process of that type is alive (its heartbeat is recent), else 1: a container health check')
    .addOption(new Option('--job-type <type>', 'SchedulerJob (`dagctl scheduler`) or WorkerJob (`dagctl worker`)').choices(JOB_TYPES).default('SchedulerJob'))
    .option('--hostname <host>', 'only processes on this host')
    .option('--local', 'only processes on this host (its hostname)')
    .option('--limit <n>', 'look at this many alive processes at most (more than one finds several)', positive, 1)
    .option('--allow-multiple', 'succeed when more than one is alive')
    .action(async (o: { jobType: JobType; hostname?: string; local?: boolean; limit: number; allowMultiple?: boolean }) => {
      const c = ctx();
      if (o.local && o.hostname !== undefined) throw new UsageError('--local and --hostname both name the host', 'give one of them');
      if (o.allowMultiple && o.limit < 2) throw new UsageError('--allow-multiple needs --limit greater than 1', 'e.g. --allow-multiple --limit 10');
      // The store alone (no DAG bag; its native modules loaded on first use): a health check runs often and must be quick.
      const { databaseLocation, isPostgresUrl, openStoreAt } = await import('../../engine/store/open.js');
      const where = databaseLocation(c.config.home);
      const start = `start one (\`dagctl ${o.jobType === 'SchedulerJob' ? 'scheduler' : 'worker'}\`), or check DAGCTL_HOME / DAGCTL_DATABASE_URL`;
      if (!isPostgresUrl(where) && !existsSync(where)) throw new CliError('No alive jobs found.', `there is no database at ${where} yet: ${start}`, 'no_alive_jobs');
      const store = openStoreAt(where, new Date().toISOString()); // migrated as on every open (an older one has no rows yet)
      try {
        const host = o.local ? hostname() : o.hostname;
        const alive = aliveJobs(store, o.jobType, new Date(), { ...(host !== undefined ? { hostname: host } : {}), limit: o.limit, schedulerHealthCheckS: c.config.schedulerHealthCheckS });
        if (alive.length === 0) throw new CliError('No alive jobs found.', start, 'no_alive_jobs');
        if (alive.length > 1 && !o.allowMultiple) throw new CliError(`Found more than one alive job (${alive.length}).`, 'pass --allow-multiple if several are expected (schedulers on the job queue)', 'several_alive_jobs');
        c.out.line(alive.length === 1 ? 'Found one alive job.' : `Found ${alive.length} alive jobs.`);
        for (const j of alive) c.err.line(`  ${o.jobType} ${j.id}: pid ${j.pid} on ${j.hostname}, last heartbeat ${j.heartbeat_at}`);
      } finally {
        store.close();
      }
    });
  return root;
};
export default jobs;
