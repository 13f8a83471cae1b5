// The web benchmark's DAG: 20 tasks in 4 task groups of 5, chained (the grid's rows, with group rows).
import { DAG } from '../../src/engine/index.js';
import { FunctionOperator } from '../../src/operators/function.js';

const dag = new DAG({ dagId: 'bench_grid', schedule: null, tags: ['bench'] });
let last: FunctionOperator | undefined;
for (let g = 0; g < 4; g++) {
  const group = dag.group(`stage_${g}`);
  for (let t = 0; t < 5; t++) {
    const task = group.add(new FunctionOperator({ taskId: `step_${t}`, fn: () => null }));
    last?.then(task);
    last = task;
  }
}
export default dag;
