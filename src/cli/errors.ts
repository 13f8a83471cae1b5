import { CommanderError } from 'commander';

/**
 * The one place that turns any thrown value into what a person reads.
 * Library errors follow a duck-typed convention: a stable `code`, an optional `hint`
 * (what to do next) and an optional `exitCode`; everything else is an internal error.
 */
export interface UserFacingError {
  message: string;
  code?: string;
  hint?: string;
  exitCode?: number;
  cause?: unknown;
}

/** Thrown by command actions for bad flags or arguments (exit code 2, like commander's usage errors). */
export class UsageError extends Error {
  readonly code = 'usage';
  readonly exitCode = 2;
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode;
  const code = (err as UserFacingError | undefined)?.exitCode;
  return typeof code === 'number' ? code : 1;
}

export function formatError(err: unknown, verbose: boolean): string {
  if (!(err instanceof Error)) return `error: ${String(err)}`;
  const e = err as Error & UserFacingError;
  const lines = [`error: ${e.message}`];
  if (e.hint) lines.push(`hint: ${e.hint}`);
  if (verbose) {
    if (e.stack) lines.push(e.stack);
    let cause = e.cause;
    while (cause instanceof Error) {
      lines.push(`caused by: ${cause.stack ?? cause.message}`);
      cause = cause.cause;
    }
  }
  return lines.join('\n');
}

/** A failure the CLI itself detects (not found, refused); exit code 1 unless said otherwise. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly code = 'cli',
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A followed run (trigger --wait, dags test, backfill) ended failed: the command exits 1 after its summary. */
export class RunFailedError extends CliError {
  constructor(dagId: string, runId: string, failedTaskIds: readonly string[] = []) {
    const first = failedTaskIds[0];
    super(
      failedTaskIds.length > 0 ? `run ${runId} of ${dagId} failed (failed: ${failedTaskIds.join(', ')})` : `run ${runId} of ${dagId} failed`,
      `read the log: dagctl tasks logs ${dagId} ${runId} ${first ?? '<task_id>'}`,
      'run_failed',
      1,
    );
    this.name = 'RunFailedError';
  }
}
