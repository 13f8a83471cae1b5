import type { RunEvent } from '../../engine/service.js';
import { topCommand } from '../command.js';
import { withEngine } from '../engine.js';
import type { CommandModule } from '../program.js';
import { stopOnSignals } from '../signals.js';

/** One line per state change: the daemon's activity log on stderr. */
function eventLine(e: RunEvent): string {
  const at = e.at.toISOString();
  if (e.type === 'run') return `${at}  ${e.dagId}  ${e.runId}  run -> ${e.state}`;
  return `${at}  ${e.dagId}  ${e.runId}  ${e.taskId} -> ${e.state ?? 'none'}${e.tryNumber > 0 ? ` (try ${e.tryNumber})` : ''}`;
}

const scheduler: CommandModule = (ctx) =>
  topCommand('scheduler', ctx)
    .description('Run the scheduler: create due runs, queue ready tasks to worker processes (Ctrl-C or SIGTERM stops it cleanly)')
    .option('--once', 'do the work that is due now, wait for started tasks, then exit')
    .option('-q, --quiet', 'do not print task and run state changes')
    .action(async (o: { once?: boolean; quiet?: boolean }) => {
      const c = ctx();
      const stop = stopOnSignals();
      try {
        await withEngine(c, async (engine) => {
          c.err.line(`scheduler: pid ${process.pid}, home ${c.config.home}, parallelism ${c.config.parallelism}${o.once ? ', once' : ''}`);
          await engine.runScheduler({
            once: o.once,
            signal: stop.signal,
            onEvent: o.quiet ? undefined : (e) => c.err.line(eventLine(e)),
          });
        });
        const sig = stop.received();
        c.err.line(sig ? `scheduler: stopped (${sig})` : 'scheduler: done');
      } finally {
        stop.dispose();
      }
    });
export default scheduler;
