import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chunkBatch, metricLine, openTrackingStore, pythonFloat, TrackingError } from '../../src/tracking/index.js';
import { artifactDir, silent, tempDir } from './helpers.js';

const T0 = 1672364273202;
const now = () => T0;
const read = (...p: string[]) => fs.readFile(path.join(...p), 'utf8');

/**
 * PyYAML, when this machine has it: re-dumping what we wrote must give the same bytes (MLflow writes with safe_dump).
 * One python process for all files, to keep the suite fast. Null when python3 or PyYAML is missing.
 */
function pyyamlRoundTrip(texts: string[]): string[] | null {
  const script = 'import sys, json, yaml; print(json.dumps([yaml.safe_dump(yaml.safe_load(t), default_flow_style=False, allow_unicode=True) for t in json.load(sys.stdin)]))';
  try {
    return JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(texts), encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] })) as string[];
  } catch {
    return null;
  }
}

/** meta.yaml texts collected by the layout tests, checked against PyYAML at the end. */
const written: string[] = [];

describe('tracking: file store layout (MLflow FileStore, reference §2.1)', () => {
  it('writes the Default experiment, experiments and runs with meta.yaml as MLflow does', async () => {
    const home = await tempDir();
    const root = path.join(home, 'mlruns');
    const store = await openTrackingStore({ fileRoot: root, logger: silent, now });
    expect(store.kind).toBe('file');
    const exp = await store.getOrCreateExperiment('pneumonia');
    expect(exp).toMatch(/^[1-9]\d{17}$/);
    expect(await store.getOrCreateExperiment('pneumonia')).toBe(exp);

    expect((await fs.stat(path.join(root, '.trash'))).isDirectory()).toBe(true);
    const defaultMeta = await read(root, '0', 'meta.yaml');
    expect(defaultMeta).toBe(
      `artifact_location: ${pathToFileURL(path.join(root, '0')).href}\ncreation_time: ${T0}\nexperiment_id: '0'\nlast_update_time: ${T0}\nlifecycle_stage: active\nname: Default\n`,
    );
    expect(await read(root, exp, 'meta.yaml')).toContain(`experiment_id: '${exp}'\n`);

    const { runId, artifactUri } = await store.createRun(exp, { runName: 'yes', startTime: T0 + 1 });
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    const runDir = path.join(root, exp, runId);
    expect(artifactUri).toBe(pathToFileURL(path.join(runDir, 'artifacts')).href);
    const user = (await read(runDir, 'tags', 'mlflow.user'));
    const runMeta = await read(runDir, 'meta.yaml');
    expect(runMeta).toBe(
      [
        `artifact_uri: ${artifactUri}`,
        'end_time: null',
        "entry_point_name: ''",
        `experiment_id: '${exp}'`,
        'lifecycle_stage: active',
        `run_id: ${runId}`,
        "run_name: 'yes'", // quoted, or PyYAML would read the boolean True
        `run_uuid: ${runId}`,
        "source_name: ''",
        'source_type: 4',
        "source_version: ''",
        `start_time: ${T0 + 1}`,
        'status: 1',
        'tags: []',
        `user_id: ${user}`,
        '',
      ].join('\n'),
    );
    expect(await read(runDir, 'tags', 'mlflow.runName')).toBe('yes');
    expect(await read(runDir, 'tags', 'mlflow.source.type')).toBe('LOCAL');
    written.push(defaultMeta, runMeta);

    await store.setTerminated(runId, 'FINISHED', T0 + 500);
    const finished = await read(runDir, 'meta.yaml');
    expect(finished).toContain('status: 3\n');
    expect(finished).toContain(`end_time: ${T0 + 500}\n`);
    expect(store.getRunUrl(exp, runId)).toBe(pathToFileURL(runDir).href);
  });

  it('writes metrics as "<ts> <value> <step>" lines, params and tags without a trailing newline', async () => {
    const home = await tempDir();
    const store = await openTrackingStore({ fileRoot: path.join(home, 'mlruns'), logger: silent, now });
    const exp = await store.getOrCreateExperiment('x');
    const { runId } = await store.createRun(exp);
    const runDir = path.join(home, 'mlruns', exp, runId);
    await store.logBatch(runId, {
      metrics: [
        { key: 'auc', value: 0.95, timestamp: 1672364273330, step: 0 },
        { key: 'auc', value: 1, timestamp: 1672364273331, step: 1 },
        { key: 'val/loss', value: 1.5e-7, timestamp: 7, step: 2 },
      ],
      params: { 'train.lr': '0.001', epochs: '1' },
      tags: { data_version: 'abc.dir' },
    });
    await store.logBatch(runId, { metrics: [{ key: 'auc', value: 0.5, timestamp: 9, step: 2 }], params: { epochs: '1' } });
    expect(await read(runDir, 'metrics', 'auc')).toBe('1672364273330 0.95 0\n1672364273331 1.0 1\n9 0.5 2\n');
    expect(await read(runDir, 'metrics', 'val', 'loss')).toBe('7 1.5e-07 2\n');
    expect(await read(runDir, 'params', 'train.lr')).toBe('0.001');
    expect(await read(runDir, 'params', 'epochs')).toBe('1');
    expect(await read(runDir, 'tags', 'data_version')).toBe('abc.dir');

    const conflict = await store.logBatch(runId, { params: { epochs: '2' } }).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(TrackingError);
    expect((conflict as TrackingError).code).toBe('param_conflict');
    await expect(store.logBatch(runId, { tags: { '../escape': 'x' } })).rejects.toMatchObject({ code: 'invalid_key' });

    await store.logArtifacts(runId, await artifactDir(home), 'model');
    expect(await read(runDir, 'artifacts', 'model', 'plots', 'roc curve.svg')).toBe('<svg/>');
  });

  it('finds a run created by another store instance (a later task in another process)', async () => {
    const home = await tempDir();
    const root = path.join(home, 'mlruns');
    const a = await openTrackingStore({ fileRoot: root, logger: silent, now });
    const { runId } = await a.createRun(await a.getOrCreateExperiment('x'));
    const b = await openTrackingStore({ trackingUri: pathToFileURL(root).href, fileRoot: '/unused', logger: silent, now });
    await b.setTerminated(runId, 'FAILED');
    expect(b.uri).toBe(root);
    await expect(b.logBatch('0'.repeat(32), {})).rejects.toMatchObject({ code: 'run_not_found' });
  });

  it('mirrors the registry under models/<name>/ with version meta.yaml, tags and alias files', async () => {
    const home = await tempDir();
    const root = path.join(home, 'mlruns');
    const store = await openTrackingStore({ fileRoot: root, logger: silent, now });
    await store.createRegisteredModel('pneumonia');
    await store.createRegisteredModel('pneumonia');
    expect(await read(root, 'models', 'pneumonia', 'meta.yaml')).toBe(
      `aliases: {}\ncreation_timestamp: ${T0}\ndescription: null\nlast_updated_timestamp: ${T0}\nname: pneumonia\n`,
    );
    expect(await store.createModelVersion('pneumonia', 'runs:/abc/model', 'abc')).toBe('1');
    expect(await store.createModelVersion('pneumonia', '/models/2')).toBe('2');
    const v1 = await read(root, 'models', 'pneumonia', 'version-1', 'meta.yaml');
    expect(v1).toBe(
      [
        'aliases: []',
        `creation_timestamp: ${T0}`,
        'current_stage: None',
        'description: null',
        `last_updated_timestamp: ${T0}`,
        'name: pneumonia',
        'run_id: abc',
        'run_link: null',
        "source: runs:/abc/model",
        'status: READY',
        'status_message: null',
        'storage_location: runs:/abc/model',
        'user_id: null',
        'version: 1',
        '',
      ].join('\n'),
    );
    written.push(v1, await read(root, 'models', 'pneumonia', 'meta.yaml'));
    await store.setAlias('pneumonia', 'champion', '1');
    await store.setAlias('pneumonia', 'champion', '2');
    expect(await read(root, 'models', 'pneumonia', 'aliases', 'champion')).toBe('2');
    await store.setModelVersionTag('pneumonia', '2', 'promoted_by', 'pipeline');
    expect(await read(root, 'models', 'pneumonia', 'version-2', 'tags', 'promoted_by')).toBe('pipeline');
    await expect(store.setAlias('pneumonia', 'champion', '9')).rejects.toMatchObject({ code: 'model_version_not_found' });
  });
});

