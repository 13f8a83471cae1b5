import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

export interface StepBatch {
  x: Float32Array;
  labels: Int32Array;
  n: number;
}

export interface StepOptions {
  /** Images per forward/backward pass; the batch is split into ceil(n / microBatch) passes. */
  microBatch: number;
  size: number;
  /** Loss weight per class (index 0 NORMAL, 1 PNEUMONIA); [1, 1] = unweighted. */
  classWeights: readonly [number, number];
}

export interface StepResult {
  /** Class-weighted mean cross-entropy over the whole batch. */
  loss: number;
  correct: number;
}

function trainableVariables(model: tfl.LayersModel): tf.Variable[] {
  // LayerVariable.read() returns the backing tf.Variable (typed as Tensor by tfjs-layers).
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * One optimizer update for a batch of any size, by gradient accumulation: each micro-batch contributes
 * sum(w_y * CE) / n, so the summed gradients equal those of the whole batch in one pass (exactly, up to float
 * rounding, for layers without batch statistics; BatchNorm normalises per micro-batch, as in any accumulation).
 * `logits` must output logits (see resnet.logitsModel). Memory is bounded by one micro-batch plus one gradient set.
 */
export async function accumulatedStep(logits: tfl.LayersModel, optimizer: tf.Optimizer, batch: StepBatch, o: StepOptions): Promise<StepResult> {
  const vars = trainableVariables(logits);
  const inShape = logits.inputs[0]?.shape.slice(1) as number[];
  const per = inShape.reduce((a, d) => a * d, 1);
  let acc: tf.NamedTensorMap | null = null;
  let loss = 0;
  let correct = 0;
  for (let start = 0; start < batch.n; start += o.microBatch) {
    const end = Math.min(batch.n, start + o.microBatch);
    const m = end - start;
    const labels = batch.labels.subarray(start, end);
    const xs = tf.tensor(batch.x.subarray(start * per, end * per), [m, ...inShape]);
    const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 2));
    const ws = tf.tensor1d(Array.from(labels, (l) => o.classWeights[l] as number));
    let predicted: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const out = logits.apply(xs, { training: true }) as tf.Tensor;
      predicted = tf.keep(tf.argMax(out, 1));
      const ce = tf.losses.softmaxCrossEntropy(ys, out, undefined, undefined, tf.Reduction.NONE);
      return tf.div(tf.sum(tf.mul(ce, ws)), batch.n) as tf.Scalar;
    }, vars);
    // Async reads: webgpu in Node cannot read synchronously.
    loss += (await value.data())[0] as number;
    const pred = (await predicted?.data()) ?? new Int32Array(0);
    pred.forEach((p, i) => (correct += p === labels[i] ? 1 : 0));
    tf.dispose([xs, ys, ws, value, predicted as tf.Tensor]);
    if (acc === null) acc = grads;
    else {
      for (const [name, g] of Object.entries(grads)) {
        const prev = acc[name] as tf.Tensor;
        acc[name] = tf.add(prev, g);
        tf.dispose([prev, g]);
      }
    }
  }
  if (acc !== null) {
    optimizer.applyGradients(acc);
    tf.dispose(Object.values(acc));
  }
  return { loss, correct };
}

/** P(PNEUMONIA) for preprocessed images, in chunks of `batchSize` (inference mode). */
export async function predictProbabilities(model: tfl.LayersModel, x: Float32Array, n: number, batchSize: number): Promise<Float32Array> {
  const inShape = model.inputs[0]?.shape.slice(1) as number[];
  const per = inShape.reduce((a, d) => a * d, 1);
  const out = new Float32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const probs = tf.tidy(() => {
      const xs = tf.tensor(x.subarray(start * per, end * per), [end - start, ...inShape]);
      return tf.slice(model.predict(xs) as tf.Tensor, [0, 1], [end - start, 1]);
    });
    out.set(await probs.data(), start);
    probs.dispose();
  }
  return out;
}

interface BatchNormLike {
  momentum: number;
}
const isBatchNorm = (l: tfl.layers.Layer): boolean => l.getClassName() === 'BatchNormalization';

/**
 * "Precise BN" (Wu & Johnson 2021, pycls): replaces every BatchNorm's moving mean/variance by the average of
 * batch statistics over `batches` (training-mode forward passes, no gradient). With momentum 0.9 the moving
 * statistics of a short run (the demo's 12 steps) still lean on their initial 0/1 and the model predicts one
 * class at inference; training itself uses batch statistics, so this changes nothing else.
 */
export async function recalibrateBatchNorm(logits: tfl.LayersModel, batches: AsyncIterable<StepBatch>, microBatch: number): Promise<number> {
  const bns = logits.layers.filter(isBatchNorm) as unknown as BatchNormLike[];
  const saved = bns.map((b) => b.momentum);
  const inShape = logits.inputs[0]?.shape.slice(1) as number[];
  const per = inShape.reduce((a, d) => a * d, 1);
  let k = 0;
  let images = 0;
  try {
    for await (const batch of batches) {
      for (let start = 0; start < batch.n; start += microBatch) {
        const end = Math.min(batch.n, start + microBatch);
        k++;
        // Momentum (k-1)/k makes the moving statistic the running mean of the k batch statistics seen so far.
        for (const b of bns) b.momentum = (k - 1) / k;
        const y = tf.tidy(() => logits.apply(tf.tensor(batch.x.subarray(start * per, end * per), [end - start, ...inShape]), { training: true }) as tf.Tensor);
        await y.data();
        y.dispose();
        images += end - start;
      }
    }
  } finally {
    bns.forEach((b, i) => (b.momentum = saved[i] as number));
  }
  return images;
}
