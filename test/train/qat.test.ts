/**
 * Quantisation-aware training's arithmetic: its fake-quantised forward pass gives the integer
 * simulator's logits (dequantised) for the network `kws quantize` builds from the same ranges,
 * and its gradients, passed back through the batch-norm fold, are the frozen-batch-norm model's.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { buildModel } from '../../src/models/build/index.js';
import type { ModelSpec } from '../../src/models/spec.js';
import { createIntegerClassifier } from '../../src/quant/integer-classifier.js';
import { isWeighted } from '../../src/quant/ir.js';
import { Random } from '../../src/random.js';
import { QuantizeAwareTraining } from '../../src/train/qat.js';
import { DEFAULT_FEATURE_CONFIG } from '../../src/features/config.js';
import { CHAIN_LABELS, SMALL_CNN, SMALL_DNN, SMALL_DS_CNN } from '../helpers/chain-specs.js';

const LABELS = CHAIN_LABELS;
const BATCH = 8;

const SPECS: ModelSpec[] = [SMALL_DS_CNN, SMALL_CNN, SMALL_DNN];

function describe_(spec: ModelSpec) {
  return {
    architecture: spec.architecture,
    feature: { ...DEFAULT_FEATURE_CONFIG, dctCoefficientCount: spec.coefficients, ...framesFor(spec.frames) },
    labels: Array.from({ length: LABELS }, (_, i) => `w${i}`),
  };
}

/** Clip length and stride giving `frames` frames of 40 ms windows every 20 ms at 16 kHz. */
function framesFor(frames: number) {
  return { sampleRate: 16000, clipDurationMs: 20 * (frames - 1) + 40, windowSizeMs: 40, windowStrideMs: 20 };
}

/** Weights large enough for every class to get its own logit, and moving statistics away from 0 and 1 so the fold matters. */
function randomizeWeights(model: tf.LayersModel, random: Random): void {
  for (const weight of model.weights) {
    const size = weight.shape.reduce<number>((a, b) => a * (b ?? 1), 1);
    const variance = weight.originalName.endsWith('moving_variance');
    const values = Float32Array.from({ length: size }, () =>
      variance ? random.uniform(0.2, 3) : random.normal() * 0.3,
    );
    weight.write(tf.tensor(values, weight.shape as number[]));
  }
}

function batchOf(spec: ModelSpec, seed: number): { x: Float32Array; y: Int32Array } {
  const random = new Random(seed);
  const x = Float32Array.from({ length: BATCH * spec.frames * spec.coefficients }, () => random.normal() * 3);
  const y = Int32Array.from({ length: BATCH }, () => random.int(0, LABELS));
  return { x, y };
}

beforeAll(async () => {
  await initBackend('cpu');
});

describe('quantisation-aware training', () => {
  it.each(SPECS.map((spec) => [spec.architecture, spec] as const))(
    '%s: the fake-quantised forward pass is the integer network dequantised',
    (_, spec) => {
      const model = buildModel(spec, 3);
      randomizeWeights(model, new Random(5));
      const qat = QuantizeAwareTraining.for(model, describe_(spec), undefined);
      const first = batchOf(spec, 1);
      qat.gradients(first.x, first.y, LABELS); // measures the ranges
      const network = qat.integerNetwork();
      const { x, y } = batchOf(spec, 2);
      const { logits } = qat.gradients(x, y, LABELS);

      const classifier = createIntegerClassifier(network, 'js');
      const outFrac = network.layers.filter(isWeighted).at(-1)!.outFrac;
      const inputSize = spec.frames * spec.coefficients;
      const expected = new Float32Array(BATCH * LABELS);
      for (let n = 0; n < BATCH; n++) {
        const int8 = classifier.logits(x.subarray(n * inputSize, (n + 1) * inputSize));
        int8.forEach((v, c) => (expected[n * LABELS + c] = v / 2 ** outFrac));
      }
      expect(Array.from(logits)).toEqual(Array.from(expected));
      // Not a degenerate network: the logits differ between classes and examples.
      expect(new Set(expected).size).toBeGreaterThan(LABELS);
    },
  );

  it.each(SPECS.map((spec) => [spec.architecture, spec] as const))(
    '%s: the first (float) step gives the frozen-batch-norm model its autodiff gradients',
    (_, spec) => {
      const model = buildModel(spec, 3);
      randomizeWeights(model, new Random(5));
      const { x, y } = batchOf(spec, 1);
      const actual = QuantizeAwareTraining.for(model, describe_(spec), undefined).gradients(x, y, LABELS);

      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const expected = tf.tidy(() => {
        const ys = tf.oneHot(tf.tensor1d(y, 'int32'), LABELS);
        const { grads } = tf.variableGrads(() => {
          const logits = model.apply(tf.tensor2d(x, [BATCH, x.length / BATCH]), { training: false }) as tf.Tensor;
          return tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(ys, logits);
        }, variables);
        return variables.map((v) => Float32Array.from(grads[v.name]!.dataSync()));
      });
      expected.forEach((reference, i) => {
        const scale = Math.max(...reference.map(Math.abs));
        const worst = Math.max(...reference.map((r, j) => Math.abs(r - actual.grads[i]![j]!)));
        expect(worst / scale, model.trainableWeights[i]!.name).toBeLessThan(1e-4);
      });
    },
  );
});
