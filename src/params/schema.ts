import { z } from 'zod';
import { gateSchema, pipelineSchema, searchSchema } from './pipeline.js';

/**
 * The schema of params.yaml: sections data/model/train/evaluate belong to training; other top-level
 * sections (gate, pipeline, notify...) pass through untouched so their owners can add them. Unknown keys
 * INSIDE a known section are errors: a typo such as `train.epoch` must not silently fall back to a default.
 * Every key has a default, documented in docs/training.md.
 */
const BACKENDS = ['auto', 'tensorflow', 'native-cpu', 'wasm', 'webgpu', 'cpu'] as const;
const INITS = ['champion', 'pretrained', 'scratch'] as const;
const LR_SCHEDULES = ['constant', 'cosine'] as const;
/** How the decision threshold is chosen on validation (src/training/calibration.ts). */
export const THRESHOLD_RULES = ['balanced_accuracy', 'min_sensitivity'] as const;
export type ThresholdRule = (typeof THRESHOLD_RULES)[number];

const posInt = (d: number) => z.int({ error: 'must be a positive integer' }).positive({ error: 'must be a positive integer' }).default(d);
const nonNegInt = (d: number) => z.int({ error: 'must be an integer >= 0' }).nonnegative({ error: 'must be an integer >= 0' }).default(d);
const fraction = (d: number, min: number, max: number) =>
  z.number({ error: `must be a number between ${min} and ${max}` }).min(min, { error: `must be between ${min} and ${max}` }).max(max, { error: `must be between ${min} and ${max}` }).default(d);

export const dataSchema = z.strictObject({
  /** Kaggle-layout root: {train,val,test}/{NORMAL,PNEUMONIA}/*.jpeg */
  dir: z.string({ error: 'must be a path' }).min(1).default('data/chest_xray'),
  train_split: z.string().min(1).default('train'),
  val_split: z.string().min(1).default('val'),
  test_split: z.string().min(1).default('test'),
  /** Fraction of train carved (stratified, seeded) into validation when val is absent or tiny. */
  val_fraction: fraction(0.1, 0.01, 0.5),
  /** A val split with fewer images than this in some class counts as tiny (Kaggle's has 8 per class). */
  min_val_per_class: nonNegInt(25),
  /** Use this stratified fraction of train (the seed's demo uses 0.1). */
  fraction: fraction(1, 0.001, 1),
});

export const modelSchema = z.strictObject({
  input_size: z.int({ error: 'must be an integer >= 16' }).min(16, { error: 'must be an integer >= 16' }).default(224),
  /** Channels of the first stage; torchvision's ResNet18 is 64 (stages 64/128/256/512). */
  width: posInt(64),
  /** A model folder of ours (every layer) or a converted TF.js backbone (all but the head), matched by layer name. */
  pretrained: z.string().min(1).nullable().default(null),
  /** Train only the head for this many epochs, then unfreeze the backbone. */
  freeze_backbone_epochs: nonNegInt(0),
  /**
   * Where the weights start: `champion` = the deployed model (its whole network; the caller resolves it; before
   * there is one, model.pretrained when set, else scratch), `pretrained` = model.pretrained, `scratch`.
   */
  init: z.enum(INITS, { error: `must be one of ${INITS.join(', ')}` }).default('champion'),
});

export const augmentSchema = z.strictObject({
  enabled: z.boolean({ error: 'must be true or false' }).default(false),
  rotation_deg: fraction(5, 0, 45),
  shift: fraction(0.05, 0, 0.3),
  zoom: fraction(0.05, 0, 0.3),
  horizontal_flip: z.boolean({ error: 'must be true or false' }).default(false),
  /** Contrast factor 1 +- contrast around the image's mean, and brightness +- this fraction of the pixel range. */
  contrast: fraction(0, 0, 0.5),
  brightness: fraction(0, 0, 0.5),
});

export const trainSchema = z.strictObject({
  epochs: posInt(1),
  /** Effective batch; reached by gradient accumulation over micro-batches. */
  batch_size: posInt(64),
  /** 'auto' = recommendedMicroBatch(backend, input_size). Must divide into batch_size steps (rounded up). */
  micro_batch: z.union([z.literal('auto'), z.int().positive({ error: 'must be "auto" or a positive integer' })], { error: 'must be "auto" or a positive integer' }).default('auto'),
  learning_rate: z.number({ error: 'must be a positive number' }).positive({ error: 'must be a positive number' }).default(0.001),
  /** `cosine` decays the rate to 0 over the run (after the warm-up); `constant` keeps it. */
  lr_schedule: z.enum(LR_SCHEDULES, { error: `must be one of ${LR_SCHEDULES.join(', ')}` }).default('constant'),
  /** Linear warm-up from 0 over this many epochs (fractions allowed). */
  warmup_epochs: z.number({ error: 'must be a number >= 0' }).nonnegative({ error: 'must be a number >= 0' }).default(0),
  class_weight: z.enum(['balanced', 'none'], { error: 'must be "balanced" or "none"' }).default('balanced'),
  augment: augmentSchema.prefault({}),
  seed: z.int({ error: 'must be an integer' }).default(42),
  /** Stop after this many epochs without a better val AUC; 0 = never stop early. */
  early_stopping_patience: nonNegInt(3),
  backend: z.enum(BACKENDS, { error: `must be one of ${BACKENDS.join(', ')}` }).default('auto'),
  /** Training images whose BatchNorm statistics replace the moving averages after each epoch ("precise BN"); 0 = off. */
  bn_recalibration_images: nonNegInt(256),
  /** Batches decoded ahead of the one being trained on (bounds memory). */
  prefetch: posInt(2),
});

export const evaluateSchema = z.strictObject({
  /** `auto` = chosen on the validation split by `threshold_rule` after training; a number = fixed. */
  threshold: z
    .union([z.literal('auto'), z.number().min(0, { error: 'must be "auto" or between 0 and 1' }).max(1, { error: 'must be "auto" or between 0 and 1' })], { error: 'must be "auto" or a number between 0 and 1' })
    .default('auto'),
  threshold_rule: z.enum(THRESHOLD_RULES, { error: `must be one of ${THRESHOLD_RULES.join(', ')}` }).default('balanced_accuracy'),
  /** For threshold_rule min_sensitivity: the sensitivity the threshold must keep on validation. */
  min_sensitivity: fraction(0.95, 0.5, 1),
  batch_size: posInt(16),
});

export const paramsSchema = z.looseObject({
  data: dataSchema.prefault({}),
  model: modelSchema.prefault({}),
  train: trainSchema.prefault({}),
  evaluate: evaluateSchema.prefault({}),
  gate: gateSchema.prefault({}),
  pipeline: pipelineSchema.prefault({}),
  search: searchSchema.prefault({}),
});

export type Params = z.output<typeof paramsSchema>;
export type DataParams = Params['data'];
export type ModelParams = Params['model'];
export type TrainParams = Params['train'];
export type EvaluateParams = Params['evaluate'];
