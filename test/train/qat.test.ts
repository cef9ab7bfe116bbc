/**
 * Quantisation-aware training's arithmetic: its fake-quantised forward pass gives the integer
 * simulator's logits (dequantised) for the network `kws quantize` builds from the same ranges —
 * bit for bit for cmsis-nn-q7, within one step of the logits' scale for cmsis-nn-s8 — and its
 * gradients, passed back through the batch-norm fold, are the frozen-batch-norm model's.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { buildModel } from '../../src/models/build/index.js';
import type { ModelSpec } from '../../src/models/spec.js';
import { createIntegerClassifier } from '../../src/quant/integer-classifier.js';
import { isWeighted, type QuantizedNetwork } from '../../src/quant/ir.js';
import { createS8Classifier } from '../../src/quant/s8/classifier.js';
import { isS8Weighted, type S8Network } from '../../src/quant/s8/ir.js';
import { Q7_TARGET, S8_TARGET, TARGET_NAMES } from '../../src/targets.js';
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

/** The logits of step 2's batch through QAT's forward pass, and the network built from step 1's ranges. */
function secondStep(spec: ModelSpec, target: (typeof TARGET_NAMES)[number]) {
  const model = buildModel(spec, 3);
  randomizeWeights(model, new Random(5));
  const qat = QuantizeAwareTraining.for(model, describe_(spec), target, undefined);
  const first = batchOf(spec, 1);
  qat.gradients(first.x, first.y, LABELS); // measures the ranges
  const network = qat.integerNetwork();
  const { x, y } = batchOf(spec, 2);
  const { logits } = qat.gradients(x, y, LABELS);
  return { network, x, logits };
}

/** Per example, the int8 logits of `logitsOf` as real values (q − zeroPoint) · step. */
function dequantizedLogits(
  x: Float32Array,
  spec: ModelSpec,
  logitsOf: (row: Float32Array) => Int8Array,
  { step, zeroPoint }: { step: number; zeroPoint: number },
): Float32Array {
  const inputSize = spec.frames * spec.coefficients;
  const out = new Float32Array(BATCH * LABELS);
  for (let n = 0; n < BATCH; n++) {
    const int8 = logitsOf(x.subarray(n * inputSize, (n + 1) * inputSize));
    int8.forEach((v, c) => (out[n * LABELS + c] = (v - zeroPoint) * step));
  }
  return out;
}

function argmaxRows(values: Float32Array): number[] {
  return Array.from({ length: BATCH }, (_, n) => {
    const row = Array.from(values.subarray(n * LABELS, (n + 1) * LABELS));
    return row.indexOf(Math.max(...row));
  });
}

describe('quantisation-aware training', () => {
  it.each(SPECS.map((spec) => [spec.architecture, spec] as const))(
    '%s, cmsis-nn-q7: the fake-quantised forward pass is the integer network dequantised',
    (_, spec) => {
      const { network, x, logits } = secondStep(spec, Q7_TARGET);
      const q7 = network as QuantizedNetwork;
      const outFrac = q7.layers.filter(isWeighted).at(-1)!.outFrac;
      const classifier = createIntegerClassifier(q7, 'js');
      const expected = dequantizedLogits(x, spec, (row) => classifier.logits(row), {
        step: 2 ** -outFrac,
        zeroPoint: 0,
      });
      expect(Array.from(logits)).toEqual(Array.from(expected));
      // Not a degenerate network: the logits differ between classes and examples.
      expect(new Set(expected).size).toBeGreaterThan(LABELS);
    },
  );

  it.each(SPECS.map((spec) => [spec.architecture, spec] as const))(
    '%s, cmsis-nn-s8: the fake-quantised forward pass is the integer network dequantised, to within one step',
    (_, spec) => {
      const { network, x, logits } = secondStep(spec, S8_TARGET);
      const s8 = network as S8Network;
      const last = s8.layers.filter(isS8Weighted).at(-1)!;
      const classifier = createS8Classifier(s8, 'js');
      const step = last.outputScale;
      const expected = dequantizedLogits(x, spec, (row) => classifier.logits(row), {
        step,
        zeroPoint: last.outputZeroPoint,
      });
      // The device requantises with a 31-bit fixed-point multiplier and two roundings
      // (arm_nn_requantize); the forward pass multiplies a float32 sum of real values by
      // 1 / scale. The two agree except where a value lies within float32's error (about 1e-7
      // of it) of a rounding boundary: that value moves by one step, and through the next
      // layers a logit by about one. (The pool's exact ties are snapped, so they agree.) So:
      // every logit within one step (plus float slack), nine in ten identical, the same classes.
      const errors = Array.from(logits, (v, i) => Math.abs(v - expected[i]!) / step);
      expect(Math.max(...errors)).toBeLessThanOrEqual(1 + 1e-3);
      expect(errors.filter((e) => e < 1e-3).length).toBeGreaterThanOrEqual(0.9 * errors.length);
      expect(argmaxRows(logits)).toEqual(argmaxRows(expected));
      expect(new Set(expected).size).toBeGreaterThan(LABELS);
    },
  );

  it.each(TARGET_NAMES.flatMap((target) => SPECS.map((spec) => [spec.architecture, target, spec] as const)))(
    '%s, %s: the first (float) step gives the frozen-batch-norm model its autodiff gradients',
    (_, target, spec) => {
      const model = buildModel(spec, 3);
      randomizeWeights(model, new Random(5));
      const { x, y } = batchOf(spec, 1);
      const actual = QuantizeAwareTraining.for(model, describe_(spec), target, undefined).gradients(x, y, LABELS);

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
