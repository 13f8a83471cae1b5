import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * ResNet18 as torchvision builds it (He et al. 2015, `torchvision.models.resnet18`), in the tf.layers
 * functional API, NHWC. torchvision pads explicitly (conv1 pad 3, max-pool pad 1, 3x3 convs pad 1); TF's
 * 'same' pads asymmetrically for stride 2, which would shift every pretrained filter by a pixel, so every
 * strided layer gets an explicit symmetric ZeroPadding2D and runs 'valid'. (Zero padding before the max-pool
 * equals torchvision's -inf padding because it follows a ReLU.)
 *
 * Layer names are stable API (transfer learning matches them); they are torchvision's module paths with
 * '.' -> '_': conv1, bn1, layer1_0_conv1, layer1_0_bn1, layer1_0_conv2, layer1_0_bn2, layer2_0_downsample_conv,
 * layer2_0_downsample_bn, ..., fc; plus parameter-free helpers (*_pad, relu*, *_add, maxpool, avgpool, probs).
 */
export interface ResNetOptions {
  /** Square input side; 224 for the real thing. */
  inputSize: number;
  /** First-stage channels; 64 = torchvision (stages width, 2w, 4w, 8w). */
  width: number;
  numClasses?: number;
  /** Seeds every initialiser (layer i gets seed + i) so a run is reproducible. */
  seed?: number;
}

/** Layers that belong to the classifier head, not the backbone. */
export const HEAD_LAYERS = ['fc', 'probs'] as const;
/** torchvision's ResNet18 with a 512 -> 2 head counts 11,177,538 parameters (BN gamma/beta included, running stats not). */
export const TORCHVISION_RESNET18_2CLASS_PARAMS = 11_177_538;
export const BN_EPSILON = 1e-5; // torchvision's
export const BN_MOMENTUM = 0.9; // = 1 - torchvision's momentum 0.1

type ST = tfl.SymbolicTensor;

class Builder {
  private n = 0;
  constructor(private readonly seed: number) {}

  private init(kind: 'conv' | 'dense'): tf.serialization.Serializable & ReturnType<typeof tfl.initializers.heNormal> {
    const seed = this.seed + this.n++;
    // torchvision: kaiming_normal_(mode='fan_out', nonlinearity='relu') for convs.
    return kind === 'conv'
      ? tfl.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'normal', seed })
      : tfl.initializers.glorotUniform({ seed });
  }

  conv(x: ST, name: string, filters: number, kernel: number, stride: number, pad: number): ST {
    const padded = pad > 0 ? (tfl.layers.zeroPadding2d({ padding: pad, name: `${name}_pad` }).apply(x) as ST) : x;
    return tfl.layers
      .conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'valid', useBias: false, kernelInitializer: this.init('conv'), name })
      .apply(padded) as ST;
  }

  bn(x: ST, name: string): ST {
    return tfl.layers.batchNormalization({ axis: -1, epsilon: BN_EPSILON, momentum: BN_MOMENTUM, name }).apply(x) as ST;
  }

  relu(x: ST, name: string): ST {
    return tfl.layers.activation({ activation: 'relu', name }).apply(x) as ST;
  }

  basicBlock(x: ST, prefix: string, filters: number, stride: number): ST {
    let y = this.conv(x, `${prefix}_conv1`, filters, 3, stride, 1);
    y = this.relu(this.bn(y, `${prefix}_bn1`), `${prefix}_relu1`);
    y = this.bn(this.conv(y, `${prefix}_conv2`, filters, 3, 1, 1), `${prefix}_bn2`);
    const inChannels = x.shape[x.shape.length - 1];
    let shortcut = x;
    if (stride !== 1 || inChannels !== filters) {
      shortcut = this.bn(this.conv(x, `${prefix}_downsample_conv`, filters, 1, stride, 0), `${prefix}_downsample_bn`);
    }
    const sum = tfl.layers.add({ name: `${prefix}_add` }).apply([y, shortcut]) as ST;
    return this.relu(sum, `${prefix}_relu2`);
  }

  dense(x: ST, units: number, name: string): ST {
    return tfl.layers.dense({ units, kernelInitializer: this.init('dense'), biasInitializer: 'zeros', name }).apply(x) as ST;
  }
}

/** Builds the model; its output is softmax probabilities ('probs'), the logits are layer 'fc'. */
export function buildResNet18(o: ResNetOptions): tfl.LayersModel {
  const b = new Builder(o.seed ?? 42);
  const input = tfl.input({ shape: [o.inputSize, o.inputSize, 3], name: 'input' });
  let x = b.conv(input, 'conv1', o.width, 7, 2, 3);
  x = b.relu(b.bn(x, 'bn1'), 'relu');
  x = tfl.layers.zeroPadding2d({ padding: 1, name: 'maxpool_pad' }).apply(x) as ST;
  x = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'maxpool' }).apply(x) as ST;
  const widths = [o.width, o.width * 2, o.width * 4, o.width * 8];
  widths.forEach((filters, stage) => {
    for (let block = 0; block < 2; block++) {
      const stride = stage > 0 && block === 0 ? 2 : 1;
      x = b.basicBlock(x, `layer${stage + 1}_${block}`, filters, stride);
    }
  });
  x = tfl.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x) as ST;
  const logits = b.dense(x, o.numClasses ?? 2, 'fc');
  const probs = tfl.layers.activation({ activation: 'softmax', name: 'probs' }).apply(logits) as ST;
  return tfl.model({ inputs: input, outputs: probs, name: 'resnet18' });
}

/** A view of the same layers that outputs logits (the loss wants them; shares weights with `model`). */
export function logitsModel(model: tfl.LayersModel): tfl.LayersModel {
  const fc = model.getLayer('fc');
  return tfl.model({ inputs: model.inputs, outputs: fc.output as ST, name: `${model.name}_logits` });
}

/**
 * Parameters counted the way torchvision's `sum(p.numel() for p in model.parameters())` does: trainable
 * weights plus BN gamma/beta; BN moving mean/variance are buffers there, so they are excluded here too.
 */
export function countTorchParams(model: tfl.LayersModel): number {
  let total = 0;
  for (const layer of model.layers) {
    for (const w of layer.weights) {
      if (/moving_(mean|variance)/.test(w.originalName)) continue;
      total += w.shape.reduce((a: number, d) => a * (d ?? 1), 1);
    }
  }
  return total;
}
