import { isLocalUrl, type RemoteConfig } from '../config.js';
import { DvcConfigError } from '../errors.js';
import { defaultJobs } from '../pool.js';
import { HttpRemote } from './http.js';
import { LocalRemote } from './local.js';
import type { Remote } from './types.js';

export interface OpenedRemote {
  remote: Remote;
  jobs: number;
}

/**
 * Builds the client for a configured remote. A local remote folder is created for `write` (push),
 * must exist for `read` (pull: a missing folder is a wrong url or an unmounted share), and is
 * merely empty for `query` (status -c).
 */
export async function openRemote(config: RemoteConfig, opts: { jobs?: number | undefined; mode: 'read' | 'write' | 'query'; signal?: AbortSignal | undefined }): Promise<OpenedRemote> {
  const jobs = opts.jobs ?? config.jobs ?? defaultJobs();
  if (isLocalUrl(config.url)) {
    const remote = new LocalRemote(config.name, config.url, opts.signal);
    if (opts.mode !== 'query') await remote.ensureRoot(opts.mode === 'write');
    return { remote, jobs };
  }
  if (/^https?:\/\//i.test(config.url)) {
    const user = config.options.get('user');
    const password = config.options.get('password');
    const basicAuth = config.options.get('auth') === 'basic' && user !== undefined ? { user, password: password ?? '' } : undefined;
    return { remote: new HttpRemote(config.name, config.url, { method: config.method, maxSockets: jobs, ...(basicAuth ? { basicAuth } : {}), ...(opts.signal ? { signal: opts.signal } : {}) }), jobs };
  }
  const scheme = config.url.split(':')[0];
  throw new DvcConfigError(`remote '${config.name}': ${scheme}:// remotes are not supported by the built-in DVC client`, 'install DVC (`pip install dvc`) for cloud remotes, or use a local folder or an http(s) remote');
}
