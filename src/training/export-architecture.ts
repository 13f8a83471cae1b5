// Entry point: writes an untrained ResNet18 as a TF.js LayersModel folder (model.json + weights.bin), the
// skeleton that docs/training.md's Python snippet fills with torchvision's ImageNet weights.
// Usage: npx tsx src/training/export-architecture.ts OUT_DIR [input_size=224] [width=64]
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { saveLayersModel } from './model-io.js';
import { buildResNet18 } from './resnet.js';

const [out, size = '224', width = '64'] = process.argv.slice(2);
if (!out) {
  process.stderr.write('usage: npx tsx src/training/export-architecture.ts OUT_DIR [input_size=224] [width=64]\n');
  process.exitCode = 2;
} else {
  await tf.setBackend('cpu');
  await saveLayersModel(buildResNet18({ inputSize: Number(size), width: Number(width) }), out);
  process.stdout.write(`wrote ${out}/model.json and weights.bin\n`);
}
