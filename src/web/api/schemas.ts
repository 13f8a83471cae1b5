/**
 * Our own JSON schemas for what the API returns, written from Airflow 2.10's spec
 * (shared/reference/airflow-2.10-rest-api-v1.yaml): the same field names, types, enums and nullability.
 * Registered once with `$id`s; routes refer to them as `{ $ref: 'DAGRun#' }`, and @fastify/swagger lists
 * them under components/schemas of /api/v1/openapi.json. OpenAPI 3.0's `nullable` is understood by ajv
 * (requests) and fast-json-stringify (responses).
 */
import type { FastifyInstance } from 'fastify';

const str = { type: 'string' } as const;
const nstr = { type: 'string', nullable: true } as const;
const ndate = { type: 'string', format: 'date-time', nullable: true } as const;
const int = { type: 'integer' } as const;
const nint = { type: 'integer', nullable: true } as const;
const bool = { type: 'boolean' } as const;
const nbool = { type: 'boolean', nullable: true } as const;
const anyObject = { type: 'object', additionalProperties: true } as const;
const strings = { type: 'array', items: str } as const;
const collection = (key: string, item: string) => ({
  $id: `${item}Collection`,
  type: 'object',
  required: [key, 'total_entries'],
  properties: { [key]: { type: 'array', items: { $ref: `${item}#` } }, total_entries: int },
});

export const DAG_RUN_STATES = ['queued', 'running', 'success', 'failed'] as const;
export const TASK_STATES_API = [
  null, 'success', 'running', 'failed', 'upstream_failed', 'skipped', 'up_for_retry', 'up_for_reschedule', 'queued', 'none',
  'scheduled', 'deferred', 'removed', 'restarting',
] as const;

const dagProps = {
  dag_id: str, dag_display_name: str, root_dag_id: nstr, is_paused: nbool, is_active: nbool, is_subdag: bool,
  last_parsed_time: ndate, last_pickled: ndate, last_expired: ndate, scheduler_lock: nbool, pickle_id: nstr,
  default_view: nstr, fileloc: str, file_token: str, owners: strings, description: nstr,
  schedule_interval: { $ref: 'CronExpression#' }, timetable_description: nstr,
  tags: { type: 'array', nullable: true, items: { $ref: 'Tag#' } },
  max_active_tasks: nint, max_active_runs: nint, max_consecutive_failed_dag_runs: nint,
  has_task_concurrency_limits: nbool, has_import_errors: nbool,
  next_dagrun: ndate, next_dagrun_data_interval_start: ndate, next_dagrun_data_interval_end: ndate, next_dagrun_create_after: ndate,
} as const;

