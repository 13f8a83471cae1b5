// `npm pack`, then a new project outside this repository installs the tarball as a user does
// (`npm install ./dagctl-0.1.0.tgz`), typechecks a DAG file against the installed package, and runs it with
// `npx dagctl trigger … --wait`.
//
// Offline and fast without faking the install (no internet here or in CI but the npm registry; better-sqlite3 is
// native):
//  - the project starts with a package-lock.json holding this repository's locked versions of everything dagctl
//    depends on, as a project that installed before would have; npm takes each tarball from the cache that
//    `npm ci` (scripts/setup.sh) filled, and asks the registry only for what the cache lacks (--prefer-offline).
//  - install scripts run. better-sqlite3's (prebuild-install) finds its "download" in a local prebuilds folder
//    (its documented `local-prebuilds` setting, in .prebuild-installrc): the binary this checkout's `npm ci`
//    compiled for the same version and Node ABI, since GitHub, where it downloads from, is out of reach.
//    Without that folder node-gyp compiles SQLite: measured 3.5 min on 2 cores, hence the long hook timeout.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../cli/harness.js';

const exec = promisify(execFile);
const root = mkdtempSync(path.join(tmpdir(), 'dagctl-pack-'));
const project = path.join(root, 'project');
afterAll(() => rmSync(root, { recursive: true, force: true }));

// The outer `npm test` exports its own npm_* settings (its prefix, its package) and this repo's node_modules/.bin on
// PATH: neither may leak into the project's npm, or it would resolve against this repository.
const repoBin = path.join(REPO, 'node_modules', '.bin');
const KEEP_NPM = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
const baseEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || KEEP_NPM.has(k.toLowerCase())).filter(([k]) => !k.startsWith('DAGCTL_')),
);
baseEnv.PATH = (process.env.PATH ?? '').split(path.delimiter).filter((p) => path.resolve(p) !== repoBin).join(path.delimiter);

// A child that hangs is killed, not left running after the test times out.
const run = (file: string, args: string[], o: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }) =>
  exec(file, args, { encoding: 'utf8', killSignal: 'SIGKILL', timeout: 90_000, maxBuffer: 64 * 1024 * 1024, env: baseEnv, ...o });
const dagctl = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run('npx', ['--no', 'dagctl', ...args], { cwd: project, env: { ...baseEnv, DAGCTL_PARALLELISM: '2', ...env } }); // --no: never fetch a 'dagctl' from the registry

// A task group whose tasks share a pool, two of them mapped: one over a list written here, one over what an
// upstream task returns at run time; `sum` checks what it pulls, so a wrong value fails the run.
const DAG_FILE = `import { BashOperator, DAG, FunctionOperator } from 'dagctl';

const dag = new DAG({ dagId: 'packed', schedule: null, isPausedUponCreation: false });
const fetch = dag.group('fetch');
const items = fetch.add(new FunctionOperator({ taskId: 'items', pool: 'packed_pool', fn: () => [{ n: 1 }, { n: 2 }, { n: 3 }] }));
const double = fetch.add(FunctionOperator.partial({ taskId: 'double', pool: 'packed_pool', fn: (_ctx, { n }) => Number(n) * 2 }).expand({ opKwargs: items }));
const echo = fetch.add(BashOperator.partial({ taskId: 'echo', pool: 'packed_pool' }).expand({ bashCommand: ['echo 10', 'echo 20'] }));
const sum = dag.add(
  new FunctionOperator({
    taskId: 'sum',
    fn: (ctx) => {
      const total = [...(ctx.xcomPull(double) ?? []), ...(ctx.xcomPull(echo) ?? [])].reduce<number>((s, v) => s + Number(v), 0);
      if (total !== 42) throw new Error(\`expected 42, got \${total}\`);
      return total;
    },
  }),
);
fetch.then(sum);
export default dag;
`;

// Not a DAG (the loader skips files starting with '_'): fails to typecheck if the package's types were \`any\`.
const TYPES_FILE = `import { FunctionOperator } from 'dagctl';

// @ts-expect-error taskId is required
export const missingTaskId = new FunctionOperator({ fn: () => 1 });
`;

