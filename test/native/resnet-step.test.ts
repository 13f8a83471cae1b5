import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { buildResNet18, logitsModel } from '../../src/training/resnet.js';
import { expectClose, native, randTensor, rng } from './harness.js';

interface StepResult { loss: number; grads: Map<string, Float32Array> }

// One training-mode forward/backward of the real ResNet18 graph (tiny width and input), on a backend.
async function step(backend: string, model: tfl.LayersModel, x: Float32Array, labels: number[]): Promise<StepResult> {
  await tf.setBackend(backend);
  const logits = logitsModel(model);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const res = tf.tidy(() => {
    const xt = tf.tensor4d(x, [labels.length, 32, 32, 3]);
    const yt = tf.oneHot(tf.tensor1d(labels, 'int32'), 2);
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(yt, logits.apply(xt, { training: true }) as tf.Tensor) as tf.Scalar,
      vars,
    );
    return { value, grads };
  });
  const out = { loss: res.value.dataSync()[0]!, grads: new Map<string, Float32Array>() };
  for (const [name, g] of Object.entries(res.grads)) out.grads.set(name, Float32Array.from(g.dataSync()));
  tf.dispose([res.value, ...Object.values(res.grads)]);
  return out;
}

describe.skipIf(!native.ok)('a full ResNet18 training step on native-cpu', () => {
  it('matches the cpu backend: same loss, same gradient for every weight', async () => {
    await tf.setBackend('cpu');
    const model = buildResNet18({ inputSize: 32, width: 4, numClasses: 2, seed: 3 });
    const x = randTensor(rng(1), [3, 32, 32, 3], 2).data;
    const labels = [0, 1, 1];
    const want = await step('cpu', model, x, labels);
    let got: StepResult | undefined;
    const profile = await tf.profile(async () => {
      got = await step('native-cpu', model, x, labels);
    });
    if (!got) throw new Error('native step did not run');
    // The closed-form batch-norm backward and one-pass ReLU backward were used, not TF.js's composites.
    const kernels = new Set(profile.kernels.map((k) => k.name));
    expect(kernels).toContain('NativeBatchNormGrad');
    expect(kernels).toContain('NativeReluGrad');
    expect(kernels).toContain('NativeMoments');
    expect(kernels).not.toContain('SquaredDifference');
    expect(kernels).not.toContain('NativeMomentsGrad'); // statistics' gradients were known zeros
    expect(Number.isFinite(want.loss)).toBe(true);
    expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-4 * Math.max(1, Math.abs(want.loss)));
    expect([...got.grads.keys()].sort()).toEqual([...want.grads.keys()].sort());
    for (const [name, g] of want.grads) expectClose(got.grads.get(name)!, g, 2e-3, name);
    model.dispose();
  });

  it('leaks no tensors across training steps (with Adam)', async () => {
    await tf.setBackend('native-cpu');
    const model = buildResNet18({ inputSize: 32, width: 4, numClasses: 2, seed: 5 });
    const logits = logitsModel(model);
    const opt = tf.train.adam(1e-3);
    const x = tf.tensor4d(randTensor(rng(2), [2, 32, 32, 3]).data, [2, 32, 32, 3]);
    const y = tf.oneHot(tf.tensor1d([0, 1], 'int32'), 2);
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, logits.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true);
      if (loss) loss.dispose();
      counts.push(tf.memory().numTensors);
    }
    expect(counts[2]).toBe(counts[1]);
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
  });
});
