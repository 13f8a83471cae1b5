import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { resolveConfig, type Config, type GlobalFlags } from './config.js';
import { streamPrinter, type Printer } from './output.js';

/** What every command action receives: resolved config, the root logger, and where to print. */
export interface CliContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly out: Printer;
  /** Human-facing messages that are not the command's result (progress, warnings). */
  readonly err: Printer;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** True when stdout is a terminal (progress bars, colours). */
  readonly interactive: boolean;
  /** True when stderr, where live progress goes, is a terminal (redrawn tables instead of lines). */
  readonly errInteractive: boolean;
  /** Asks a yes/no question (tasks clear without -y); undefined when nobody can answer (no TTY on stdin). */
  readonly confirm: ((question: string) => Promise<boolean>) | undefined;
}

export interface CliIo {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  interactive: boolean;
  /** stderr is a terminal; defaults to `interactive`. */
  errInteractive?: boolean;
  /** A yes/no prompt; leave it out where nobody can answer. */
  confirm?: (question: string) => Promise<boolean>;
}

async function askOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export function processIo(): CliIo {
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    interactive: Boolean(process.stdout.isTTY),
    errInteractive: Boolean(process.stderr.isTTY),
    confirm: process.stdin.isTTY ? askOnTerminal : undefined,
  };
}

/**
 * Logs go to stderr (fd 2), never to the command's result on stdout. People get one readable line per
 * record; DAGCTL_LOG_FORMAT=json keeps pino's NDJSON for machines.
 */
function logDestination(config: Config, io: CliIo): DestinationStream {
  if (config.logFormat === 'json') return pino.destination({ fd: 2, sync: true });
  return pretty({
    destination: 2,
    sync: true,
    singleLine: true,
    colorize: io.errInteractive ?? false,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    // Keep `err` on the same line as its record (pino-pretty otherwise prints error objects as blocks).
    errorLikeObjectKeys: [],
  });
}

/** Built lazily from the root command's global options, once per invocation. */
export function contextFrom(root: Command, io: CliIo): CliContext {
  const config = resolveConfig(io.env, root.opts<GlobalFlags>(), io.cwd);
  const logger = pino({ level: config.logLevel, base: undefined }, logDestination(config, io));
  return {
    config,
    logger,
    out: streamPrinter(io.stdout),
    err: streamPrinter(io.stderr),
    env: io.env,
    cwd: io.cwd,
    interactive: io.interactive,
    errInteractive: io.errInteractive ?? io.interactive,
    confirm: io.confirm,
  };
}