interface Packed { filename: string; size: number; files: Array<{ path: string }> }
let packed: Packed;
let tarball: string;
/** Why the install could not fetch what it needed (no cache, no registry); the tests then skip with it. */
let unreachable: string | undefined;

/** This repository's locked dependency tree, as the lockfile of a project that installed these versions before. */
function lockfileFromRepo(name: string): string {
  const lock = JSON.parse(readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const packages: Record<string, Record<string, unknown>> = { '': { name } };
  for (const [where, entry] of Object.entries(lock.packages)) {
    if (!where.startsWith('node_modules/') || entry['link'] === true) continue; // this repo's workspaces stay here
    const { dev: _dev, devOptional: _devOptional, ...rest } = entry; // npm works out the project's own flags
    const pkg = where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
    // Written without `resolved` where npm is set to omit registry URLs; with one, npm finds the tarball by it.
    rest['resolved'] ??= `https://registry.npmjs.org/${pkg}/-/${pkg.split('/').pop()}-${String(rest['version'])}.tgz`;
    packages[where] = rest;
  }
  return `${JSON.stringify({ name, lockfileVersion: 3, requires: true, packages }, null, 2)}\n`;
}

/**
 * A prebuilds folder for prebuild-install holding better-sqlite3's binary, packed from this checkout's build of the
 * same version for this Node ABI and platform (prebuild-install's own file name), or undefined where there is none.
 */
async function localPrebuilds(dir: string): Promise<string | undefined> {
  const sqlite = path.dirname(createRequire(path.join(REPO, 'package.json')).resolve('better-sqlite3/package.json'));
  const binary = 'build/Release/better_sqlite3.node';
  if (!existsSync(path.join(sqlite, binary))) return undefined;
  const { version } = JSON.parse(readFileSync(path.join(sqlite, 'package.json'), 'utf8')) as { version: string };
  mkdirSync(dir, { recursive: true });
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await run('tar', ['czf', path.join(dir, name), '-C', sqlite, binary], { cwd: dir });
  return dir;
}

beforeAll(async () => {
  const out = await run('npm', ['pack', '--json', '--pack-destination', root], { cwd: REPO });
  packed = (JSON.parse(out.stdout) as Packed[])[0]!;
  tarball = path.join(root, packed.filename);

  await run(process.execPath, [path.join(REPO, 'bin', 'dagctl.js'), 'init', project], { cwd: root });
  writeFileSync(path.join(project, 'dags', 'packed.ts'), DAG_FILE);
  writeFileSync(path.join(project, 'dags', '_types.ts'), TYPES_FILE);
  writeFileSync(path.join(project, 'package-lock.json'), lockfileFromRepo(path.basename(project)));
  const prebuilds = await localPrebuilds(path.join(root, 'prebuilds'));
  if (prebuilds !== undefined) writeFileSync(path.join(project, '.prebuild-installrc'), `local-prebuilds=${prebuilds}\n`);

  try {
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: project, timeout: 280_000 });
  } catch (err) {
    const { stderr = '' } = err as { stderr?: string };
    const offline = /npm (?:error|ERR!) code (ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET)/.exec(stderr); // npm's own failure, not a script's
    if (offline === null) throw err;
    unreachable = `npm install could not fetch a package (${offline[1]}): the npm cache lacks it and the registry is out of reach; run ./scripts/setup.sh (its npm ci fills the cache) with the registry reachable once`;
  }
}, 300_000);

