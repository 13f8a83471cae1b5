/**
 * Runs one attempt of a task: builds its TaskContext, calls execute with an AbortSignal, stores the return
 * value as XCom `return_value`, runs the task's callbacks, and reports the outcome. Used by worker processes
 * and by the in-process executor alike.
 */
import type { DAG } from '../dag.js';
import { coerceError, TaskNotFoundError, TaskTimeoutError } from '../errors.js';
import { assertJson, type Json } from '../json.js';
import { asMapList } from '../mapping.js';
import { isOperator, type BaseOperator, type Callback, type CallbackContext, type MappedOperator, type TaskContext } from '../operator.js';
import { shouldRetry } from '../retry.js';
import type { Logger } from 'pino';
import type { RunKey } from '../store/rows.js';
import type { Store } from '../store/store.js';
import { openTaskLog } from './task-log.js';
import type { AttemptResult, AttemptSpec } from './types.js';

export interface AttemptDeps {
  /** Reads an XCom of this run (another task's, or this one's from an earlier push); map index -1 for an unmapped task. */
  readXcom(taskId: string, key: string, mapIndex: number): Json | undefined;
  /** A mapped task's XComs under this key, in map-index order. */
  readMappedXcoms(taskId: string, key: string): Json[];
  signal: AbortSignal;
  /** Told the attempt's logger while the attempt runs, and undefined after (worker console capture). */
  onLogger?: (logger: Logger | undefined) => void;
}

/** XCom reads of one run from a store (what every executor passes an attempt). */
export function xcomReaders(store: Pick<Store, 'getXcom' | 'mappedXcoms'>, run: RunKey): Pick<AttemptDeps, 'readXcom' | 'readMappedXcoms'> {
  return {
    readXcom: (taskId, key, mapIndex) => store.getXcom({ dagId: run.dagId, runId: run.runId, taskId, mapIndex }, key),
    readMappedXcoms: (taskId, key) => store.mappedXcoms({ dagId: run.dagId, runId: run.runId, taskId }, key),
  };
}

/** Milliseconds an attempt runs before its log file is created even if it logged nothing yet. */
const MATERIALIZE_AFTER_MS = 200;

function errorResult(e: unknown, xcoms: AttemptResult['xcoms']): AttemptResult {
  const err = coerceError(e);
  const { code, hint } = err as { code?: unknown; hint?: unknown };
  const codeStr = typeof code === 'string' ? code : undefined;
  if (codeStr === 'task_skipped') return { outcome: 'skipped', xcoms, skip: [] };
  return {
    outcome: 'failed',
    xcoms,
    skip: [],
    error: {
      message: err.message,
      ...(err.stack ? { stack: err.stack } : {}),
      ...(codeStr ? { code: codeStr } : {}),
      ...(typeof hint === 'string' ? { hint } : {}),
      nonRetryable: codeStr === 'non_retryable',
    },
  };
}

