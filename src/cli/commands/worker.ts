import { topCommand } from '../command.js';
import { CliError } from '../errors.js';
import { positiveInt } from '../parse.js';
import type { CommandModule } from '../program.js';
import { stopOnSignals } from '../signals.js';

const worker: CommandModule = (ctx) =>
  topCommand('worker', ctx)
    .description('Run task attempts from the PostgreSQL job queue on this host (for schedulers with DAGCTL_EXECUTOR=queue; Ctrl-C or SIGTERM stops it after its attempts)')
    .option('--queues <names>', 'comma-separated queues to serve (a task names its queue; default: default)', 'default')
    .option('--concurrency <n>', 'attempts at once, each in a worker process (default: DAGCTL_PARALLELISM)', positiveInt)
    .option('-q, --quiet', 'do not print the attempts it runs')
    .action(async (o: { queues: string; concurrency?: number; quiet?: boolean }) => {
      const c = ctx();
      const queues = o.queues.split(',').map((q) => q.trim()).filter(Boolean);
      if (queues.length === 0) throw new CliError('--queues names no queue', 'give one or more names, e.g. --queues default,gpu', 'usage');
      const concurrency = o.concurrency ?? c.config.parallelism;
      const stop = stopOnSignals();
      try {
        const { runWorker } = await import('../../engine/service.js');
        c.err.line(`worker: pid ${process.pid}, queues ${queues.join(',')}, concurrency ${concurrency}`);
        await runWorker({
          home: c.config.home, queues, concurrency, heartbeatS: c.config.heartbeatS, logger: c.logger, signal: stop.signal,
          ...(o.quiet ? {} : { onAttempt: (j, state) => c.err.line(`${new Date().toISOString()}  ${j.dagId}  ${j.runId}  ${j.taskId}${j.mapIndex >= 0 ? `[${j.mapIndex}]` : ''} -> ${state} (try ${j.tryNumber})`) }),
        });
        const sig = stop.received();
        c.err.line(sig ? `worker: stopped (${sig})` : 'worker: done');
      } finally {
        stop.dispose();
      }
    });
export default worker;
