/** `dagctl pools`: Airflow's pools commands (list, get, set, delete) over the engine's pools. */
import { InvalidArgumentError } from 'commander';
import { rowsOf } from '../columns.js';
import { topCommand } from '../command.js';
import { withEngine } from '../engine.js';
import type { OutputFormat } from '../output.js';
import { outputOption, type CommandModule } from '../program.js';

const POOL_COLUMNS = ['name', 'slots', 'occupied_slots', 'open_slots', 'description'] as const;

function slotCount(raw: string): number {
  if (!/^\d+$/.test(raw)) throw new InvalidArgumentError('expected a whole number of slots >= 0');
  return Number(raw);
}

const pools: CommandModule = (ctx) => {
  const root = topCommand('pools', ctx).description('Pools: how many slots the task instances of a pool may take at once, across all DAGs');
  root
    .command('list')
    .description('List the pools with their slots taken and open')
    .addOption(outputOption())
    .action(async (o: { output: OutputFormat }) => {
      const c = ctx();
      await withEngine(c, (engine) => c.out.rows(rowsOf(engine.listPools()), o.output, POOL_COLUMNS));
    });
  root
    .command('get')
    .description('Show one pool')
    .argument('<name>')
    .addOption(outputOption())
    .action(async (name: string, o: { output: OutputFormat }) => {
      const c = ctx();
      await withEngine(c, (engine) => c.out.rows(rowsOf([engine.getPool(name)]), o.output, POOL_COLUMNS));
    });
  root
    .command('set')
    .description('Create a pool or change its slots (and description)')
    .argument('<name>')
    .argument('<slots>', 'slots the pool has', slotCount)
    .argument('[description]')
    .addOption(outputOption())
    .action(async (name: string, slots: number, description: string | undefined, o: { output: OutputFormat }) => {
      const c = ctx();
      await withEngine(c, (engine) => c.out.rows(rowsOf([engine.setPool(name, slots, description)]), o.output, POOL_COLUMNS));
    });
  root
    .command('delete')
    .description('Delete a pool (one a loaded DAG names comes back with 1 slot; set 0 slots to hold its tasks)')
    .argument('<name>')
    .action(async (name: string) => {
      const c = ctx();
      await withEngine(c, (engine) => {
        engine.deletePool(name);
        c.out.line(`deleted pool ${name}`);
      });
    });
  return root;
};
export default pools;