export async function runAttempt(job: AttemptSpec, dag: DAG, deps: AttemptDeps): Promise<AttemptResult> {
  const log = openTaskLog(job.logFile, { dagId: job.dagId, runId: job.runId, taskId: job.taskId, tryNumber: job.tryNumber, ...(job.mapIndex >= 0 ? { mapIndex: job.mapIndex } : {}) });
  const logger = log.logger;
  deps.onLogger?.(logger);
  // An attempt still running after a moment gets its file, so a long task's log can be followed (and
  // survives a kill); a no-op task finishes first and never pays for one.
  const materialize = setTimeout(() => log.materialize(), MATERIALIZE_AFTER_MS);
  materialize.unref();
  const xcoms: AttemptResult['xcoms'] = [];
  const skip = new Set<string>();
  let task: BaseOperator | undefined;
  let result: AttemptResult;
  try {
    task = dag.task(job.taskId);
    if (!task) throw new TaskNotFoundError(job.dagId, job.taskId, dag.taskIds);
    log.note(`Starting attempt ${job.tryNumber} of ${job.maxTries + 1} (${task.operatorName}, run ${job.runId}${job.mapIndex >= 0 ? `, map index ${job.mapIndex}` : ''})`);
    const ctx: TaskContext = {
      dagId: job.dagId,
      taskId: job.taskId,
      runId: job.runId,
      logicalDate: new Date(job.logicalDate),
      dataIntervalStart: new Date(job.dataIntervalStart),
      dataIntervalEnd: new Date(job.dataIntervalEnd),
      params: dag.paramsFor(job.conf),
      conf: job.conf,
      tryNumber: job.tryNumber,
      maxTries: job.maxTries,
      mapIndex: job.mapIndex,
      runType: job.runType,
      home: job.home,
      logger,
      log: logger,
      signal: deps.signal,
      dag,
      task,
      xcomPull: ((t: BaseOperator | string, key = 'return_value') => {
        const taskId = typeof t === 'string' ? t : t.taskId;
        const own = taskId === job.taskId ? xcoms.findLast((x) => x.key === key) : undefined;
        if (own) return own.value;
        if (taskId === job.taskId) return deps.readXcom(taskId, key, job.mapIndex);
        return dag.task(taskId)?.isMapped ? deps.readMappedXcoms(taskId, key) : deps.readXcom(taskId, key, -1);
      }) as TaskContext['xcomPull'],
      xcomPush(key: string, value: Json) {
        xcoms.push({ key, value: assertJson(value, `XCom '${key}' pushed by task '${job.taskId}'`) });
      },
      skip(tasks) {
        for (const t of tasks) skip.add(isOperator(t) ? t.taskId : String(t));
      },
    };
    const value = await untilAborted(Promise.resolve().then(() => task!.execute(ctx)), deps.signal, job.executionTimeout);
    assertMappable(task, value);
    if (value !== undefined && value !== null) {
      xcoms.push({ key: 'return_value', value: assertJson(value, `the return value of task '${job.taskId}'`) });
    }
    log.note(`Marking task as SUCCESS (${job.dagId}/${job.runId}/${job.taskId})`);
    result = { outcome: 'success', xcoms, skip: [...skip] };
  } catch (e) {
    result = errorResult(e, xcoms);
    if (result.outcome === 'skipped') logger.info(`Marking task as SKIPPED: ${coerceError(e).message}`);
    else if (result.error?.code === 'externally_set') {
      // Not this attempt's to decide any more: no state change, no callback (the new state's owner acts).
      logger.warn(result.error.message);
    } else {
      const retry = shouldRetry(job.tryNumber, job.maxTries, result.error?.nonRetryable ?? false);
      logger.error({ err: coerceError(e) }, `Task failed: ${result.error?.message ?? ''}`);
      if (result.error?.hint) logger.info(`hint: ${result.error.hint}`);
      logger.info(retry ? 'Marking task as UP_FOR_RETRY' : 'Marking task as FAILED');
    }
  }
  if (task && result.error?.code !== 'externally_set') await runTaskCallback(task, dag, job, result, logger);
  clearTimeout(materialize);
  if (result.outcome !== 'success') log.materialize(); // a failed or skipped attempt always leaves its log
  deps.onLogger?.(undefined);
  log.close();
  return result;
}

/** A return value a mapped task expands over must be a list: the task that returned it fails (Airflow's UnmappableXComTypePushed). */
function assertMappable(task: BaseOperator, value: unknown): void {
  if (Array.isArray(value) || task.isMapped) return; // a mapped task's instances make up the list together
  for (const d of task.downstream) {
    if (!d.isMapped) continue;
    for (const [arg, v] of (d as MappedOperator).expandArgs) if (v === task) asMapList(value, { task: d.taskId, arg, from: task.taskId });
  }
}

/** Resolves with `p`, or rejects once the signal aborts (the attempt stops waiting even if execute ignores it). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal, timeoutS: number | undefined): Promise<T> {
  if (signal.aborted) return Promise.reject(reasonOf(signal, timeoutS));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(reasonOf(signal, timeoutS));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(signal.aborted ? reasonOf(signal, timeoutS) : e)),
    );
  });
}

function reasonOf(signal: AbortSignal, timeoutS: number | undefined): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r;
  return timeoutS !== undefined ? new TaskTimeoutError(timeoutS) : new Error('attempt cancelled');
}

async function runTaskCallback(task: BaseOperator, dag: DAG, job: AttemptSpec, r: AttemptResult, logger: TaskContext['logger']): Promise<void> {
  let cb: Callback | undefined;
  let state: CallbackContext['state'];
  if (r.outcome === 'success') (cb = task.onSuccess), (state = 'success');
  else if (r.outcome === 'skipped') return;
  else if (shouldRetry(job.tryNumber, job.maxTries, r.error?.nonRetryable ?? false)) (cb = task.onRetry), (state = 'up_for_retry');
  else (cb = task.onFailure), (state = 'failed');
  if (!cb) return;
  const error = r.error ? Object.assign(new Error(r.error.message), { stack: r.error.stack, code: r.error.code, hint: r.error.hint }) : undefined;
  try {
    await cb({ dag, dagId: job.dagId, runId: job.runId, logicalDate: new Date(job.logicalDate), taskId: job.taskId, mapIndex: job.mapIndex, tryNumber: job.tryNumber, state, logger, ...(error ? { error } : {}) });
  } catch (e) {
    logger.error({ err: coerceError(e) }, `the ${state} callback of task '${job.taskId}' failed; the task's state is unchanged`);
  }
}
