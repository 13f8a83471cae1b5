// Test helper: a ResNet18-shaped miniature (every layer kind ResNet18 training uses, tiny sizes).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

function convBn(x: tfl.SymbolicTensor, filters: number, kernel: number, stride: number, name: string): tfl.SymbolicTensor {
  const conv = tfl.layers
    .conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'same', useBias: false, name: `${name}_conv`, kernelInitializer: tfl.initializers.heNormal({ seed: 7 }) })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.layers.batchNormalization({ name: `${name}_bn` }).apply(conv) as tfl.SymbolicTensor;
}

function relu(x: tfl.SymbolicTensor): tfl.SymbolicTensor {
  return tfl.layers.activation({ activation: 'relu' }).apply(x) as tfl.SymbolicTensor;
}

function block(x: tfl.SymbolicTensor, filters: number, stride: number, name: string): tfl.SymbolicTensor {
  const a = relu(convBn(x, filters, 3, stride, `${name}_a`));
  const b = convBn(a, filters, 3, 1, `${name}_b`);
  const shortcut = stride === 1 ? x : convBn(x, filters, 1, stride, `${name}_proj`);
  return relu(tfl.layers.add().apply([b, shortcut]) as tfl.SymbolicTensor);
}

/** conv 7x7/2, BN, ReLU, max-pool 3x3/2, an identity block, a 1x1/2-projection block, GAP, dense. */
export function tinyResnet(size: number, width = 8): tfl.LayersModel {
  const input = tfl.input({ shape: [size, size, 3] });
  let x = relu(convBn(input, width, 7, 2, 'stem'));
  x = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) as tfl.SymbolicTensor;
  x = block(x, width, 1, 'b1');
  x = block(x, width * 2, 2, 'b2');
  x = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ units: 2, name: 'head', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits });
}

export interface StepResult {
  loss: number;
  lossAfter: number;
  grads: Record<string, Float32Array>;
}

/**
 * One Adam step with softmax cross-entropy, in training mode (batch statistics in BN). Reads
 * results asynchronously: webgpu in Node cannot read GPU buffers synchronously.
 */
export async function trainingStep(model: tfl.LayersModel, x: tf.Tensor4D, labels: tf.Tensor2D): Promise<StepResult> {
  const optimizer = tf.train.adam(0.01);
  const lossFn = () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
  const { value, grads } = tf.variableGrads(lossFn);
  const out: Record<string, Float32Array> = {};
  // Variable names get a _N suffix per model built in the process; compare by layer/weight name.
  for (const [name, g] of Object.entries(grads)) out[name.replace(/_\d+$/, '')] = (await g.data()) as Float32Array;
  const loss = (await value.data())[0] as number;
  optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
  tf.dispose([value, ...Object.values(grads)]);
  const after = tf.tidy(lossFn);
  const lossAfter = (await after.data())[0] as number;
  after.dispose();
  optimizer.dispose();
  return { loss, lossAfter, grads: out };
}
