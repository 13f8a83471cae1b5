import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { buildResNet18, countTorchParams, logitsModel, TORCHVISION_RESNET18_2CLASS_PARAMS } from '../../src/training/resnet.js';
import { useCpuBackend } from './helpers.js';

useCpuBackend();

const shapeOf = (m: tfl.LayersModel, name: string) => (m.getLayer(name).output as tfl.SymbolicTensor).shape;

describe('ResNet18', () => {
  it('has exactly torchvision resnet18(num_classes=2)\'s 11,177,538 parameters at the default size', () => {
    const model = buildResNet18({ inputSize: 224, width: 64 });
    try {
      expect(countTorchParams(model)).toBe(TORCHVISION_RESNET18_2CLASS_PARAMS);
      expect(TORCHVISION_RESNET18_2CLASS_PARAMS).toBe(11_177_538);
      // Like torchvision, convolutions have no bias (BN follows each one).
      const convBiases = model.weights.filter((w) => /conv\d?\/bias|downsample_conv\/bias/.test(w.originalName));
      expect(convBiases).toHaveLength(0);
      expect(shapeOf(model, 'conv1')).toEqual([null, 112, 112, 64]);
      expect(shapeOf(model, 'maxpool')).toEqual([null, 56, 56, 64]);
      expect(shapeOf(model, 'layer4_1_relu2')).toEqual([null, 7, 7, 512]);
      expect(model.outputs[0]?.shape).toEqual([null, 2]);
    } finally {
      model.dispose();
    }
  });

  it('names layers after torchvision\'s modules and projects only where shapes change', () => {
    const model = buildResNet18({ inputSize: 32, width: 8 });
    try {
      const names = model.layers.filter((l) => l.weights.length > 0).map((l) => l.name);
      expect(names.slice(0, 4)).toEqual(['conv1', 'bn1', 'layer1_0_conv1', 'layer1_0_bn1']);
      expect(names).toContain('layer2_0_downsample_conv');
      expect(names).toContain('layer4_0_downsample_bn');
      expect(names).not.toContain('layer1_0_downsample_conv');
      expect(names.at(-1)).toBe('fc');
      expect(names.filter((n) => n.endsWith('downsample_conv'))).toHaveLength(3);
      expect(shapeOf(model, 'layer4_1_relu2')).toEqual([null, 1, 1, 64]);
      expect(logitsModel(model).outputs[0]?.shape).toEqual([null, 2]);
    } finally {
      model.dispose();
    }
  });

  it('pads like torchvision: conv1 pad 3 stride 2 samples input pixel (2i, 2j) at the centre tap', () => {
    const model = buildResNet18({ inputSize: 32, width: 8 });
    try {
      const conv1 = model.getLayer('conv1');
      const kernel = new Float32Array(7 * 7 * 3 * 8);
      kernel[((3 * 7 + 3) * 3 + 0) * 8 + 0] = 1; // HWIO: tap (3,3), in 0 -> out 0
      conv1.setWeights([tf.tensor4d(kernel, [7, 7, 3, 8])]);
      const probe = tfl.model({ inputs: model.inputs, outputs: conv1.output as tfl.SymbolicTensor });
      const x = tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 7);
      const y = probe.predict(x) as tf.Tensor;
      const got = y.arraySync() as number[][][][];
      const input = x.arraySync() as number[][][][];
      // TF's 'same' would pad 2 before / 3 after and sample (2i + 1, 2j + 1) instead.
      for (const [i, j] of [[0, 0], [5, 9], [15, 15]] as const) {
        expect(got[0]?.[i]?.[j]?.[0]).toBeCloseTo(input[0]?.[2 * i]?.[2 * j]?.[0] ?? Number.NaN, 6);
      }
      tf.dispose([x, y]);
    } finally {
      model.dispose();
    }
  });

  it('is reproducible from its seed', () => {
    const a = buildResNet18({ inputSize: 32, width: 4, seed: 3 });
    const b = buildResNet18({ inputSize: 32, width: 4, seed: 3 });
    const c = buildResNet18({ inputSize: 32, width: 4, seed: 4 });
    const first = (m: tfl.LayersModel) => Array.from(m.getLayer('layer3_1_conv2').getWeights()[0]?.dataSync() ?? []);
    expect(first(a)).toEqual(first(b));
    expect(first(a)).not.toEqual(first(c));
    [a, b, c].forEach((m) => m.dispose());
  });
});
