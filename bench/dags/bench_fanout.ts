// Benchmark DAG: one root task fanning out to 10,000 no-op tasks in a single run.
import { DAG } from '../../src/engine/index.js';
import { FunctionOperator } from '../../src/operators/function.js';

export const FANOUT = 10_000;
const dag = new DAG({ dagId: 'bench_fanout_10000', schedule: null, isPausedUponCreation: false, maxActiveTasks: 10_000, tags: ['bench'] });
const root = dag.add(new FunctionOperator({ taskId: 'root', fn: () => null }));
root.then(Array.from({ length: FANOUT }, (_, i) => dag.add(new FunctionOperator({ taskId: `leaf_${i}`, fn: () => null }))));
export default dag;
