// CheckNewDataOperator in a tiny DAG driven by the engine: the short-circuit skips everything downstream (even an
// all_done task) when the champion was trained on the data version in the DVC pointer.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAG } from '../../../src/engine/index.js';
import { CheckNewDataOperator } from '../../../src/operators/check-new-data.js';
import { EmptyOperator } from '../../../src/operators/empty.js';
import { registryRoot } from '../../../src/operators/ml/project.js';
import { openRegistry } from '../../../src/registry/index.js';
import { cleanup, makeProject, modelFolder, runDag, silent, tempDir, TINY_PARAMS, type TestProject } from '../../fixtures/pipeline/harness.js';

let p: TestProject;
beforeAll(async () => {
  p = await makeProject();
});
afterAll(cleanup);

function pipeline(project = p): DAG {
  const dag = new DAG({ dagId: 'check_test', schedule: null });
  const check = dag.add(new CheckNewDataOperator({ taskId: 'check_new_data', project: project.project }));
  const pull = dag.add(new EmptyOperator({ taskId: 'dvc_pull' }));
  const notify = dag.add(new EmptyOperator({ taskId: 'notify', triggerRule: 'all_done' }));
  check.then(pull).then(notify);
  return dag;
}

/** A champion in a fresh home, trained on `dataVersion`. */
async function homeWithChampion(dataVersion: string): Promise<string> {
  const home = await tempDir();
  const registry = openRegistry({ root: registryRoot(home), name: 'pneumonia', logger: silent });
  const v = await registry.register(await modelFolder(path.join(home, 'model'), dataVersion), { runId: 'earlier', dataVersion });
  await registry.promote(v.version, { by: 'test', reason: 'first model' });
  return home;
}

describe('check_new_data', { timeout: 180_000 }, () => {
  it('proceeds when there is no champion yet', async () => {
    const run = await runDag(pipeline(), { home: await tempDir() });
    expect(run.states).toEqual({ check_new_data: 'success', dvc_pull: 'success', notify: 'success' });
    expect(run.xcom('check_new_data')).toMatchObject({ proceed: true, reason: 'no champion yet', data_version: p.version, champion_version: null });
  });

  it('skips every downstream task (all_done included) and succeeds when the champion has this data version', async () => {
    const run = await runDag(pipeline(), { home: await homeWithChampion(p.version) });
    expect(run.state).toBe('success');
    expect(run.states).toEqual({ check_new_data: 'success', dvc_pull: 'skipped', notify: 'skipped' });
    expect(run.xcom('check_new_data')).toMatchObject({ proceed: false, champion_version: 1, champion_data_version: p.version });
    expect(run.log('check_new_data')).toContain(`no new data: champion v1 was trained on ${p.version}`);
  });

  it('proceeds when the DVC pointer has a new data version', async () => {
    const run = await runDag(pipeline(), { home: await homeWithChampion('0123456789abcdef0123456789abcdef.dir') });
    expect(run.states).toEqual({ check_new_data: 'success', dvc_pull: 'success', notify: 'success' });
    const r = run.xcom('check_new_data') as { proceed: boolean; reason: string };
    expect(r.proceed).toBe(true);
    expect(r.reason).toContain(`new data: ${p.version}`);
  });

  it('proceeds on unchanged data when the trigger conf says {"force": true}', async () => {
    const run = await runDag(pipeline(), { home: await homeWithChampion(p.version), conf: { force: true } });
    expect(run.states).toEqual({ check_new_data: 'success', dvc_pull: 'success', notify: 'success' });
    expect(run.xcom('check_new_data')).toMatchObject({ proceed: true, champion_data_version: p.version });
  });

  it('fails naming the key when the conf overrides a param with a bad value', async () => {
    const run = await runDag(pipeline(), { home: await tempDir(), conf: { params: { 'pipeline.git_pull': 'sometimes' } } });
    expect(run.states.check_new_data).toBe('failed');
    expect(run.log('check_new_data')).toContain('pipeline.git_pull');
  });

  it('git pulls first when pipeline.git_pull is set, and sees the data version that arrived upstream', async () => {
    const git = (cwd: string, ...args: string[]) => execa('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.test', ...args], { cwd });
    const root = await tempDir();
    const [origin, upstream, local] = ['origin.git', 'upstream', 'local'].map((d) => path.join(root, d)) as [string, string, string];
    await execa('git', ['init', '-q', '--bare', '-b', 'main', origin]);
    await git(root, 'clone', '-q', origin, upstream);
    const dvcFile = await readFile(p.project.dvcFile, 'utf8');
    await makeProject({ root: upstream, dvc: false, params: `${TINY_PARAMS}pipeline: { git_pull: true }\n` });
    await mkdir(path.join(upstream, 'data'));
    await writeFile(path.join(upstream, 'data', 'chest_xray.dvc'), dvcFile);
    await git(upstream, 'add', 'params.yaml', 'data/chest_xray.dvc');
    await git(upstream, 'commit', '-q', '-m', 'data v1');
    await git(upstream, 'push', '-q', 'origin', 'HEAD:main');
    await git(root, 'clone', '-q', origin, local);
    // New data is versioned and pushed upstream; this checkout has not pulled it yet.
    const v2 = 'fedcba9876543210fedcba9876543210.dir';
    await writeFile(path.join(upstream, 'data', 'chest_xray.dvc'), dvcFile.replace(p.version, v2));
    await git(upstream, 'commit', '-q', '-am', 'data v2');
    await git(upstream, 'push', '-q', 'origin', 'HEAD:main');

    const run = await runDag(pipeline({ ...p, root: local, project: { root: local, paramsFile: path.join(local, 'params.yaml'), dvcFile: path.join(local, 'data', 'chest_xray.dvc') } }), {
      home: await homeWithChampion(p.version),
    });
    expect(run.states.check_new_data, run.log('check_new_data')).toBe('success');
    expect(run.xcom('check_new_data')).toMatchObject({ proceed: true, data_version: v2, champion_data_version: p.version });
    expect(run.log('check_new_data')).toContain('INFO - git pull');
  });
});
