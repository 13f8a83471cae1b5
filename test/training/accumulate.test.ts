import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { accumulatedStep, recalibrateBatchNorm } from '../../src/training/step.js';
import { useCpuBackend } from './helpers.js';

useCpuBackend();

/** A small conv net without BatchNorm, so one pass and accumulated passes compute the same gradient. */
function smallNet(): tfl.LayersModel {
  const input = tfl.input({ shape: [6, 6, 3] });
  let x = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.flatten().apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

const weightsOf = (m: tfl.LayersModel) => m.getWeights().flatMap((w) => Array.from(w.dataSync()));

describe('gradient accumulation', () => {
  it('gives the same update as one big batch (SGD, class-weighted, uneven micro-batches)', async () => {
    const n = 8;
    const x = Float32Array.from({ length: n * 6 * 6 * 3 }, (_, i) => Math.sin(i * 0.37));
    const labels = Int32Array.from([0, 1, 1, 0, 1, 1, 1, 0]);
    const classWeights = [1.33, 0.8] as const;
    const results: { loss: number; correct: number; weights: number[] }[] = [];
    for (const microBatch of [8, 3, 1]) {
      const model = smallNet();
      const opt = tf.train.sgd(0.5);
      const r = await accumulatedStep(model, opt, { x, labels, n }, { microBatch, size: 6, classWeights });
      results.push({ ...r, weights: weightsOf(model) });
      model.dispose();
      opt.dispose();
    }
    const [whole, ...accumulated] = results;
    const before = weightsOf(smallNet());
    // The update is not trivially zero...
    expect(Math.max(...(whole?.weights ?? []).map((w, i) => Math.abs(w - (before[i] as number))))).toBeGreaterThan(1e-3);
    for (const r of accumulated) {
      expect(r.loss).toBeCloseTo(whole?.loss ?? Number.NaN, 5);
      expect(r.correct).toBe(whole?.correct);
      r.weights.forEach((w, i) => expect(Math.abs(w - (whole?.weights[i] as number))).toBeLessThan(1e-5));
    }
  });
});

describe('BatchNorm recalibration', () => {
  it('sets moving statistics to the average of the batch statistics and restores momentum', async () => {
    const input = tfl.input({ shape: [2, 2, 1] });
    const bn = tfl.layers.batchNormalization({ momentum: 0.9, name: 'bn' });
    const model = tfl.model({ inputs: input, outputs: bn.apply(input) as tfl.SymbolicTensor });
    // Two batches of 2 images; batch means 2.5 and 10.5 -> averaged moving mean 6.5 (the initial 0 is forgotten).
    const b1 = Float32Array.from([1, 2, 3, 4, 1, 2, 3, 4]);
    const b2 = Float32Array.from([9, 10, 11, 12, 9, 10, 11, 12]);
    async function* batches() {
      yield { x: b1, labels: new Int32Array(2), n: 2 };
      yield { x: b2, labels: new Int32Array(2), n: 2 };
    }
    const images = await recalibrateBatchNorm(model, batches(), 2);
    expect(images).toBe(4);
    const [, , movingMean, movingVar] = bn.getWeights();
    expect(movingMean?.dataSync()[0]).toBeCloseTo(6.5, 5);
    // Each batch's variance is 1.25 (values 1..4 and 9..12); their average is 1.25.
    expect(movingVar?.dataSync()[0]).toBeCloseTo(1.25, 4);
    expect((bn as unknown as { momentum: number }).momentum).toBe(0.9);
    model.dispose();
  });
});
