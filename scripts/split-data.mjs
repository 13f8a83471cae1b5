#!/usr/bin/env node
// Cuts ../shared/data/chest_xray_full (the Kaggle train split + a val sample of the Kaggle test distribution)
// into the versions this repository ships through its DVC remote (see data/README.md):
//   data/chest_xray_full/  train (all but test), val (all 155), test: what the production recipe trains on
//   data/chest_xray/       the demo's first version: train minus the new batch, the same val and test
//   data/new_batch/train/  the "new data arrived" batch
// Deterministic, and by patient: every image of one patient lands in the same part (test never shares a
// patient with train). Patients are ordered by md5 of their id, then dealt out until each quota is met.
// Usage: node scripts/split-data.mjs [SOURCE] (default ../shared/data/chest_xray_full); then `dagctl dvc add`.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.resolve(process.argv[2] ?? path.join(root, '..', 'shared', 'data', 'chest_xray_full'));
// Per class: test images (from Kaggle train, the in-distribution hold-out the promotion gate compares on) and
// the new batch; the rest is the first version's train.
const QUOTA = { NORMAL: { test: 150, batch: 190 }, PNEUMONIA: { test: 150, batch: 530 } };

/** personNNN_bacteria_MMM -> personNNN; IM-0115-0001 -> IM-0115; NORMAL2-IM-1427-0001 -> NORMAL2-IM-1427. */
function patient(name) {
  const m = /^(person\d+)_/.exec(name) ?? /^((?:NORMAL2-)?IM-\d+)-/.exec(name);
  if (!m) throw new Error(`cannot tell the patient of ${name}`);
  return m[1];
}
const md5 = (s) => createHash('md5').update(s).digest('hex');

const parts = { test: [], batch: [], train: [] };
for (const cls of ['NORMAL', 'PNEUMONIA']) {
  const files = readdirSync(path.join(source, 'train', cls)).filter((f) => !f.startsWith('.')).sort();
  const byPatient = new Map();
  for (const f of files) byPatient.set(patient(f), [...(byPatient.get(patient(f)) ?? []), f]);
  const patients = [...byPatient.keys()].sort((a, b) => (md5(a) < md5(b) ? -1 : md5(a) > md5(b) ? 1 : a < b ? -1 : 1));
  const count = { test: 0, batch: 0 };
  for (const p of patients) {
    const imgs = byPatient.get(p);
    const part = count.test < QUOTA[cls].test ? 'test' : count.batch < QUOTA[cls].batch ? 'batch' : 'train';
    if (part !== 'train') count[part] += imgs.length;
    for (const f of imgs) parts[part].push({ cls, f });
  }
}

function copy(list, from, to) {
  for (const { cls, f } of list) {
    mkdirSync(path.join(to, cls), { recursive: true });
    copyFileSync(path.join(source, from, cls, f), path.join(to, cls, f));
  }
}
const val = ['NORMAL', 'PNEUMONIA'].flatMap((cls) => readdirSync(path.join(source, 'val', cls)).sort().map((f) => ({ cls, f })));
for (const dir of ['data/chest_xray_full', 'data/chest_xray', 'data/new_batch']) rmSync(path.join(root, dir), { recursive: true, force: true });
copy([...parts.train, ...parts.batch], 'train', path.join(root, 'data/chest_xray_full/train'));
copy(val, 'val', path.join(root, 'data/chest_xray_full/val'));
copy(parts.test, 'train', path.join(root, 'data/chest_xray_full/test'));
copy(parts.train, 'train', path.join(root, 'data/chest_xray/train'));
copy(val, 'val', path.join(root, 'data/chest_xray/val'));
copy(parts.test, 'train', path.join(root, 'data/chest_xray/test'));
copy(parts.batch, 'train', path.join(root, 'data/new_batch/train'));
const n = (list, cls) => list.filter((x) => x.cls === cls).length;
for (const [k, list] of Object.entries({ ...parts, val })) console.log(`${k}: ${n(list, 'NORMAL')} NORMAL + ${n(list, 'PNEUMONIA')} PNEUMONIA`);
if (!existsSync(path.join(root, 'data/chest_xray/train'))) process.exit(1);
