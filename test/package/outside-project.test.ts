// A project outside this repository that depends on dagctl (linked into its node_modules, as `npm link` or a
// `file:` dependency installs it): its DAG file imports everything from 'dagctl', typechecks against the
// package's own types, and runs with `dagctl trigger --wait` from that project's folder.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../cli/harness.js';

// A child that hangs is killed (not left running after the test times out).
const exec = promisify(execFile);
const run = (file: string, args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ stdout: string; stderr: string }> =>
  exec(file, args, { encoding: 'utf8', timeout: 90_000, killSignal: 'SIGKILL', ...o });
const project = mkdtempSync(path.join(tmpdir(), 'dagctl-outside-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

const DAG_FILE = `import { BashOperator, DAG, FunctionOperator } from 'dagctl';

const dag = new DAG({ dagId: 'outside', schedule: null, isPausedUponCreation: false });
const work = dag.group('work');
const a = work.add(new FunctionOperator({ taskId: 'a', fn: () => 20 }));
const b = work.add(new BashOperator({ taskId: 'b', bashCommand: 'echo 22' }));
const sum = dag.add(new FunctionOperator({ taskId: 'sum', pool: 'tiny', fn: (ctx) => ctx.xcomPull(a)! + Number(ctx.xcomPull(b)) }));
work.then(sum);
export default dag;
`;

describe('a project outside this repository', () => {
  it("imports DAG, operators and task groups from 'dagctl', typechecks, and runs its DAG", async () => {
    mkdirSync(path.join(project, 'dags'));
    mkdirSync(path.join(project, 'node_modules'));
    symlinkSync(REPO, path.join(project, 'node_modules', 'dagctl'), 'dir');
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'outside', private: true, type: 'module', dependencies: { dagctl: `file:${REPO}` } }));
    writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [path.join(REPO, 'node_modules', '@types')] }, include: ['dags'] }));
    writeFileSync(path.join(project, 'dags', 'outside.ts'), DAG_FILE);

    await run(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project]); // throws on a type error

    const env = { ...process.env, DAGCTL_HOME: path.join(project, 'runs'), DAGCTL_LOAD_EXAMPLES: 'false', DAGCTL_PARALLELISM: '2' };
    const dagctl = (...args: string[]) => run(process.execPath, [path.join(project, 'node_modules', 'dagctl', 'bin', 'dagctl.js'), ...args], { cwd: project, env });
    const list = await dagctl('dags', 'list', '--dags-folder', 'dags', '-o', 'json');
    expect(JSON.parse(list.stdout).map((d: { dag_id: string }) => d.dag_id)).toEqual(['outside']);
    const done = await dagctl('trigger', 'outside', '--dags-folder', 'dags', '--wait', '-o', 'json');
    const result = JSON.parse(done.stdout) as { state: string; task_instances: Array<{ task_id: string; state: string }> };
    expect(result.state).toBe('success');
    expect(result.task_instances.map((t) => [t.task_id, t.state]).sort()).toEqual([['sum', 'success'], ['work.a', 'success'], ['work.b', 'success']]);
    const pools = await dagctl('pools', 'get', 'tiny', '--dags-folder', 'dags', '-o', 'json');
    expect(JSON.parse(pools.stdout)).toEqual([expect.objectContaining({ name: 'tiny', slots: 1 })]);
  }, 120_000);
});

describe('dagctl init', () => {
  it('scaffolds a project whose first DAG runs from its own folder, and never overwrites', async () => {
    const dir = path.join(project, 'made');
    const cli = path.join(REPO, 'bin', 'dagctl.js');
    const made = await run(process.execPath, [cli, 'init', dir], { cwd: project });
    for (const f of ['package.json', 'tsconfig.json', 'dags/hello.ts', '.gitignore']) expect(made.stdout).toContain(`created ${path.join(dir, f)}`);
    expect(made.stdout).toContain('npx dagctl trigger hello --wait');
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { type: string; dependencies: Record<string, string> };
    expect(pkg).toMatchObject({ type: 'module', dependencies: { dagctl: `file:${REPO}` } });
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(REPO, path.join(dir, 'node_modules', 'dagctl'), 'dir'); // what `npm install` does with that file: dependency
    const { DAGCTL_HOME: _home, DAGCTL_DAGS_FOLDER: _dags, ...rest } = process.env;
    const env = { ...rest, DAGCTL_LOAD_EXAMPLES: 'false', DAGCTL_PARALLELISM: '1' };
    const done = await run(process.execPath, [path.join(dir, 'node_modules', 'dagctl', 'bin', 'dagctl.js'), 'trigger', 'hello', '--wait', '-o', 'json'], { cwd: dir, env });
    const result = JSON.parse(done.stdout) as { state: string; task_instances: Array<{ task_id: string; state: string }> };
    expect(result.state).toBe('success'); // found dags/ by itself, state in ./runs
    expect(existsSync(path.join(dir, 'runs', 'dagctl.db'))).toBe(true);
    const again = await run(process.execPath, [cli, 'init', dir], { cwd: project }).catch((e: { code: number; stderr: string }) => e);
    expect(again).toMatchObject({ code: 2 });
    expect((again as { stderr: string }).stderr).toContain('already has package.json, tsconfig.json, dags/hello.ts, .gitignore; dagctl init never overwrites');
  }, 120_000);
});
