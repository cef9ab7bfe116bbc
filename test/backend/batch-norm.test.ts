import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { batchNormTraining } from '../../src/backend/batch-norm.js';
import { BATCH_NORM_FORWARD } from '../../src/backend/kernels/batch-norm.js';
import { initBackend } from '../../src/backend/index.js';
import { Random } from '../../src/random.js';
import { maxAbsDiff, randomArray } from './helpers.js';

const EPSILON = 1e-3;

/** The definition, in plain tfjs ops: tf.moments over all but the last axis, then normalise and offset. */
function reference(x: tf.Tensor, beta: tf.Tensor1D): tf.Tensor[] {
  const { mean, variance } = tf.moments(
    x,
    Array.from({ length: x.rank - 1 }, (_, i) => i),
  );
  return [tf.add(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, EPSILON))), beta), mean, variance];
}

/** y, mean, variance, and the gradients of Σ y·r with respect to x and β. */
function evaluate(
  useFused: boolean,
  shape: number[],
  values: { x: Float32Array; beta: Float32Array; r: Float32Array },
): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor(values.x, shape);
    const beta = tf.tensor1d(values.beta);
    const r = tf.tensor(values.r, shape);
    const run = (a: tf.Tensor, b: tf.Tensor) => {
      if (!useFused) return reference(a, b as tf.Tensor1D);
      const { y, mean, variance } = batchNormTraining(a, b as tf.Tensor1D, EPSILON);
      return [y, mean, variance];
    };
    const outputs = run(x, beta);
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(run(a, b)[0]!, r)))([x, beta]);
    return [...outputs, ...grads].map((t) => Float32Array.from(t.dataSync()));
  });
}

describe('fused batch norm without scale', () => {
  const shapes = [
    [6, 5, 4, 7], // conv activation [batch, time, frequency, channels]
    [9, 3], // dense activation
    [3, 2, 5, 16],
  ];
  shapes.forEach((shape, i) => {
    const random = new Random(600 + i);
    const size = tf.util.sizeFromShape(shape);
    const channels = shape[shape.length - 1]!;
    // An offset mean and a spread away from 1 so normalisation is not a no-op.
    const values = {
      x: Float32Array.from(randomArray(random, size), (v, k) => 3 * v + (k % channels)),
      beta: randomArray(random, channels),
      r: randomArray(random, size),
    };
    for (const backend of ['cpu', 'wasm'] as const) {
      it(`matches the tf.moments arithmetic on ${backend} for [${shape}] (outputs and gradients)`, async () => {
        await initBackend('cpu');
        const expected = evaluate(false, shape, values);
        await initBackend(backend);
        const actual = evaluate(true, shape, values);
        expect(actual.length).toBe(expected.length);
        expected.forEach((values, k) => expect(maxAbsDiff(values, actual[k]!)).toBeLessThanOrEqual(1e-4));
      });
    }
  });

  it('falls back to plain tfjs ops on a backend without the fused kernels (as tfjs-node)', async () => {
    await initBackend('cpu');
    const shape = [4, 3, 8];
    const random = new Random(650);
    const values = { x: randomArray(random, 96), beta: randomArray(random, 8), r: randomArray(random, 96) };
    const expected = evaluate(false, shape, values);
    const fused = tf.getKernel(BATCH_NORM_FORWARD, 'cpu');
    tf.unregisterKernel(BATCH_NORM_FORWARD, 'cpu');
    try {
      const actual = evaluate(true, shape, values);
      expected.forEach((values, k) => expect(maxAbsDiff(values, actual[k]!)).toBeLessThanOrEqual(1e-6));
    } finally {
      tf.registerKernel(fused);
    }
  });

  it('frees its intermediates', async () => {
    await initBackend('wasm');
    const x = tf.randomNormal([4, 3, 2, 5]);
    const beta = tf.zeros<tf.Rank.R1>([5]);
    const before = tf.memory().numTensors;
    tf.tidy(() =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(batchNormTraining(a, b as tf.Tensor1D, EPSILON).y))([x, beta]),
    ).forEach((g) => g.dispose());
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, beta]);
  });
});