describe('tracking: meta.yaml bytes match PyYAML', () => {
  it('re-dumps every meta.yaml written above to identical bytes (skipped without python3 + PyYAML)', (ctx) => {
    expect(written.length).toBeGreaterThanOrEqual(4);
    const again = pyyamlRoundTrip(written);
    if (again === null) ctx.skip();
    expect(again).toEqual(written);
  });
});

describe('tracking: formats and batching (pure)', () => {
  it("prints numbers as Python's str(float)", () => {
    expect([1, 0.95, 1.5e-7, 1e21, NaN, Infinity, -Infinity, -2].map(pythonFloat)).toEqual(['1.0', '0.95', '1.5e-07', '1e+21', 'nan', 'inf', '-inf', '-2.0']);
    expect(metricLine(1672364273330, 0.95, 0)).toBe('1672364273330 0.95 0\n');
  });

  it("splits a batch to MLflow's limits without losing or reordering anything", () => {
    const metrics = Array.from({ length: 1950 }, (_, i) => ({ key: 'm', value: i, timestamp: i, step: i }));
    const params = Array.from({ length: 230 }, (_, i) => ({ key: `p${i}`, value: '1' }));
    const tags = Array.from({ length: 5 }, (_, i) => ({ key: `t${i}`, value: '1' }));
    const chunks = chunkBatch(metrics, params, tags);
    for (const c of chunks) {
      expect(c.params.length).toBeLessThanOrEqual(100);
      expect(c.metrics.length + c.params.length + c.tags.length).toBeLessThanOrEqual(1000);
    }
    expect(chunks.flatMap((c) => c.metrics)).toEqual(metrics);
    expect(chunks.flatMap((c) => c.params)).toEqual(params);
    expect(chunks.flatMap((c) => c.tags)).toEqual(tags);
    expect(chunkBatch([], [], [])).toEqual([]);
  });
});
