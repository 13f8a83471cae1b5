import { CommanderError } from 'commander';
import { processIo } from './context.js';
import { exitCodeOf, formatError } from './errors.js';
import { buildProgram } from './program.js';

// The process boundary: the only place that calls process.exit.
// `dagctl … | head` closes our stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
const io = processIo();
const program = buildProgram(io);
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // commander already printed usage/help; only its exit code matters here.
    process.exitCode = err.exitCode;
  } else {
    io.stderr(`${formatError(err, process.argv.includes('--verbose') || process.argv.includes('-v'))}\n`);
    process.exitCode = exitCodeOf(err);
  }
}
