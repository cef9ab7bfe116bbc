/**
 * The training plan (src/backend/plan) against tfjs's autodiff on the cpu backend: loss, logits,
 * every trainable weight's gradient and the batch-norm moving statistics after the step, for the
 * zoo's three chain architectures at small sizes with channel counts that are not whole vectors.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { TrainingPlan, updateMovingStatistics } from '../../src/backend/plan/plan.js';
import { buildModel } from '../../src/models/build/index.js';
import type { ModelSpec } from '../../src/models/spec.js';
import { Random } from '../../src/random.js';
import { batchGradients, trainableValues } from '../../src/train/step.js';
import { CHAIN_LABELS, SMALL_CNN, SMALL_DNN, SMALL_DS_CNN } from '../helpers/chain-specs.js';

const LABELS = CHAIN_LABELS;
const BATCH = 6;
const TOLERANCE = 1e-4;
const NOISE = 1e-6;

const SPECS: ModelSpec[] = [
  SMALL_DS_CNN,
  {
    architecture: 'ds_cnn',
    // feature maps wider than the depthwise kernels unroll (a loop over pixels), a 1×2 stride
    modelSizeInfo: [2, 5, 3, 3, 1, 1, 6, 3, 3, 1, 2],
    frames: 7,
    coefficients: 30,
    labelCount: LABELS,
  },
  SMALL_CNN,
  SMALL_DNN,
];

/** The largest difference relative to the reference's largest magnitude. */
function relativeDifference(reference: ArrayLike<number>, actual: ArrayLike<number>): number {
  expect(actual.length).toBe(reference.length);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < reference.length; i++) {
    scale = Math.max(scale, Math.abs(reference[i]!));
    worst = Math.max(worst, Math.abs(reference[i]! - actual[i]!));
  }
  return worst / scale;
}

const nonTrainable = (model: tf.LayersModel) =>
  model.nonTrainableWeights.map((weight) => Float32Array.from(weight.read().dataSync()));

beforeAll(async () => {
  await initBackend('cpu');
});

describe('the training plan', () => {
  it.each(SPECS.map((spec) => [`${spec.architecture} ${spec.modelSizeInfo.join(',')}`, spec] as const))(
    'gives %s the loss, logits, gradients and moving statistics of tfjs autodiff',
    (_, spec) => {
      const random = new Random(7);
      const inputSize = spec.frames * spec.coefficients;
      const x = Float32Array.from({ length: BATCH * inputSize }, () => random.normal() * 3);
      const y = Int32Array.from({ length: BATCH }, () => random.int(0, LABELS));
      const [reference, planned] = [buildModel(spec, 11), buildModel(spec, 11)];
      const plan = TrainingPlan.of(planned);
      expect(plan).toBeDefined();

      const expected = batchGradients(reference, x, y, LABELS);
      const actual = plan!.gradients(trainableValues(planned), x, y, LABELS);
      tf.tidy(() => updateMovingStatistics(plan!, actual.statistics));

      expect(Math.abs(actual.loss - expected.loss) / expected.loss).toBeLessThanOrEqual(TOLERANCE);
      expect(relativeDifference(expected.logits, actual.logits)).toBeLessThanOrEqual(TOLERANCE);
      expect(actual.grads.length).toBe(reference.trainableWeights.length);
      expected.grads.forEach((grad, i) => {
        const name = reference.trainableWeights[i]!.name;
        // A bias feeding batch norm has an exact gradient of zero: both sides must be float noise.
        if (Math.max(...grad.map(Math.abs)) < NOISE)
          expect(Math.max(...actual.grads[i]!.map(Math.abs)), name).toBeLessThan(NOISE);
        else expect(relativeDifference(grad, actual.grads[i]!), name).toBeLessThanOrEqual(TOLERANCE);
      });
      const movingAfter = nonTrainable(planned);
      nonTrainable(reference).forEach((values, i) =>
        expect(relativeDifference(values, movingAfter[i]!)).toBeLessThanOrEqual(TOLERANCE),
      );
      // Not vacuous: the kernels' gradients have signal.
      reference.trainableWeights.forEach((weight, i) => {
        if (weight.name.endsWith('kernel')) expect(Math.max(...expected.grads[i]!.map(Math.abs))).toBeGreaterThan(1e-3);
      });
      reference.dispose();
      planned.dispose();
    },
  );

  it('runs a second batch size and then the first again with the same results', () => {
    const spec = SPECS[0]!;
    const model = buildModel(spec, 3);
    const plan = TrainingPlan.of(model)!;
    const random = new Random(9);
    const inputSize = spec.frames * spec.coefficients;
    const batchOf = (size: number) => ({
      x: Float32Array.from({ length: size * inputSize }, () => random.normal()),
      y: Int32Array.from({ length: size }, () => random.int(0, LABELS)),
    });
    const first = batchOf(BATCH);
    const other = batchOf(BATCH - 1);
    const weights = trainableValues(model);
    const before = plan.gradients(weights, first.x, first.y, LABELS);
    plan.gradients(weights, other.x, other.y, LABELS);
    const after = plan.gradients(weights, first.x, first.y, LABELS);
    expect(after.grads).toEqual(before.grads);
    expect(after.loss).toBe(before.loss);
    model.dispose();
  });

  it('declines models with layers it does not implement (tfjs trains them)', () => {
    const model = buildModel({ architecture: 'gru', modelSizeInfo: [1, 8], frames: 7, coefficients: 5, labelCount: 3 });
    expect(TrainingPlan.of(model)).toBeUndefined();
    model.dispose();
  });
});
