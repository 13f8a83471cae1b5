import { CLASS_NAMES, type ClassName } from './dataset.js';
import { modelThreshold, type LoadedModel } from './model-io.js';
import { preprocessImage } from './preprocess.js';
import { predictProbabilities } from './step.js';

export interface Prediction {
  label: ClassName;
  /** Probability of `label`. */
  probability: number;
  probabilities: Record<ClassName, number>;
}

/** Decision at the model's calibrated threshold (metadata.threshold; see modelThreshold) on P(PNEUMONIA). */
function toPrediction(pPneumonia: number, threshold: number): Prediction {
  const label: ClassName = pPneumonia >= threshold ? 'PNEUMONIA' : 'NORMAL';
  const probabilities = { NORMAL: 1 - pPneumonia, PNEUMONIA: pPneumonia };
  return { label, probability: probabilities[label], probabilities };
}


/**
 * For input already preprocessed (HWC float32, ImageNet-normalised, batch * size * size * 3), e.g. a KServe
 * FP32 tensor. Throws RangeError when the length does not match.
 */
export async function predictTensor(loaded: LoadedModel, input: Float32Array, batch: number): Promise<Prediction[]> {
  const size = loaded.metadata.input_size;
  if (input.length !== batch * size * size * 3) {
    throw new RangeError(`expected ${batch} x ${size} x ${size} x 3 = ${batch * size * size * 3} floats, got ${input.length}`);
  }
  const probs = await predictProbabilities(loaded.model, input, batch, Math.max(1, Math.min(batch, 16)));
  return Array.from(probs, (p) => toPrediction(p, modelThreshold(loaded.metadata)));
}

/** Decodes and classifies images (throws ImageDecodeError for a corrupt or unsupported one). */
export async function predict(loaded: LoadedModel, images: readonly Buffer[]): Promise<Prediction[]> {
  const size = loaded.metadata.input_size;
  const per = size * size * 3;
  const x = new Float32Array(images.length * per);
  const decoded = await Promise.all(images.map((b) => preprocessImage(b, size)));
  decoded.forEach((img, i) => x.set(img, i * per));
  return predictTensor(loaded, x, images.length);
}

export { CLASS_NAMES };