const SCHEMAS = [
  { $id: 'Error', type: 'object', required: ['type', 'title', 'status'], properties: { type: str, title: str, status: { type: 'number' }, detail: str, instance: str } },
  { $id: 'TimeDelta', type: 'object', nullable: true, required: ['__type', 'days', 'seconds', 'microseconds'], properties: { __type: str, days: int, seconds: int, microseconds: int } },
  { $id: 'CronExpression', type: 'object', nullable: true, required: ['__type', 'value'], properties: { __type: str, value: str } },
  { $id: 'Tag', type: 'object', properties: { name: str } },
  { $id: 'DAG', type: 'object', properties: dagProps },
  collection('dags', 'DAG'),
  {
    $id: 'DAGDetail',
    type: 'object',
    properties: {
      ...dagProps,
      catchup: nbool, concurrency: { type: 'number', nullable: true }, dag_run_timeout: { $ref: 'TimeDelta#' },
      dataset_expression: { ...anyObject, nullable: true }, doc_md: nstr, end_date: ndate, is_paused_upon_creation: nbool,
      last_parsed: ndate, orientation: nstr, params: anyObject, render_template_as_native_obj: nbool, start_date: ndate,
      template_search_path: { ...strings, nullable: true }, timezone: str,
    },
  },
  {
    $id: 'DAGRun',
    type: 'object',
    properties: {
      dag_run_id: nstr, dag_id: str, logical_date: ndate, execution_date: ndate, start_date: ndate, end_date: ndate,
      data_interval_start: ndate, data_interval_end: ndate, last_scheduling_decision: ndate,
      run_type: { type: 'string', enum: ['backfill', 'manual', 'scheduled', 'dataset_triggered'] },
      state: { type: 'string', enum: DAG_RUN_STATES }, external_trigger: bool, conf: anyObject, note: nstr,
    },
  },
  collection('dag_runs', 'DAGRun'),
  {
    $id: 'TaskInstance',
    type: 'object',
    properties: {
      task_id: str, task_display_name: str, dag_id: str, dag_run_id: str, execution_date: str, start_date: nstr, end_date: nstr,
      duration: { type: 'number', nullable: true }, state: { type: 'string', nullable: true, enum: TASK_STATES_API },
      try_number: int, map_index: int, max_tries: int, hostname: str, unixname: str, pool: str, pool_slots: int, queue: nstr,
      priority_weight: nint, operator: nstr, queued_when: nstr, pid: nint, executor: nstr, executor_config: str,
      sla_miss: { type: 'object', nullable: true, additionalProperties: true }, rendered_map_index: nstr, rendered_fields: anyObject,
      trigger: { type: 'object', nullable: true, additionalProperties: true }, triggerer_job: { type: 'object', nullable: true, additionalProperties: true },
      note: nstr,
    },
  },
  collection('task_instances', 'TaskInstance'),
  {
    $id: 'Task',
    type: 'object',
    properties: {
      class_ref: { type: 'object', properties: { class_name: str, module_path: str } },
      task_id: str, task_display_name: str, owner: str, start_date: ndate, end_date: ndate, trigger_rule: str,
      extra_links: { type: 'array', items: anyObject }, depends_on_past: bool, is_mapped: bool, wait_for_downstream: bool,
      retries: { type: 'number' }, queue: nstr, executor: nstr, pool: str, pool_slots: { type: 'number' },
      execution_timeout: { $ref: 'TimeDelta#' }, retry_delay: { $ref: 'TimeDelta#' }, retry_exponential_backoff: bool,
      priority_weight: { type: 'number' }, weight_rule: { type: 'string', enum: ['downstream', 'upstream', 'absolute'] },
      ui_color: str, ui_fgcolor: str, template_fields: strings, downstream_task_ids: strings, doc_md: nstr,
    },
  },
  { $id: 'TaskCollection', type: 'object', properties: { tasks: { type: 'array', items: { $ref: 'Task#' } }, total_entries: int } },
  { $id: 'XComCollectionItem', type: 'object', properties: { key: str, timestamp: str, execution_date: str, map_index: int, task_id: str, dag_id: str } },
  collection('xcom_entries', 'XComCollectionItem'),
  {
    $id: 'XCom',
    type: 'object',
    properties: {
      key: str, timestamp: str, execution_date: str, map_index: int, task_id: str, dag_id: str,
      value: { anyOf: [str, { type: 'number' }, { type: 'boolean' }, { type: 'array', items: {} }, anyObject] },
    },
  },
  { $id: 'ImportError', type: 'object', properties: { import_error_id: int, timestamp: str, filename: str, stack_trace: str } },
  collection('import_errors', 'ImportError'),
  {
    $id: 'TaskInstanceReference',
    type: 'object',
    properties: { task_id: str, dag_id: str, execution_date: str, dag_run_id: str },
  },
  { $id: 'TaskInstanceReferenceCollection', type: 'object', properties: { task_instances: { type: 'array', items: { $ref: 'TaskInstanceReference#' } } } },
  {
    $id: 'HealthInfo',
    type: 'object',
    properties: {
      metadatabase: { type: 'object', properties: { status: { type: 'string', nullable: true, enum: ['healthy', 'unhealthy', null] } } },
      scheduler: { type: 'object', properties: { status: { type: 'string', nullable: true, enum: ['healthy', 'unhealthy', null] }, latest_scheduler_heartbeat: nstr } },
      triggerer: { type: 'object', properties: { status: { type: 'string', nullable: true, enum: ['healthy', 'unhealthy', null] }, latest_triggerer_heartbeat: nstr } },
      dag_processor: { type: 'object', properties: { status: { type: 'string', nullable: true, enum: ['healthy', 'unhealthy', null] }, latest_dag_processor_heartbeat: nstr } },
    },
  },
  { $id: 'VersionInfo', type: 'object', properties: { version: str, git_version: nstr } },
];

export function registerSchemas(app: FastifyInstance): void {
  for (const s of SCHEMAS) app.addSchema(s);
}

/** Response schemas for a route: its success body plus Airflow's Error for the failures it can answer. */
export function responses(ok: Record<number, unknown>, errors: readonly number[] = [400, 401, 403, 404]): Record<number, unknown> {
  return { ...ok, ...Object.fromEntries(errors.map((c) => [c, { $ref: 'Error#' }])) };
}
