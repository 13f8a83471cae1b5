import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigSyntaxError, mergeSections, parseConfigObj, type ConfigSections } from './configobj.js';
import { DvcConfigError, DvcError } from './errors.js';

export interface RemoteConfig {
  name: string;
  /** Absolute path for local remotes (relative urls resolved against .dvc/), the url as written otherwise. */
  url: string;
  /** HTTP upload method (`method` key): POST by default, as dvc-http. */
  method: 'POST' | 'PUT';
  jobs: number | undefined;
  /** Every key as written, for options we pass through (auth, user, password, ...). */
  options: ReadonlyMap<string, string>;
}

export interface DvcConfig {
  /** `core.remote`: the default remote's name. */
  defaultRemote: string | undefined;
  /** `core.no_scm`: don't touch .gitignore files. */
  noScm: boolean;
  /** Absolute cache folder: `cache.dir` (relative to .dvc/) or `.dvc/cache`. */
  cacheDir: string;
  remotes: ReadonlyMap<string, RemoteConfig>;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

export function isLocalUrl(url: string): boolean {
  return !SCHEME.test(url);
}

async function readLayer(file: string): Promise<ConfigSections> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  try {
    return parseConfigObj(text);
  } catch (cause) {
    const detail = cause instanceof ConfigSyntaxError ? cause.message : String(cause);
    throw new DvcConfigError(`config file ${file} is invalid: ${detail}`, 'fix the file; sections look like [core] or [\'remote "name"\']', cause);
  }
}

function parseBool(value: string | undefined): boolean {
  return value !== undefined && /^(true|yes|on|1)$/i.test(value.trim());
}

/** Reads `.dvc/config` then `.dvc/config.local` (global/system configs are not read). */
export async function loadConfig(dvcDir: string): Promise<DvcConfig> {
  const sections = mergeSections(await readLayer(path.join(dvcDir, 'config')), await readLayer(path.join(dvcDir, 'config.local')));
  const remotes = new Map<string, RemoteConfig>();
  for (const [name, keys] of sections) {
    const m = /^remote\s+"(.+)"$/.exec(name);
    if (!m) continue;
    const remoteName = m[1] as string;
    const url = keys.get('url');
    if (!url) throw new DvcConfigError(`remote '${remoteName}' has no url`, `set one: dvc remote modify ${remoteName} url <url>`);
    const method = (keys.get('method') ?? 'POST').toUpperCase();
    if (method !== 'POST' && method !== 'PUT') {
      throw new DvcConfigError(`remote '${remoteName}': method = ${method} is not supported`, 'use method = POST or method = PUT');
    }
    const jobsRaw = keys.get('jobs');
    const jobs = jobsRaw === undefined ? undefined : Number(jobsRaw);
    if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) {
      throw new DvcConfigError(`remote '${remoteName}': jobs = ${jobsRaw} is not a positive integer`, 'set jobs to a whole number such as 8');
    }
    remotes.set(remoteName, {
      name: remoteName,
      url: isLocalUrl(url) ? path.resolve(dvcDir, url) : url.replace(/\/+$/, ''),
      method,
      jobs,
      options: keys,
    });
  }
  const cacheDir = sections.get('cache')?.get('dir');
  return {
    defaultRemote: sections.get('core')?.get('remote'),
    noScm: parseBool(sections.get('core')?.get('no_scm')),
    cacheDir: path.resolve(dvcDir, cacheDir ?? 'cache'),
    remotes,
  };
}

/** `-r name` wins, then `core.remote` (dvc/data_cloud.py get_remote). */
export function selectRemote(config: DvcConfig, name?: string): RemoteConfig {
  const chosen = name ?? config.defaultRemote;
  if (!chosen) {
    throw new DvcError('no_remote', 'no remote provided and no default remote set', {
      hint: "add one to .dvc/config: [core] remote = storage and ['remote \"storage\"'] url = /path/or/https-url",
    });
  }
  const remote = config.remotes.get(chosen);
  if (!remote) {
    const known = [...config.remotes.keys()].join(', ') || 'none';
    throw new DvcConfigError(`remote '${chosen}' doesn't exist`, `known remotes: ${known}; check .dvc/config`);
  }
  return remote;
}
