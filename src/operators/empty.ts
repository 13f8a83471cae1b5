/** EmptyOperator: does nothing and succeeds; a join or a placeholder (Airflow's EmptyOperator). */
import { BaseOperator, type TaskOptions } from '../engine/index.js';

export class EmptyOperator extends BaseOperator<null> {
  constructor(o: TaskOptions) {
    super(o);
  }
  execute(): null {
    return null;
  }
}
