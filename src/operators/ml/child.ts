import { createInterface } from 'node:readline';
import { execa } from 'execa';
import type { Logger } from 'pino';
import { DAGCTL_BIN } from './project.js';

export interface ChildResult {
  stdout: string;
}

/** Structured lines from a child (pino JSON) are re-logged with their fields; anything else as plain text. */
function relay(logger: Logger, stream: 'stdout' | 'stderr', line: string): void {
  if (line.trim() === '') return;
  if (line.startsWith('{')) {
    try {
      const { msg, level, time: _time, pid: _pid, hostname: _host, ...fields } = JSON.parse(line) as Record<string, unknown>;
      const lvl = typeof level === 'number' && level >= 50 ? 'error' : typeof level === 'number' && level >= 40 ? 'warn' : 'info';
      logger[lvl]({ child: true, ...fields }, typeof msg === 'string' ? msg : line);
      return;
    } catch {
      // not JSON after all: fall through
    }
  }
  logger.info({ child: true, stream }, line);
}

/**
 * Runs `dagctl <args>` as a child process (CPU-heavy work stays out of the worker), streaming its output into
 * the task log. Aborting `signal` (execution_timeout, cancellation) kills the child: SIGTERM, then SIGKILL.
 */
export async function runDagctl(
  args: string[],
  o: { cwd: string; logger: Logger; signal: AbortSignal; env?: NodeJS.ProcessEnv; /** false when stdout is the command's result, not progress */ relayStdout?: boolean },
): Promise<ChildResult> {
  o.logger.info({ cmd: ['dagctl', ...args].join(' ') }, 'starting child process');
  const child = execa(process.execPath, [DAGCTL_BIN, ...args], {
    cwd: o.cwd,
    env: { ...o.env, FORCE_COLOR: '0' },
    cancelSignal: o.signal,
    forceKillAfterDelay: 5_000,
    reject: false,
  });
  for (const stream of o.relayStdout === false ? (['stderr'] as const) : (['stdout', 'stderr'] as const)) {
    const readable = child[stream];
    if (readable) createInterface({ input: readable }).on('line', (line) => relay(o.logger, stream, line));
  }
  const result = await child;
  if (result.isCanceled) throw new Error(`dagctl ${args[0]} was cancelled (${String(o.signal.reason ?? 'aborted')})`);
  if (result.exitCode !== 0) {
    const tail = String(result.stderr ?? '').trim().split('\n').slice(-5).join('\n');
    throw new Error(`dagctl ${args[0]} failed with exit code ${result.exitCode ?? result.signal}${tail ? `:\n${tail}` : ''}`);
  }
  return { stdout: String(result.stdout ?? '') };
}
