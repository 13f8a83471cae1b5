/**
 * BashOperator: runs a bash command with execa; stdout and stderr lines go to the task log, the last stdout
 * line is the XCom return value. Exit code 99 (skipOnExitCode) skips the task; any other non-zero exit
 * fails it with the code and the last lines. The attempt's signal cancels the command (SIGTERM, then SIGKILL).
 */
import { execa } from 'execa';
import { BaseOperator, SkipTaskError, type TaskContext, type TaskOptions } from '../engine/index.js';

export interface BashOperatorOptions extends TaskOptions {
  bashCommand: string | ((ctx: TaskContext) => string);
  /** Environment for the command. As in Airflow, it replaces the inherited environment unless appendEnv. */
  env?: Record<string, string>;
  appendEnv?: boolean;
  cwd?: string;
  /** Exit code that ends the task as skipped (default 99). */
  skipOnExitCode?: number;
}

const TAIL = 20;

export class BashOperator extends BaseOperator<string> {
  readonly bashCommand: BashOperatorOptions['bashCommand'];
  readonly env: Record<string, string> | undefined;
  readonly appendEnv: boolean;
  readonly cwd: string | undefined;
  readonly skipOnExitCode: number;

  constructor(o: BashOperatorOptions) {
    super(o);
    this.bashCommand = o.bashCommand;
    this.env = o.env;
    this.appendEnv = o.appendEnv ?? false;
    this.cwd = o.cwd;
    this.skipOnExitCode = o.skipOnExitCode ?? 99;
  }

  async execute(ctx: TaskContext): Promise<string> {
    const command = typeof this.bashCommand === 'function' ? this.bashCommand(ctx) : this.bashCommand;
    const tail: string[] = [];
    let lastStdout = '';
    const sink = (stream: 'stdout' | 'stderr') =>
      function* (line: unknown): Generator<string, void, unknown> {
        const text = String(line);
        if (stream === 'stdout') ctx.log.info(text);
        else ctx.log.warn(text);
        if (stream === 'stdout' && text.trim() !== '') lastStdout = text;
        tail.push(text);
        if (tail.length > TAIL) tail.shift();
      };
    const ctxEnv = {
      AIRFLOW_CTX_DAG_ID: ctx.dagId,
      AIRFLOW_CTX_TASK_ID: ctx.taskId,
      AIRFLOW_CTX_DAG_RUN_ID: ctx.runId,
      AIRFLOW_CTX_EXECUTION_DATE: ctx.logicalDate.toISOString(),
      AIRFLOW_CTX_TRY_NUMBER: String(ctx.tryNumber),
      DAGCTL_HOME: ctx.home,
    };
    const inherit = this.env === undefined || this.appendEnv;
    ctx.log.info(`Running command: ${command}`);
    const result = await execa('bash', ['-c', command], {
      env: { ...(this.env ?? {}), ...ctxEnv },
      extendEnv: inherit,
      ...(this.cwd ? { cwd: this.cwd } : {}),
      cancelSignal: ctx.signal,
      forceKillAfterDelay: 2000,
      stdin: 'ignore',
      stdout: sink('stdout'),
      stderr: sink('stderr'),
      reject: false,
    });
    if (result.isCanceled) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('command cancelled');
    const code = result.exitCode;
    ctx.log.info(`Command exited with return code ${code ?? result.signal ?? '?'}`);
    if (code === this.skipOnExitCode) throw new SkipTaskError(`Bash command returned exit code ${code}. Skipping.`);
    if (code !== 0) {
      const how = code === undefined ? `was killed by ${result.signal ?? 'a signal'}` : `returned a non-zero exit code ${code}`;
      throw Object.assign(new Error(`Bash command failed. The command ${how}.\nLast lines:\n${tail.join('\n')}`), { exitCode: code });
    }
    return lastStdout;
  }
}
