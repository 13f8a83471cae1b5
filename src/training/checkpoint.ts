import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { EpochRecord } from './artifacts.js';
import type { WeightsInit } from './model-io.js';

/** What Optimizer.getWeights() returns (tfjs-core does not export the type by name). */
type NamedTensor = Awaited<ReturnType<tf.Optimizer['getWeights']>>[number];
import { ModelError } from './errors.js';

/**
 * What `dagctl train --resume` needs to carry on after the last finished epoch: the model's and the best
 * epoch's weights, Adam's moments and step count, and the loop's counters. Shuffles and augmentation derive
 * from (seed, epoch), so a resumed run sees the same batches as an uninterrupted one would.
 */
export interface LoopState {
  /** Last finished epoch. */
  epoch: number;
  history: EpochRecord[];
  best: { epoch: number; score: number } | null;
  sinceBest: number;
  /** Early stopping fired: nothing is left to train. */
  stopped: boolean;
  trainedImages: number;
  trainSeconds: number;
  /** Where the run's weights started (kept: a resume must not need the champion it continued). */
  init: WeightsInit;
  /** The recipe and data version the run was started with (JSON): a resume with others is refused. */
  key: string;
}

export interface Checkpoint {
  state: LoopState;
  weights: tf.Tensor[];
  bestWeights: tf.Tensor[];
  optimizer: NamedTensor[];
}

interface Manifest {
  name: string;
  shape: number[];
  /** Adam's step count is int32: read back as float32 its bits would be a denormal near 0. */
  dtype: 'float32' | 'int32';
}

/** The checkpoint folder of a model folder: next to it, so the atomic rename of the model never touches it. */
export const checkpointDir = (outDir: string) => `${path.resolve(outDir)}.checkpoint`;

async function writeTensors(file: string, tensors: readonly { name: string; tensor: tf.Tensor }[]): Promise<void> {
  const manifest: Manifest[] = [];
  const parts: Uint8Array[] = [];
  for (const { name, tensor } of tensors) {
    if (tensor.dtype !== 'float32' && tensor.dtype !== 'int32') throw new Error(`cannot checkpoint ${name}: dtype ${tensor.dtype}`);
    const data = (await tensor.data()) as Float32Array | Int32Array;
    manifest.push({ name, shape: tensor.shape, dtype: tensor.dtype });
    parts.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  await writeFile(`${file}.bin`, Buffer.concat(parts));
  await writeFile(`${file}.json`, JSON.stringify(manifest));
}

async function readTensors(file: string): Promise<NamedTensor[]> {
  const manifest = JSON.parse(await readFile(`${file}.json`, 'utf8')) as Manifest[];
  const bin = await readFile(`${file}.bin`);
  const out: NamedTensor[] = [];
  let offset = 0;
  for (const m of manifest) {
    const n = m.shape.reduce((a, d) => a * d, 1);
    const bytes = bin.buffer.slice(bin.byteOffset + offset, bin.byteOffset + offset + n * 4);
    out.push({ name: m.name, tensor: tf.tensor(m.dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes), m.shape, m.dtype) });
    offset += n * 4;
  }
  if (offset !== bin.byteLength) throw new Error(`${file}.bin holds ${bin.byteLength} bytes, its manifest ${offset}`);
  return out;
}

const named = (ts: readonly tf.Tensor[]) => ts.map((tensor, i) => ({ name: String(i), tensor }));

/** Writes the checkpoint into a temporary folder and renames it over the previous one: a crash leaves one whole. */
export async function saveCheckpoint(outDir: string, c: Checkpoint): Promise<void> {
  const dir = checkpointDir(outDir);
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await writeTensors(path.join(tmp, 'weights'), named(c.weights));
  await writeTensors(path.join(tmp, 'best'), named(c.bestWeights));
  await writeTensors(path.join(tmp, 'optimizer'), c.optimizer);
  await writeFile(path.join(tmp, 'state.json'), `${JSON.stringify(c.state, null, 2)}\n`);
  const old = `${dir}.old-${process.pid}`;
  if (existsSync(dir)) await rename(dir, old);
  await rename(tmp, dir);
  await rm(old, { recursive: true, force: true });
}

/** The checkpoint of outDir, or null when there is none; one written with other params is a ModelError. */
export async function loadCheckpoint(outDir: string, key: string): Promise<Checkpoint | null> {
  const dir = checkpointDir(outDir);
  if (!existsSync(path.join(dir, 'state.json'))) return null;
  let state: LoopState;
  try {
    state = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8')) as LoopState;
  } catch (cause) {
    throw new ModelError('checkpoint_invalid', `cannot read the checkpoint in ${dir}`, `delete ${dir} and train without --resume`, { cause });
  }
  if (state.key !== key) {
    throw new ModelError('checkpoint_invalid', `the checkpoint in ${dir} was written with other params or data`, `train with the same params, --set values and data version, or delete ${dir} to start over`);
  }
  const read: NamedTensor[][] = [];
  try {
    for (const part of ['weights', 'best', 'optimizer']) read.push(await readTensors(path.join(dir, part)));
    const [weights, best, optimizer] = read as [NamedTensor[], NamedTensor[], NamedTensor[]];
    return { state, weights: weights.map((w) => w.tensor), bestWeights: best.map((w) => w.tensor), optimizer };
  } catch (cause) {
    tf.dispose(read.flat().map((n) => n.tensor));
    throw new ModelError('checkpoint_invalid', `the checkpoint in ${dir} is damaged: ${cause instanceof Error ? cause.message : String(cause)}`, `delete ${dir} and train without --resume`, { cause });
  }
}

export async function removeCheckpoint(outDir: string): Promise<void> {
  await rm(checkpointDir(outDir), { recursive: true, force: true });
}
