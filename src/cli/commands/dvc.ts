import path from 'node:path';
import type { Command } from 'commander';
import { topCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { positiveInt } from '../parse.js';
import type { CommandModule } from '../program.js';
import * as dvc from '../../dvc/index.js';

interface RemoteFlags {
  remote?: string;
  jobs?: number;
}

async function repoOf(c: CliContext): Promise<{ repoRoot: string; logger: CliContext['logger'] }> {
  return { repoRoot: await dvc.findRepoRoot(c.cwd), logger: c.logger };
}

/** Targets are typed relative to the current folder; the library takes them absolute or root-relative. */
const absolute = (c: CliContext, targets: string[]): string[] => targets.map((t) => path.resolve(c.cwd, t));

function remoteOptions(cmd: Command): Command {
  return cmd.option('-r, --remote <name>', 'remote to use (default: core.remote in .dvc/config)').option('-j, --jobs <n>', 'parallel transfers (default: remote jobs or 4 x CPUs)', positiveInt);
}

const dvcModule: CommandModule = (ctx) => {
  const root = topCommand('dvc', ctx).description('Version data the DVC 3 way, without Python (.dvc files, cache, local/HTTP remotes)');

  root
    .command('init')
    .description('Create .dvc/ in the current folder')
    .option('--no-scm', 'the repository does not use git (no .gitignore updates)')
    .action(async (o: { scm: boolean }) => {
      const c = ctx();
      await dvc.init(c.cwd, { noScm: !o.scm });
      c.out.line('Initialized DVC repository.');
    });

  root
    .command('add')
    .description('Hash a file or folder, store it in the cache and write <target>.dvc')
    .argument('<targets...>', 'files or folders to track')
    .addHelpText('after', '\nExample:\n  dagctl dvc add data/chest_xray && dagctl dvc push')
    .action(async (targets: string[]) => {
      const c = ctx();
      const opts = await repoOf(c);
      const toGit: string[] = [];
      for (const t of absolute(c, targets)) {
        const r = await dvc.add(t, opts);
        toGit.push(r.dvcFile, ...(r.gitignore ? [r.gitignore] : []));
        c.err.line(`${r.path}: ${r.md5}${r.nfiles === undefined ? '' : ` (${r.nfiles} files, ${r.size} bytes)`}`);
      }
      c.out.line(`\nTo track the changes with git, run:\n\n\tgit add ${[...new Set(toGit)].join(' ')}\n`);
    });

  remoteOptions(root.command('push'))
    .description('Upload tracked data the remote lacks')
    .argument('[targets...]', '.dvc files or tracked paths (default: all)')
    .action(async (targets: string[], o: RemoteFlags) => {
      const c = ctx();
      const r = await dvc.push({ ...(await repoOf(c)), remote: o.remote, jobs: o.jobs, targets: absolute(c, targets) });
      c.out.line(r.summary);
    });

  remoteOptions(root.command('pull'))
    .description('Download (md5-verified) and check out tracked data; the old data stays if anything fails')
    .argument('[targets...]', '.dvc files or tracked paths (default: all)')
    .option('-f, --force', 'replace workspace data even if it is not in the cache')
    .action(async (targets: string[], o: RemoteFlags & { force?: boolean }) => {
      const c = ctx();
      const r = await dvc.pull({ ...(await repoOf(c)), remote: o.remote, jobs: o.jobs, force: o.force, targets: absolute(c, targets) });
      for (const l of r.lines) c.out.line(l);
      c.out.line(r.summary);
    });

  root
    .command('checkout')
    .description('Restore tracked data from the cache only (no remote)')
    .argument('[targets...]', '.dvc files or tracked paths (default: all)')
    .option('-f, --force', 'replace workspace data even if it is not in the cache')
    .action(async (targets: string[], o: { force?: boolean }) => {
      const c = ctx();
      const r = await dvc.checkout({ ...(await repoOf(c)), force: o.force, targets: absolute(c, targets) });
      for (const l of r.lines) c.out.line(l);
      if (r.summary) c.out.line(r.summary);
    });

  remoteOptions(root.command('fetch'))
    .description('Download tracked data into the cache only')
    .argument('[targets...]', '.dvc files or tracked paths (default: all)')
    .action(async (targets: string[], o: RemoteFlags) => {
      const c = ctx();
      const r = await dvc.fetch({ ...(await repoOf(c)), remote: o.remote, jobs: o.jobs, targets: absolute(c, targets) });
      c.out.line(r.fetched ? `${r.fetched} file${r.fetched > 1 ? 's' : ''} fetched` : 'Everything is up to date.');
    });

  remoteOptions(root.command('status'))
    .description('Workspace vs .dvc files and dvc.yaml stages vs dvc.lock; with -c the cache vs a remote')
    .argument('[targets...]', '.dvc files or tracked paths (default: all)')
    .option('-c, --cloud', 'compare the cache with the remote')
    .option('--json', 'print the status as JSON (DVC --json shape)')
    .action(async (targets: string[], o: RemoteFlags & { cloud?: boolean; json?: boolean }) => {
      const c = ctx();
      const r = await dvc.status({ ...(await repoOf(c)), cloud: o.cloud, remote: o.remote, jobs: o.jobs, targets: absolute(c, targets) });
      if (o.json) c.out.line(JSON.stringify(r.status));
      else for (const l of r.lines) c.out.line(l);
    });

  root
    .command('commit')
    .description('Hash the deps/params/outs of dvc.yaml stages and rewrite dvc.lock (schema 2.0)')
    .argument('[stages...]', 'stages to update (default: all)')
    .action(async (stages: string[]) => {
      const c = ctx();
      const r = await dvc.commit({ ...(await repoOf(c)), ...(stages.length ? { stages } : {}) });
      c.out.line(r.changed.length ? `Updating lock file '${r.lockFile}' (${r.changed.join(', ')})` : `'${r.lockFile}' is up to date.`);
    });

  return root;
};
export default dvcModule;
