import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { DataParams } from '../params/index.js';
import { DataError } from './errors.js';
import { SUPPORTED_FORMATS } from './preprocess.js';
import { createRng, shuffled } from './rng.js';

/** Fixed class order: index 0 = NORMAL, 1 = PNEUMONIA (the positive class). */
export const CLASS_NAMES = ['NORMAL', 'PNEUMONIA'] as const;
export type ClassName = (typeof CLASS_NAMES)[number];
export type Label = 0 | 1;

export interface Sample {
  path: string;
  label: Label;
}
export interface SkippedFile {
  path: string;
  reason: string;
}
export type ClassCounts = Record<ClassName, number>;

export interface SplitData {
  samples: Sample[];
  counts: ClassCounts;
}

export interface KaggleData {
  train: SplitData;
  val: SplitData;
  /** null when the root has no test split (then the final evaluation uses val). */
  test: SplitData | null;
  /** True when val was carved from train because it was absent or tiny. */
  valCarved: boolean;
  skipped: SkippedFile[];
}

export function countClasses(samples: readonly Sample[]): ClassCounts {
  const counts: ClassCounts = { NORMAL: 0, PNEUMONIA: 0 };
  for (const s of samples) counts[CLASS_NAMES[s.label]]++;
  return counts;
}

/** Header-only check of one file; the reason is what the run report lists for a skipped file. */
async function unusableReason(file: string): Promise<string | null> {
  try {
    const meta = await sharp(file).metadata();
    if (!meta.format || !(SUPPORTED_FORMATS as readonly string[]).includes(meta.format)) return `unsupported format ${meta.format ?? 'unknown'}`;
    if (!meta.width || !meta.height) return 'image has no size';
    return null;
  } catch (err) {
    return `not a readable image (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
}

/**
 * Lists a folder with NORMAL/ and PNEUMONIA/ subfolders. Files that are not readable images are skipped and
 * listed (never a crash); hidden files are ignored. Paths are absolute, sorted, so runs are reproducible.
 */
export async function scanClassFolder(dir: string, skipped: SkippedFile[]): Promise<SplitData> {
  const samples: Sample[] = [];
  for (const [label, name] of CLASS_NAMES.entries()) {
    const classDir = path.join(dir, name);
    if (!existsSync(classDir)) continue;
    const names = (await readdir(classDir)).filter((n) => !n.startsWith('.')).sort();
    for (const n of names) {
      const file = path.join(classDir, n);
      if (!(await stat(file)).isFile()) continue;
      const reason = await unusableReason(file);
      if (reason) skipped.push({ path: file, reason });
      else samples.push({ path: file, label: label as Label });
    }
  }
  return { samples, counts: countClasses(samples) };
}

function requireBothClasses(split: SplitData, where: string): void {
  for (const name of CLASS_NAMES) {
    if (split.counts[name] === 0) {
      throw new DataError('empty_class', `${where}/${name} has no usable images`, `put ${name} images (JPEG/PNG) into ${where}/${name}/; both classes are needed`);
    }
  }
}

/** Splits per class: `fraction` of each class (seeded) goes to `picked`, at least one, never all. */
export function stratifiedSplit(samples: readonly Sample[], fraction: number, seed: number): { picked: Sample[]; rest: Sample[] } {
  const rng = createRng(seed);
  const picked: Sample[] = [];
  const rest: Sample[] = [];
  for (const label of [0, 1] as const) {
    const ofClass = shuffled(samples.filter((s) => s.label === label), rng);
    const k = Math.min(ofClass.length - 1, Math.max(1, Math.round(ofClass.length * fraction)));
    picked.push(...ofClass.slice(0, k));
    rest.push(...ofClass.slice(k));
  }
  return { picked, rest };
}

const split = (samples: Sample[]): SplitData => ({ samples, counts: countClasses(samples) });

/** `dataDir` is either a folder with NORMAL/ and PNEUMONIA/ or a Kaggle root holding `splitName`/. */
export function resolveSplitDir(dataDir: string, splitName: string): string {
  const direct = CLASS_NAMES.some((c) => existsSync(path.join(dataDir, c)));
  return direct ? dataDir : path.join(dataDir, splitName);
}

/** Loads the Kaggle layout {train,val,test}/{NORMAL,PNEUMONIA}; carves a stratified val when val is absent or tiny. */
export async function loadKaggleData(root: string, p: DataParams, seed: number): Promise<KaggleData> {
  const trainDir = path.join(root, p.train_split);
  if (!existsSync(trainDir)) {
    throw new DataError('data_missing', `no ${p.train_split}/ split under ${root}`, `point data.dir at a folder laid out as ${p.train_split}/{NORMAL,PNEUMONIA}/*.jpeg (dvc pull fetches it)`);
  }
  const skipped: SkippedFile[] = [];
  let train = await scanClassFolder(trainDir, skipped);
  requireBothClasses(train, trainDir);
  if (p.fraction < 1) train = split(stratifiedSplit(train.samples, p.fraction, seed).picked);

  const valDir = path.join(root, p.val_split);
  const givenVal = existsSync(valDir) ? await scanClassFolder(valDir, skipped) : null;
  const tiny = !givenVal || CLASS_NAMES.some((c) => givenVal.counts[c] < Math.max(1, p.min_val_per_class));
  let val: SplitData;
  if (tiny) {
    const { picked, rest } = stratifiedSplit(train.samples, p.val_fraction, seed + 1);
    // A tiny given val (Kaggle's has 8 per class) joins the carved one rather than being thrown away.
    val = split([...picked, ...(givenVal?.samples ?? [])]);
    train = split(rest);
  } else {
    val = givenVal;
  }
  requireBothClasses(train, trainDir);

  const testDir = path.join(root, p.test_split);
  const test = existsSync(testDir) ? await scanClassFolder(testDir, skipped) : null;
  return { train, val, test: test && test.samples.length > 0 ? test : null, valCarved: tiny, skipped };
}