describe('dagctl packed with npm pack and installed from the tarball', () => {
  it('packs what dagctl loads at run time, and no tests, data, models or packages/', () => {
    const files = packed.files.map((f) => f.path);
    const migrations = ['sqlite', 'postgres'].flatMap((d) => readdirSync(path.join(REPO, 'src/engine/store/migrations', d)).filter((f) => f.endsWith('.sql')).map((f) => `${d}/${f}`));
    expect(migrations.length).toBeGreaterThan(1);
    for (const f of ['package.json', 'README.md', 'bin/dagctl.js', 'src/index.ts', 'src/cli/main.ts', 'src/engine/executor/worker.ts', ...migrations.map((m) => `src/engine/store/migrations/${m}`)]) {
      expect(files).toContain(f);
    }
    // Assets read at run time relative to import.meta.url (serve's and the web UI's public/, SQL) all ship.
    const assets = readdirSync(path.join(REPO, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => /\.(sql|css|js|svg|html|json)$/.test(f));
    expect(assets.length).toBeGreaterThan(0);
    expect(assets.map((f) => `src/${f.split(path.sep).join('/')}`).filter((f) => !files.includes(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('src/dags/examples/')).length).toBeGreaterThan(0);
    expect(files.filter((f) => /^(test|bench|packages|data|models|runs|scripts|node_modules|test-output)\//.test(f))).toEqual([]);
    expect(packed.size).toBeLessThan(1024 * 1024);
    // A file: dependency cannot resolve once the package is installed elsewhere (npm leaves a dangling link).
    const manifest = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    const specs = ['dependencies', 'optionalDependencies', 'peerDependencies'].flatMap((k) => Object.values(manifest[k] ?? {}));
    expect(specs.filter((s) => s.startsWith('file:') || s.startsWith('link:'))).toEqual([]);
  });

  it('installs from the tarball into the project, not as a link to this repository; internals stay private', async ({ skip }) => {
    if (unreachable !== undefined) skip(unreachable);
    const internal = await run(process.execPath, ['--input-type=module', '-e', "await import('dagctl/src/engine/store/store.ts')"], { cwd: project }).catch((e: { stderr: string }) => e);
    expect((internal as { stderr?: string }).stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
    const pkg = JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies['dagctl']).toBe(`file:${path.relative(project, tarball)}`);
    expect(existsSync(path.join(project, 'node_modules', 'dagctl', 'src', 'engine', 'store', 'migrations'))).toBe(true);
    expect(existsSync(path.join(project, 'node_modules', 'dagctl', 'test'))).toBe(false);
    expect(existsSync(path.join(project, 'node_modules', '@dagctl'))).toBe(false);
  });

  it('typechecks a DAG file against the installed package with npx tsc', async ({ skip }) => {
    if (unreachable !== undefined) skip(unreachable);
    await run('npx', ['--no', 'tsc', '--noEmit'], { cwd: project }); // throws on a type error
  });

  it('lists the project DAGs and runs one with a task group, a pool and mapped tasks with npx dagctl trigger --wait', async ({ skip }) => {
    if (unreachable !== undefined) skip(unreachable);
    const list = await dagctl(['dags', 'list', '--dags-folder', 'dags', '-o', 'json']);
    const ids = (JSON.parse(list.stdout) as Array<{ dag_id: string }>).map((d) => d.dag_id);
    expect(ids).toEqual(expect.arrayContaining(['hello', 'packed', 'example_bash_chain'])); // the shipped examples load too

    const done = await dagctl(['trigger', 'packed', '--dags-folder', 'dags', '--wait', '-o', 'json'], { DAGCTL_LOAD_EXAMPLES: 'false' });
    const result = JSON.parse(done.stdout) as { state: string; task_instances: Array<{ task_id: string; map_index?: number; state: string; pool: string }> };
    expect(result.state).toBe('success');
    expect(result.task_instances.map((t) => `${t.task_id}[${t.map_index ?? -1}] ${t.state} ${t.pool}`).sort()).toEqual([
      'fetch.double[0] success packed_pool',
      'fetch.double[1] success packed_pool',
      'fetch.double[2] success packed_pool',
      'fetch.echo[0] success packed_pool',
      'fetch.echo[1] success packed_pool',
      'fetch.items[-1] success packed_pool',
      'sum[-1] success default_pool',
    ]);
    expect(existsSync(path.join(project, 'runs', 'dagctl.db'))).toBe(true); // the project's own state folder
  }, 60_000);

  it('dagctl init run from the installed package scaffolds a project that depends on the same tarball', async ({ skip }) => {
    if (unreachable !== undefined) skip(unreachable);
    await dagctl(['init', 'second']);
    const pkg = JSON.parse(readFileSync(path.join(project, 'second', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies['dagctl']).toBe(`file:${tarball}`);
  });
});
