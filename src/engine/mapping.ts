/**
 * Dynamic task mapping's arithmetic (Airflow 2.3+): a mapped task runs once per combination of the lists
 * it maps over, in itertools.product order (the first argument varies slowest), so map index i always
 * names the same combination. Pure functions over plain values; MappedOperator (operator.ts) uses them.
 */
import { DagDefinitionError, UnmappableXComError } from './errors.js';
import type { Json } from './json.js';
import type { RunKey } from './store/rows.js';
import type { Store } from './store/store.js';

/** How many instances: the product of the lists' lengths (an empty list means none). */
export function mapLength(lists: ReadonlyArray<readonly unknown[]>): number {
  return lists.reduce((n, l) => n * l.length, 1);
}

/** The combination map index `i` stands for: one value from each list. */
export function combination(lists: ReadonlyArray<readonly unknown[]>, i: number): unknown[] {
  const total = mapLength(lists);
  if (!Number.isInteger(i) || i < 0 || i >= total) throw new RangeError(`map index ${i} is out of range: there are ${total} instances`);
  const out = new Array<unknown>(lists.length);
  for (let k = lists.length - 1; k >= 0; k--) {
    const l = lists[k]!;
    out[k] = l[i % l.length];
    i = Math.floor(i / l.length);
  }
  return out;
}

/** A mapped argument's list, checked: an upstream's return value must be a list (Airflow's UnmappableXComTypePushed). */
export function asMapList(value: unknown, what: { task: string; arg: string; from?: string }): readonly unknown[] {
  if (Array.isArray(value)) return value;
  if (what.from === undefined) throw new DagDefinitionError(`task '${what.task}': expand() argument '${what.arg}' must be a list or an upstream task`);
  throw new UnmappableXComError(what.from, what.task, kindOf(value));
}

/** A task's XCom as a downstream task pulls it: a mapped task's is the list of its instances', in map-index order. */
export function pullXcom(store: Pick<Store, 'getXcom' | 'mappedXcoms'>, run: RunKey, task: { taskId: string; isMapped: boolean }, key = 'return_value'): Json | undefined {
  return task.isMapped ? store.mappedXcoms({ ...run, taskId: task.taskId }, key) : store.getXcom({ ...run, taskId: task.taskId }, key);
}

/** What a value that is no list is, for UnmappableXComError. */
function kindOf(value: unknown): string {
  return value === undefined ? 'nothing' : value === null ? 'null' : typeof value;
}
