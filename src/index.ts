/**
 * The kws library: every stage the CLI runs, callable from other programs and tests.
 * The CLI (src/cli) is a thin layer over these.
 */
export { KwsError, UsageError } from './errors.js';
export { decodeWav, readWav, loadClip, tryLoadClip, fitLength, resample, type DecodedWav } from './audio/wav.js';
export { encodeWav16 } from './audio/encode.js';
export {
  DEFAULT_FEATURE_CONFIG,
  featureGeometry,
  validateFeatureConfig,
  type FeatureConfig,
  type FeatureKind,
} from './features/config.js';
export { createFeatureExtractor, type FeatureExtractor } from './features/extractor.js';
export type { Engine } from './wasm/engine.js';
export { quantizeFeatures } from './features/quantize.js';
export { whichSet, percentageHash } from './data/split.js';
export { buildIndex, type DataConfig, type DatasetIndex } from './data/dataset-index.js';
export { createBatchSource, type BatchSource } from './data/batch-source.js';
export { loadEvaluationSet, type EvaluationSet } from './data/evaluation-set.js';
export { downloadDataset } from './data/download.js';
export { computeStats } from './data/stats.js';
export { generateSyntheticDataset } from './data/synthetic.js';
export { initBackend, type BackendInfo, type BackendPreference } from './backend/index.js';
export { ARCHITECTURE_NAMES, type Architecture, type ModelSpec } from './models/registry.js';
export { buildModel } from './models/build/index.js';
export { loadPreset, listPresets, type Preset } from './models/presets.js';
export { profileModel, type ModelProfile } from './models/profile.js';
export { saveModelDir, loadModelDir, loadModelFiles, type ModelSidecar } from './models/io.js';
export { train, type TrainOptions, type TrainEvent, type TrainResult } from './train/trainer.js';
export { loadRunConfig, type RunConfig } from './run/config.js';
export { RunDir, type CheckpointName } from './run/layout.js';
export { type QuantizedSource } from './run/provenance.js';
export { runBench } from './train/bench.js';
export { quantizeModel } from './quant/quantize.js';
export { quantizeTrainedRun } from './quant/run.js';
export { createSimulator } from './quant/simulate.js';
export { PROBABILITY_ONE, kwsSoftmax, softmaxExpTable } from './quant/softmax.js';
export { emitC } from './quant/emit-c.js';
export { loadQuantizedNetwork, openQuantizedNetwork } from './quant/store.js';
export { createIntegerClassifier, type IntegerClassifier } from './quant/integer-classifier.js';
export { computeMetrics, type Metrics } from './metrics.js';
export { openClassifier, type Classifier } from './eval/classifier.js';
export { evaluateRun, type Evaluation } from './eval/evaluate.js';
export { runDemo } from './demo/demo.js';
