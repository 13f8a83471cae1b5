// Benchmark DAGs: straight chains of no-op tasks, each run in a worker process (a FunctionOperator,
// not an EmptyOperator, so no engine shortcut can skip the worker round trip).
import { DAG, chain } from '../../src/engine/index.js';
import { FunctionOperator } from '../../src/operators/function.js';

function chainDag(dagId: string, n: number): DAG {
  const dag = new DAG({ dagId, schedule: null, isPausedUponCreation: false, maxActiveTasks: 16, tags: ['bench'] });
  const tasks = Array.from({ length: n }, (_, i) => dag.add(new FunctionOperator({ taskId: `t${String(i).padStart(4, '0')}`, fn: () => null })));
  chain(...tasks);
  return dag;
}

export const chain40 = chainDag('bench_chain_40', 40);
export const chain1000 = chainDag('bench_chain_1000', 1000);
