#!/usr/bin/env node
// Enforces the dependency direction in CONVENTIONS.md: cli -> dags -> operators -> engine,
// operators -> training, and nothing pointing back. Also: only the engine's store speaks SQL.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const src = path.join(root, 'src');

// folder -> src/ folders it must not import from
const FORBIDDEN = {
  engine: ['operators', 'dags', 'training', 'cli', 'dvc', 'tracking', 'registry', 'notify', 'serve', 'pipeline', 'web'],
  training: ['engine', 'operators', 'dags', 'cli', 'dvc', 'tracking', 'registry', 'notify', 'serve', 'pipeline'],
  operators: ['dags', 'cli', 'serve'],
  dags: ['cli', 'serve'],
  dvc: ['engine', 'operators', 'dags', 'cli', 'training', 'serve'],
  tracking: ['engine', 'operators', 'dags', 'cli', 'training', 'serve'],
  registry: ['engine', 'operators', 'dags', 'cli', 'serve'],
  notify: ['engine', 'operators', 'dags', 'cli', 'training', 'serve'],
  serve: ['engine', 'operators', 'dags', 'cli'],
  promotion: ['engine', 'operators', 'dags', 'cli', 'serve'],
  web: ['operators', 'dags', 'cli', 'training', 'dvc', 'tracking', 'registry', 'notify', 'serve', 'promotion'],
};
const SQL_ONLY_IN = path.join(src, 'engine', 'store');

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (/\.(ts|mts|js|mjs)$/.test(name)) yield p;
  }
}

const importRe = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];
for (const file of files(src)) {
  const rel = path.relative(src, file);
  const top = rel.split(path.sep)[0];
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (spec === 'better-sqlite3' && !file.startsWith(SQL_ONLY_IN)) {
      problems.push(`${rel}: imports better-sqlite3; all SQL lives in src/engine/store`);
    }
    if (!spec.startsWith('.')) continue;
    const target = path.relative(src, path.resolve(path.dirname(file), spec)).split(path.sep)[0];
    if (FORBIDDEN[top]?.includes(target)) problems.push(`${rel}: imports ${spec} (src/${top} must not depend on src/${target})`);
  }
}
if (problems.length > 0) {
  console.error(`import boundaries violated:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('import boundaries ok');
