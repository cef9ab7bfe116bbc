/**
 * Small tfjs models of the zoo with every weight — batch-norm statistics included — set to
 * seeded random values, and matching random features, for the fold and quantisation tests.
 */
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_FEATURE_CONFIG, type FeatureConfig, featureGeometry } from '../../src/features/config.js';
import { buildModel } from '../../src/models/build/index.js';
import type { Architecture } from '../../src/models/spec.js';
import type { ModelDescription } from '../../src/quant/fold.js';
import { Random } from '../../src/random.js';

/** 12 frames × 6 coefficients. */
export const SMALL_FEATURES: FeatureConfig = {
  ...DEFAULT_FEATURE_CONFIG,
  clipDurationMs: 500,
  windowStrideMs: 40,
  dctCoefficientCount: 6,
};

export const SMALL_SIZE_INFO: Record<'dnn' | 'cnn' | 'ds_cnn', number[]> = {
  dnn: [20, 16],
  cnn: [6, 4, 3, 1, 1, 5, 3, 2, 2, 1, 10, 12],
  ds_cnn: [3, 8, 4, 3, 2, 2, 8, 3, 3, 1, 1, 6, 3, 3, 1, 1],
};

export const LABELS = ['_silence_', '_unknown_', 'yes', 'no'];

export function description(architecture: string): ModelDescription {
  return { architecture, feature: SMALL_FEATURES, labels: LABELS };
}

/** Weights uniform in ±0.5; batch-norm variances in [0.2, 2], γ around 1, means and β around 0. */
export function randomizedModel(architecture: Architecture, modelSizeInfo: number[], seed: number): tf.LayersModel {
  const { frames, coefficients } = featureGeometry(SMALL_FEATURES);
  const model = buildModel({ architecture, modelSizeInfo, frames, coefficients, labelCount: LABELS.length }, seed);
  const random = new Random(seed);
  const weights = model.weights.map((variable) => {
    const shape = variable.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    const kind = variable.name.split('/').pop()!.replace(/_\d+$/, '');
    const data = Float32Array.from({ length: size }, () => {
      if (kind === 'moving_variance') return random.uniform(0.2, 2);
      if (kind === 'gamma') return random.uniform(0.5, 1.5);
      if (kind === 'moving_mean' || kind === 'beta') return random.uniform(-0.3, 0.3);
      return random.uniform(-0.5, 0.5);
    });
    return tf.tensor(data, shape);
  });
  model.setWeights(weights);
  weights.forEach((t) => t.dispose());
  return model;
}

/** Feature-like inputs: values spread over roughly ±20 like MFCCs, frame-major. */
export function randomFeatures(count: number, seed: number): Float32Array {
  const { frames, coefficients } = featureGeometry(SMALL_FEATURES);
  const random = new Random(seed);
  return Float32Array.from({ length: count * frames * coefficients }, () => random.normal() * 6);
}

export function predict(model: tf.LayersModel, x: Float32Array): Float32Array {
  const inputSize = model.inputs[0]!.shape[1]!;
  const input = tf.tensor2d(x, [x.length / inputSize, inputSize]);
  const output = model.predict(input) as tf.Tensor;
  const data = Float32Array.from(output.dataSync());
  input.dispose();
  output.dispose();
  return data;
}
