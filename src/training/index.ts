// The public entry of the training library: other src/ folders (operators, serve, registry) import from here
// only. The pipeline runs training itself as a child process (`dagctl train`, JSON lines on stdout).
export { train, classWeights, type TrainOptions, type TrainProgress, type TrainResult } from './train.js';
export { evaluate, evaluateSamples, testSetHash, type EvaluateOptions, type EvaluationPrediction, type EvaluationResult } from './evaluate.js';
export { predict, predictTensor, type Prediction } from './predict.js';
export { loadModel, saveModel, loadLayersModel, saveLayersModel, modelThreshold, type LoadedModel, type ModelMetadata } from './model-io.js';
export { calibrate, chooseThreshold, crossFittedMetrics, reliability, type Calibration, type ThresholdChoice, type CrossFitted } from './calibration.js';
export { checkpointDir } from './checkpoint.js';
export { quantizeFloat16, writeFloat16Copy, float16Bits } from './float16.js';
export { probeImage, preprocessImage, IMAGENET_MEAN, IMAGENET_STD, SUPPORTED_FORMATS, MAX_PIXELS, type ImageFormat, type ImageProbe } from './preprocess.js';
export { computeMetrics, flatMetrics, rocAuc, rocCurve, confusionMatrix, mcnemar, type Metrics, type RocPoint, type McNemarResult } from './metrics.js';
export { buildResNet18, logitsModel, countTorchParams, HEAD_LAYERS, type ResNetOptions } from './resnet.js';
export { CLASS_NAMES, loadKaggleData, scanClassFolder, resolveSplitDir, type ClassName, type Label, type SkippedFile, type ClassCounts } from './dataset.js';
export { ImageDecodeError, DataError, ModelError, TrainingAbortedError, type ImageDecodeCode, type DataErrorCode, type ModelErrorCode } from './errors.js';
export { initBackend, releaseBackend, recommendedMicroBatch, BACKEND_NAMES, type BackendInfo, type BackendName } from './backends/index.js';
