import { existsSync } from 'node:fs';
import path from 'node:path';
import { SCHEDULER_HEARTBEAT_S } from '../engine/loop.js';

/** Everything the CLI resolves once (defaults < environment < flags) and then freezes. */
export interface Config {
  /** DAGCTL_HOME: SQLite database, task logs, run outputs. Default `./runs`. */
  readonly home: string;
  /** DAGCTL_DAGS_FOLDER / --dags-folder: where DAG files are loaded from. Default `src/dags`, or `dags` when only that exists. */
  readonly dagsFolder: string;
  /** DAGCTL_LOAD_EXAMPLES: load `src/dags/examples`. Default true. */
  readonly loadExamples: boolean;
  /** DAGCTL_PARALLELISM: worker processes. Default 4. */
  readonly parallelism: number;
  /** DAGCTL_LOG_LEVEL: pino level for the structured log on stderr. Default `warn` (`debug` with --verbose). */
  readonly logLevel: string;
  /** DAGCTL_LOG_FORMAT: `pretty` (one readable line per record, the default) or `json` (pino's NDJSON, for log shippers). */
  readonly logFormat: 'pretty' | 'json';
  /** DAGCTL_JOB_HEARTBEAT_SEC: seconds between a running attempt's heartbeats (Airflow's job_heartbeat_sec). Default 5. */
  readonly heartbeatS: number;
  /** DAGCTL_ZOMBIE_TASK_THRESHOLD: seconds without a heartbeat before an attempt is a zombie (Airflow's scheduler_zombie_task_threshold). Default 60. */
  readonly zombieThresholdS: number;
  /** DAGCTL_SCHEDULER_HEALTH_CHECK_THRESHOLD: seconds without a heartbeat before a scheduler counts as dead (Airflow's scheduler_health_check_threshold). Default 30. */
  readonly schedulerHealthCheckS: number;
  /** DAGCTL_EXECUTOR: `local` (worker processes of the scheduler, the default) or `queue` (PostgreSQL's job queue, for `dagctl worker` on any host). */
  readonly executor: 'local' | 'queue';
  /** --verbose: stack traces on errors, debug logs. */
  readonly verbose: boolean;
}

export interface GlobalFlags {
  dagsFolder?: string;
  home?: string;
  verbose?: boolean;
}

export class ConfigError extends Error {
  readonly code = 'config';
  readonly exitCode = 2;
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

function parseBool(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name}=${raw} is not a boolean`, `set ${name} to true or false`);
}

function parsePositiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name}=${raw} is not a positive integer`, `set ${name} to a whole number such as 4`);
  return n;
}

function parseSeconds(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${name}=${raw} is not a number of seconds`, `set ${name} to a positive number such as ${fallback}`);
  return n;
}

function parseLogFormat(raw: string | undefined): 'pretty' | 'json' {
  if (raw === undefined || raw === '' || raw === 'pretty') return 'pretty';
  if (raw === 'json') return 'json';
  throw new ConfigError(`DAGCTL_LOG_FORMAT=${raw} is not a log format`, 'set DAGCTL_LOG_FORMAT to pretty or json');
}

/** `src/dags` (this repository's layout), or `dags` in a project made by `dagctl init` (no `src/dags` there). */
function defaultDagsFolder(cwd: string): string {
  return !existsSync(path.join(cwd, 'src/dags')) && existsSync(path.join(cwd, 'dags')) ? 'dags' : 'src/dags';
}

export function resolveConfig(env: NodeJS.ProcessEnv, flags: GlobalFlags, cwd: string): Config {
  const verbose = flags.verbose ?? false;
  const heartbeatS = parseSeconds('DAGCTL_JOB_HEARTBEAT_SEC', env.DAGCTL_JOB_HEARTBEAT_SEC, 5);
  const zombieThresholdS = parseSeconds('DAGCTL_ZOMBIE_TASK_THRESHOLD', env.DAGCTL_ZOMBIE_TASK_THRESHOLD, 60);
  if (zombieThresholdS < 2 * heartbeatS) {
    throw new ConfigError(
      `DAGCTL_ZOMBIE_TASK_THRESHOLD=${zombieThresholdS} is less than two heartbeats (DAGCTL_JOB_HEARTBEAT_SEC=${heartbeatS}): every running task would look dead`,
      'set DAGCTL_ZOMBIE_TASK_THRESHOLD to several heartbeats, e.g. 60 with a 5 s heartbeat',
    );
  }
  const schedulerHealthCheckS = parseSeconds('DAGCTL_SCHEDULER_HEALTH_CHECK_THRESHOLD', env.DAGCTL_SCHEDULER_HEALTH_CHECK_THRESHOLD, 30);
  if (schedulerHealthCheckS < 2 * SCHEDULER_HEARTBEAT_S) {
    throw new ConfigError(
      `DAGCTL_SCHEDULER_HEALTH_CHECK_THRESHOLD=${schedulerHealthCheckS} is less than two scheduler heartbeats (every ${SCHEDULER_HEARTBEAT_S} s): live schedulers would look dead`,
      `set it to ${2 * SCHEDULER_HEARTBEAT_S} or more (default 30)`,
    );
  }
  return Object.freeze({
    home: path.resolve(cwd, flags.home ?? env.DAGCTL_HOME ?? 'runs'),
    dagsFolder: path.resolve(cwd, flags.dagsFolder ?? env.DAGCTL_DAGS_FOLDER ?? defaultDagsFolder(cwd)),
    loadExamples: parseBool('DAGCTL_LOAD_EXAMPLES', env.DAGCTL_LOAD_EXAMPLES, true),
    parallelism: parsePositiveInt('DAGCTL_PARALLELISM', env.DAGCTL_PARALLELISM, 4),
    logLevel: verbose ? 'debug' : (env.DAGCTL_LOG_LEVEL ?? 'warn'),
    logFormat: parseLogFormat(env.DAGCTL_LOG_FORMAT),
    heartbeatS,
    zombieThresholdS,
    schedulerHealthCheckS,
    executor: parseExecutor(env.DAGCTL_EXECUTOR, env.DAGCTL_DATABASE_URL),
    verbose,
  });
}

function parseExecutor(raw: string | undefined, databaseUrl: string | undefined): 'local' | 'queue' {
  const v = (raw ?? 'local').trim().toLowerCase();
  if (v !== 'local' && v !== 'queue') throw new ConfigError(`DAGCTL_EXECUTOR must be local or queue, got '${raw}'`, 'local: the scheduler runs tasks in its worker processes; queue: `dagctl worker` processes run them (PostgreSQL)');
  if (v === 'queue' && !databaseUrl?.trim()) {
    throw new ConfigError('DAGCTL_EXECUTOR=queue needs PostgreSQL: the job queue lives in the database', 'set DAGCTL_DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/DATABASE, or unset DAGCTL_EXECUTOR');
  }
  return v;
}
