/**
 * Engine rows -> Airflow 2.10's REST shapes. Fields Airflow has and dagctl does not (subdags, pickles,
 * triggers, SLA misses, queues, executors) are sent with Airflow's own values for "none", so a generated
 * client that validates every field accepts them.
 */
import { userInfo } from 'node:os';
import type { DAG } from '../../engine/dag.js';
import type { DagRow, DagRunRow, ImportErrorRow, Json, TaskInstanceRow, TaskRow, XComRow } from '../../engine/service.js';

export interface TimeDelta {
  __type: 'TimeDelta';
  days: number;
  seconds: number;
  microseconds: number;
}

/** Seconds -> Airflow's TimeDelta (null stays null). */
export function timeDelta(seconds: number | null | undefined): TimeDelta | null {
  if (seconds === null || seconds === undefined) return null;
  const whole = Math.floor(seconds);
  return { __type: 'TimeDelta', days: Math.floor(whole / 86400), seconds: whole % 86400, microseconds: Math.round((seconds - whole) * 1e6) };
}

const fileToken = (fileloc: string): string => Buffer.from(fileloc).toString('base64url');

/** `schedule`: the DAG file's own text (`@daily` rather than the stored `0 0 * * *`) when it is loaded. */
export function dagView(d: DagRow, hasImportErrors = false, schedule: string | null = d.schedule_interval) {
  return {
    dag_id: d.dag_id,
    dag_display_name: d.dag_id,
    root_dag_id: null,
    is_paused: d.is_paused,
    is_active: d.is_active,
    is_subdag: false,
    last_parsed_time: d.last_parsed_time,
    last_pickled: null,
    last_expired: null,
    scheduler_lock: null,
    pickle_id: null,
    default_view: 'grid',
    fileloc: d.fileloc,
    file_token: fileToken(d.fileloc),
    owners: d.owners,
    description: d.description,
    schedule_interval: schedule === null ? null : { __type: 'CronExpression', value: schedule },
    timetable_description: d.schedule_interval,
    tags: d.tags.map((name) => ({ name })),
    max_active_tasks: d.max_active_tasks,
    max_active_runs: d.max_active_runs,
    max_consecutive_failed_dag_runs: 0,
    has_task_concurrency_limits: false,
    has_import_errors: hasImportErrors,
    next_dagrun: d.next_dagrun,
    next_dagrun_data_interval_start: d.next_dagrun_data_interval_start,
    next_dagrun_data_interval_end: d.next_dagrun_data_interval_end,
    next_dagrun_create_after: d.next_dagrun_create_after,
  };
}

/** Airflow 2.10 serialises each param as a Param object. */
function paramsView(params: Record<string, Json>) {
  return Object.fromEntries(
    Object.entries(params).map(([k, v]) => [k, { __class: 'airflow.models.param.Param', value: v, description: null, schema: {} }]),
  );
}

export function dagDetailView(d: DagRow, dag: DAG) {
  return {
    ...dagView(d, false, dag.scheduleText ?? d.schedule_interval),
    catchup: dag.catchup,
    concurrency: d.max_active_tasks,
    dag_run_timeout: timeDelta(dag.dagrunTimeout),
    dataset_expression: null,
    doc_md: dag.doc ?? null,
    end_date: dag.endDate?.toISOString() ?? null,
    is_paused_upon_creation: dag.isPausedUponCreation,
    last_parsed: d.last_parsed_time,
    orientation: 'LR',
    params: paramsView(dag.params),
    render_template_as_native_obj: false,
    start_date: dag.startDate?.toISOString() ?? null,
    template_search_path: null,
    timezone: "Timezone('UTC')",
  };
}

export function runView(r: DagRunRow, note: string | null) {
  return {
    dag_run_id: r.run_id,
    dag_id: r.dag_id,
    logical_date: r.logical_date,
    execution_date: r.logical_date,
    start_date: r.start_date,
    end_date: r.end_date,
    data_interval_start: r.data_interval_start,
    data_interval_end: r.data_interval_end,
    last_scheduling_decision: r.last_scheduling_decision,
    run_type: r.run_type,
    state: r.state,
    external_trigger: r.external_trigger,
    conf: r.conf ?? {},
    note,
  };
}

const UNIXNAME = (() => {
  try {
    return userInfo().username;
  } catch {
    return 'dagctl';
  }
})();

/** `logicalDate`: the run's (a task instance's execution_date). */
export function tiView(t: TaskInstanceRow, logicalDate: string) {
  return {
    task_id: t.task_id,
    task_display_name: t.task_id,
    dag_id: t.dag_id,
    dag_run_id: t.run_id,
    execution_date: logicalDate,
    start_date: t.start_date,
    end_date: t.end_date,
    duration: t.duration,
    state: t.state,
    try_number: t.try_number,
    map_index: t.map_index,
    max_tries: t.max_tries,
    hostname: t.hostname ?? '',
    unixname: UNIXNAME,
    pool: t.pool,
    pool_slots: t.pool_slots,
    queue: 'default',
    priority_weight: t.priority_weight,
    operator: t.operator,
    queued_when: t.queued_when,
    pid: t.pid,
    executor: null,
    executor_config: '{}',
    sla_miss: null,
    rendered_map_index: null,
    rendered_fields: {},
    trigger: null,
    triggerer_job: null,
    note: null,
  };
}

export function tiRefView(t: TaskInstanceRow, logicalDate: string) {
  return { task_id: t.task_id, dag_id: t.dag_id, dag_run_id: t.run_id, execution_date: logicalDate };
}

export function taskView(t: TaskRow, dag: DAG) {
  return {
    class_ref: { class_name: t.operator, module_path: 'dagctl' },
    task_id: t.task_id,
    task_display_name: t.task_id,
    owner: t.owner,
    start_date: dag.startDate?.toISOString() ?? null,
    end_date: dag.endDate?.toISOString() ?? null,
    trigger_rule: t.trigger_rule,
    extra_links: [],
    depends_on_past: false,
    is_mapped: false,
    wait_for_downstream: false,
    retries: t.retries,
    queue: 'default',
    executor: null,
    pool: t.pool,
    pool_slots: t.pool_slots,
    execution_timeout: timeDelta(t.execution_timeout),
    retry_delay: timeDelta(t.retry_delay),
    retry_exponential_backoff: t.retry_exponential_backoff,
    priority_weight: t.priority_weight,
    weight_rule: t.weight_rule,
    ui_color: '#fff',
    ui_fgcolor: '#000',
    template_fields: [],
    downstream_task_ids: t.downstream_task_ids,
    doc_md: t.doc,
  };
}

export function xcomItemView(x: XComRow, logicalDate: string) {
  return {
    key: x.key,
    timestamp: x.timestamp,
    execution_date: logicalDate,
    map_index: x.map_index,
    task_id: x.task_id,
    dag_id: x.dag_id,
  };
}

/** Airflow's `stringify` (default true) sends the value as a string; dagctl's values are JSON, so it is JSON text. */
export function xcomValue(value: Json, stringify: boolean): Json {
  if (!stringify) return value;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function importErrorView(e: ImportErrorRow, id: number) {
  return { import_error_id: id, timestamp: e.timestamp, filename: e.filename, stack_trace: e.stack_trace };
}
