/**
 * Recurrent zoo models with seeded random weights (the S presets' shapes and small variants), and
 * feature-like inputs for them, for the fold, simulator and C parity tests.
 */
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_FEATURE_CONFIG, type FeatureConfig, featureGeometry } from '../../../src/features/config.js';
import { buildModel } from '../../../src/models/build/index.js';
import { loadPreset, presetFeatureConfig } from '../../../src/models/presets.js';
import type { ModelDescription } from '../../../src/quant/fold.js';
import type { RecurrentArchitecture } from '../../../src/quant/recurrent/ir.js';
import { Random } from '../../../src/random.js';

export const LABELS = ['_silence_', '_unknown_', 'yes', 'no', 'up', 'down'];

/** 12 frames × 6 coefficients. */
export const SMALL_FEATURES: FeatureConfig = {
  ...DEFAULT_FEATURE_CONFIG,
  clipDurationMs: 500,
  windowStrideMs: 40,
  dctCoefficientCount: 6,
};

export interface RecurrentCase {
  /** Preset name, or `small <architecture>`. */
  name: string;
  architecture: RecurrentArchitecture;
  modelSizeInfo: number[];
  feature: FeatureConfig;
}

export const S_PRESETS = ['basic_lstm_s', 'lstm_s', 'gru_s', 'crnn_s'] as const;

export function presetCase(name: (typeof S_PRESETS)[number]): RecurrentCase {
  const preset = loadPreset(name);
  return {
    name,
    architecture: preset.architecture as RecurrentArchitecture,
    modelSizeInfo: preset.modelSizeInfo,
    feature: presetFeatureConfig(preset),
  };
}

/** Small variants: a basic LSTM, a projection LSTM, a two-layer GRU, a CRNN with one and with two GRUs. */
export const SMALL_CASES: RecurrentCase[] = [
  { name: 'small basic_lstm', architecture: 'basic_lstm', modelSizeInfo: [9], feature: SMALL_FEATURES },
  { name: 'small lstm', architecture: 'lstm', modelSizeInfo: [5, 7], feature: SMALL_FEATURES },
  { name: 'small gru', architecture: 'gru', modelSizeInfo: [2, 7], feature: SMALL_FEATURES },
  { name: 'small crnn', architecture: 'crnn', modelSizeInfo: [4, 3, 2, 2, 2, 1, 6, 5], feature: SMALL_FEATURES },
  {
    name: 'small crnn, 2 GRUs',
    architecture: 'crnn',
    modelSizeInfo: [3, 4, 3, 1, 1, 2, 5, 6],
    feature: SMALL_FEATURES,
  },
];

export function describe(c: RecurrentCase): ModelDescription {
  return { architecture: c.architecture, feature: c.feature, labels: LABELS };
}

export function inputSize(c: RecurrentCase): number {
  const { frames, coefficients } = featureGeometry(c.feature);
  return frames * coefficients;
}

/**
 * The model with every weight uniform in ±`scale`/√fan-in-ish (kernels) and biases in ±0.5, so
 * gates are neither all saturated nor all near 0.5; peepholes in ±0.5.
 */
export function randomRecurrentModel(c: RecurrentCase, seed: number): tf.LayersModel {
  const { frames, coefficients } = featureGeometry(c.feature);
  const model = buildModel(
    { architecture: c.architecture, modelSizeInfo: c.modelSizeInfo, frames, coefficients, labelCount: LABELS.length },
    seed,
  );
  const random = new Random(seed);
  const weights = model.weights.map((variable) => {
    const shape = variable.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    const limit = shape.length >= 2 ? 2 / Math.sqrt(shape.slice(0, -1).reduce((a, b) => a * b, 1)) : 0.5;
    return tf.tensor(
      Float32Array.from({ length: size }, () => random.uniform(-limit, limit)),
      shape,
    );
  });
  model.setWeights(weights);
  weights.forEach((t) => t.dispose());
  return model;
}

/** Feature-like inputs: c0 large and negative as MFCCs have it, the others spread over about ±15. */
export function randomFeatures(c: RecurrentCase, count: number, seed: number): Float32Array {
  const { frames, coefficients } = featureGeometry(c.feature);
  const random = new Random(seed);
  const x = new Float32Array(count * frames * coefficients);
  for (let i = 0; i < x.length; i++) x[i] = i % coefficients === 0 ? -60 + random.normal() * 25 : random.normal() * 6;
  return x;
}

export function predict(model: tf.LayersModel, x: Float32Array): Float32Array {
  const size = model.inputs[0]!.shape[1]!;
  return tf.tidy(() =>
    Float32Array.from((model.predict(tf.tensor2d(x, [x.length / size, size])) as tf.Tensor).dataSync()),
  );
}
