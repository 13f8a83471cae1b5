/**
 * The DAG bag: every DAG exported by the files under the DAGs folders, imported at run time (tsx is the
 * loader in all our processes). A file that throws, or defines an invalid DAG, becomes an import error.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { isDag, type DAG } from './dag.js';
import { coerceError } from './errors.js';

export interface ImportErrorEntry {
  filename: string;
  stack_trace: string;
}

export interface DagBag {
  readonly dags: ReadonlyMap<string, DAG>;
  readonly errors: readonly ImportErrorEntry[];
  readonly files: readonly string[];
}

const DAG_FILE = /\.(ts|mts|js|mjs)$/;
const SKIP = /(\.test\.|\.spec\.|\.d\.ts$)/;

/** DAG files under `folder`: *.ts (and .js), recursive; skips tests, names starting with `_` or `.`, node_modules. */
export function listDagFiles(folder: string, exclude: readonly string[] = []): string[] {
  const out: string[] = [];
  const skipDirs = new Set(exclude.map((e) => path.resolve(e)));
  const walk = (dir: string): void => {
    if (skipDirs.has(dir)) return;
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith('_') || name.startsWith('.') || name === 'node_modules') continue;
      const p = path.join(dir, name);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (DAG_FILE.test(name) && !SKIP.test(name)) out.push(p);
    }
  };
  walk(path.resolve(folder));
  return out;
}

const moduleCache = new Map<string, Promise<DAG[]>>();

/** Imports one DAG file (once per process) and returns the DAGs it exports, default or named, validated. */
export function importDagFile(file: string): Promise<DAG[]> {
  const abs = path.resolve(file);
  let p = moduleCache.get(abs);
  if (!p) {
    p = (async () => {
      const mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
      const dags = [...new Set(Object.values(mod).filter(isDag))];
      for (const d of dags) {
        d.fileloc = abs;
        d.validate();
      }
      return dags;
    })();
    moduleCache.set(abs, p);
  }
  return p;
}

export async function loadDagBag(folders: readonly string[], logger: Logger, exclude: readonly string[] = []): Promise<DagBag> {
  const dags = new Map<string, DAG>();
  const errors: ImportErrorEntry[] = [];
  const files = [...new Set(folders.flatMap((f) => listDagFiles(f, exclude)))];
  for (const file of files) {
    try {
      for (const dag of await importDagFile(file)) {
        const other = dags.get(dag.dagId);
        if (other) {
          errors.push({ filename: file, stack_trace: `DAG id '${dag.dagId}' is already defined in ${other.fileloc}` });
          continue;
        }
        dags.set(dag.dagId, dag);
      }
    } catch (e) {
      const err = coerceError(e);
      logger.warn({ file, err: err.message }, 'failed to import DAG file');
      errors.push({ filename: file, stack_trace: err.stack ?? err.message });
    }
  }
  return { dags, errors, files };
}

/** A bag made of DAG objects already in memory (tests, `dags test` of a given DAG). */
export function bagOf(dags: readonly DAG[]): DagBag {
  for (const d of dags) d.validate();
  return { dags: new Map(dags.map((d) => [d.dagId, d])), errors: [], files: [...new Set(dags.map((d) => d.fileloc))] };
}
