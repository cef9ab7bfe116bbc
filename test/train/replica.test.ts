/**
 * Data-parallel steps: without batch norm they are the single-thread step (the slice gradients,
 * weighted by slice size, are the whole batch's mean-loss gradient); with it, they are still a
 * pure function of the batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { buildModel } from '../../src/models/build/index.js';
import type { ModelSpec } from '../../src/models/spec.js';
import { GradientReplica, parallelTrainStep } from '../../src/train/replica.js';
import { createOptimizer, trainStep } from '../../src/train/step.js';
import { Random } from '../../src/random.js';

const LABELS = 5;
const DNN: ModelSpec = {
  architecture: 'dnn',
  modelSizeInfo: [24, 16],
  frames: 13,
  coefficients: 6,
  labelCount: LABELS,
};
const DS_CNN: ModelSpec = {
  architecture: 'ds_cnn',
  modelSizeInfo: [2, 8, 3, 3, 2, 2, 8, 3, 3, 1, 1],
  frames: 13,
  coefficients: 6,
  labelCount: LABELS,
};

function batch(size: number, seed: number): { x: Float32Array; y: Int32Array } {
  const random = new Random(seed);
  return {
    x: Float32Array.from({ length: size * 78 }, () => random.normal() * 3),
    y: Int32Array.from({ length: size }, () => random.int(0, LABELS)),
  };
}

function weightsOf(model: tf.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

const replicas: GradientReplica[] = [];
async function replicaFor(spec: ModelSpec): Promise<GradientReplica> {
  const replica = await GradientReplica.start(spec, 'cpu');
  replicas.push(replica);
  return replica;
}

beforeAll(async () => {
  await initBackend('cpu');
});
afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.close()));
});

describe('data-parallel training steps', () => {
  // The README's figure: equal to the one-thread step up to float32 rounding of the split sums (weights within 2e-7).
  it.each([10, 7])('without batch norm equal the single-thread step (batch %i, split evenly or not)', async (size) => {
    const replica = await replicaFor(DNN);
    const [single, parallel] = [buildModel(DNN, 3), buildModel(DNN, 3)];
    const [singleOptimizer, parallelOptimizer] = [createOptimizer(0.01), createOptimizer(0.01)];
    for (let step = 0; step < 3; step++) {
      const { x, y } = batch(size, step);
      const a = trainStep(single, singleOptimizer, x, y, LABELS);
      const b = await parallelTrainStep(parallel, parallelOptimizer, replica, x, y, LABELS);
      expect(Math.abs(b.loss - a.loss)).toBeLessThanOrEqual(2e-7);
      expect(b.accuracy).toBe(a.accuracy);
    }
    const expected = weightsOf(single);
    const worst = Math.max(
      ...weightsOf(parallel).flatMap((values, i) => values.map((v, j) => Math.abs(v - expected[i]![j]!))),
    );
    expect(worst).toBeLessThanOrEqual(2e-7);
    // Not a vacuous comparison: the weights moved.
    expect(weightsOf(buildModel(DNN, 3))[0]).not.toEqual(expected[0]);
  });

  it('with batch norm give the same weights on every run (timing does not enter)', async () => {
    const runs: number[][][] = [];
    for (let run = 0; run < 2; run++) {
      const replica = await replicaFor(DS_CNN);
      const model = buildModel(DS_CNN, 5);
      const optimizer = createOptimizer(0.01);
      for (let step = 0; step < 3; step++) {
        const { x, y } = batch(8, 10 + step);
        await parallelTrainStep(model, optimizer, replica, x, y, LABELS);
      }
      runs.push(weightsOf(model));
    }
    expect(runs[1]).toEqual(runs[0]);
  });
});
