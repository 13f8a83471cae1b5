import { Command } from 'commander';
import type { CliContext } from './context.js';

/**
 * A top-level command for a module. `program.addCommand` does not pass on the program's settings,
 * so each module's root sets them itself: errors throw (exitOverride) instead of exiting the process,
 * and help/usage text goes to the same sinks as everything else (resolved lazily, after global flags).
 * Subcommands made with `.command()` inherit these settings from it.
 */
export function topCommand(name: string, ctx: () => CliContext): Command {
  return new Command(name)
    .exitOverride()
    .configureOutput({ writeOut: (t) => ctx().out.write(t), writeErr: (t) => ctx().err.write(t) })
    .showHelpAfterError('(add --help for usage)');
}
