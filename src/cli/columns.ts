import type { CliContext } from './context.js';
import type { OutputFormat, Row } from './output.js';

// Table/plain column order per row type (Airflow REST field names). json/yaml print every field.
export const RUN_COLUMNS = ['dag_id', 'dag_run_id', 'state', 'run_type', 'logical_date', 'start_date', 'end_date'] as const;
export const TI_COLUMNS = ['task_id', 'map_index', 'state', 'try_number', 'max_tries', 'start_date', 'end_date', 'duration', 'operator'] as const;
export const TASK_COLUMNS = ['task_id', 'operator', 'trigger_rule', 'retries', 'execution_timeout', 'upstream_task_ids', 'downstream_task_ids'] as const;
export const DAG_COLUMNS = ['dag_id', 'fileloc', 'owners', 'is_paused', 'schedule_interval', 'next_dagrun', 'tags'] as const;

/** One record: every field in json/yaml, the chosen columns as a one-row table otherwise. */
export function printOne(ctx: CliContext, row: object, format: OutputFormat, columns: readonly string[]): void {
  if (format === 'json' || format === 'yaml') ctx.out.object({ ...row } as Row, format);
  else ctx.out.rows([{ ...row } as Row], format, columns);
}

/** Airflow rows to plain records for the printer. */
export function rowsOf(rows: readonly object[]): Row[] {
  return rows.map((r) => ({ ...r }) as Row);
}
