import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/cli/config.js';
import { EXAMPLES_FOLDER, dagFolders } from '../../src/cli/engine.js';
import { REPO } from './harness.js';

const config = (env: Record<string, string>, dagsFolder?: string) => resolveConfig(env, { dagsFolder }, REPO);

describe('which folders the DAG bag scans', () => {
  it('the default dags folder already contains the examples: scanned once', () => {
    expect(EXAMPLES_FOLDER).toBe(path.join(REPO, 'src/dags/examples'));
    expect(dagFolders(config({}))).toEqual({ dagsFolders: [path.join(REPO, 'src/dags')], excluded: [] });
  });

  it('DAGCTL_LOAD_EXAMPLES=false excludes the nested examples folder', () => {
    expect(dagFolders(config({ DAGCTL_LOAD_EXAMPLES: 'false' }))).toEqual({ dagsFolders: [path.join(REPO, 'src/dags')], excluded: [EXAMPLES_FOLDER] });
  });

  it('another dags folder gets the examples added, or nothing excluded', () => {
    expect(dagFolders(config({}, '/srv/dags'))).toEqual({ dagsFolders: ['/srv/dags', EXAMPLES_FOLDER], excluded: [] });
    expect(dagFolders(config({ DAGCTL_LOAD_EXAMPLES: '0' }, '/srv/dags'))).toEqual({ dagsFolders: ['/srv/dags'], excluded: [] });
  });

  it('a bad DAGCTL_LOAD_EXAMPLES value is a config error naming the fix', () => {
    expect(() => config({ DAGCTL_LOAD_EXAMPLES: 'maybe' })).toThrow('DAGCTL_LOAD_EXAMPLES=maybe is not a boolean');
    expect(() => config({ DAGCTL_LOG_FORMAT: 'xml' })).toThrow('DAGCTL_LOG_FORMAT=xml is not a log format');
  });

  it('heartbeat and zombie threshold: seconds, and a threshold of several heartbeats', () => {
    expect(config({})).toMatchObject({ heartbeatS: 5, zombieThresholdS: 60 });
    expect(config({ DAGCTL_JOB_HEARTBEAT_SEC: '0.5', DAGCTL_ZOMBIE_TASK_THRESHOLD: '10' })).toMatchObject({ heartbeatS: 0.5, zombieThresholdS: 10 });
    expect(() => config({ DAGCTL_JOB_HEARTBEAT_SEC: 'soon' })).toThrow('DAGCTL_JOB_HEARTBEAT_SEC=soon is not a number of seconds');
    expect(() => config({ DAGCTL_JOB_HEARTBEAT_SEC: '30', DAGCTL_ZOMBIE_TASK_THRESHOLD: '40' })).toThrow(/less than two heartbeats .*every running task would look dead/);
  });
});
