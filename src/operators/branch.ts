/**
 * BranchOperator (Airflow's BranchPythonOperator): `fn` returns the task(s) to follow, by object or id, or a
 * task group (its first tasks are followed); every other direct downstream task is skipped. The chosen ids
 * are its XCom return value.
 */
import { BaseOperator, NonRetryableError, type TaskGroup, type Task, type TaskContext, type TaskOptions, type TaskRef } from '../engine/index.js';

export type BranchTarget = Task<any> | TaskRef | TaskGroup | string; // any: a branch may lead to tasks of any output type
export interface BranchOperatorOptions extends TaskOptions {
  fn: (ctx: TaskContext) => BranchTarget | BranchTarget[] | null | undefined | Promise<BranchTarget | BranchTarget[] | null | undefined>;
}

export class BranchOperator extends BaseOperator<string[]> {
  readonly fn: BranchOperatorOptions['fn'];
  constructor(o: BranchOperatorOptions) {
    super(o);
    this.fn = o.fn;
  }
  async execute(ctx: TaskContext): Promise<string[]> {
    const picked = await this.fn(ctx);
    const list = picked === null || picked === undefined ? [] : Array.isArray(picked) ? picked : [picked];
    const groups = new Map(ctx.dag.groups.map((g) => [g.groupId, g]));
    const ids = list.flatMap((t) => {
      const id = typeof t === 'string' ? t : 'groupId' in t ? t.groupId : t.taskId;
      const group = groups.get(id);
      return group ? group.roots.map((r) => r.taskId) : [id];
    });
    const direct = new Set(this.downstreamTaskIds);
    const invalid = ids.filter((id) => !direct.has(id));
    if (invalid.length) {
      throw new NonRetryableError(
        `branch task '${this.taskId}' returned ${invalid.map((i) => `'${i}'`).join(', ')}, which ${invalid.length > 1 ? 'are' : 'is'} not directly downstream of it`,
        { hint: `return one of: ${[...direct].join(', ') || '(no downstream tasks)'}` },
      );
    }
    const follow = new Set(ids);
    const skipped = [...direct].filter((id) => !follow.has(id));
    ctx.log.info(`Following branch ${ids.join(', ') || '(none)'}; skipping ${skipped.join(', ') || 'nothing'}`);
    ctx.skip(skipped);
    return ids;
  }
}
