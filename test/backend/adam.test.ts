/**
 * FusedAdam (one kernel per variable) against tfjs's AdamOptimizer: the same weights and the same
 * optimizer state (what checkpoints save) after several steps, on both backends it has a kernel for.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { FusedAdam } from '../../src/backend/adam.js';
import { initBackend } from '../../src/backend/index.js';
import { Random } from '../../src/random.js';
import { randomArray } from './helpers.js';

/** Sizes with and without a tail beyond whole f32x4 vectors. */
const SHAPES = [[3, 5], [8], [2, 2, 3, 1]];
const STEPS = 4;

describe('FusedAdam', () => {
  it.each(['cpu', 'wasm'] as const)('equals tf.train.adam bit for bit on %s, weights and state', async (backend) => {
    await initBackend(backend);
    const random = new Random(21);
    const initial = SHAPES.map((shape) => randomArray(random, tf.util.sizeFromShape(shape)));
    const gradients = Array.from({ length: STEPS }, () =>
      SHAPES.map((shape) => randomArray(random, tf.util.sizeFromShape(shape)).map((g) => g * 0.1)),
    );
    const outcome = async (optimizer: tf.AdamOptimizer) => {
      const variables = initial.map((values, i) => tf.variable(tf.tensor(values, SHAPES[i])));
      gradients.forEach((step, s) => {
        if (s === 2) (optimizer as unknown as { learningRate: number }).learningRate = 0.003;
        const named = variables.map((variable, i) => ({ name: variable.name, tensor: tf.tensor(step[i]!, SHAPES[i]) }));
        optimizer.applyGradients(named);
        tf.dispose(named.map(({ tensor }) => tensor));
      });
      const state = await optimizer.getWeights();
      const values = [...variables, ...state.map((s) => s.tensor)].map((t) => Array.from(t.dataSync()));
      const names = state.map((s) => s.name.replace(/^.*\//, ''));
      tf.dispose(variables);
      optimizer.dispose();
      return { values, names };
    };
    const leaked = async (optimizer: tf.AdamOptimizer) => {
      const before = tf.memory().numTensors;
      const result = await outcome(optimizer);
      return { ...result, leaked: tf.memory().numTensors - before };
    };
    const expected = await leaked(tf.train.adam(0.01, 0.9, 0.999, 1e-8));
    const actual = await leaked(new FusedAdam(0.01, 0.9, 0.999, 1e-8));
    expect(actual.names).toEqual(expected.names);
    expect(actual.values).toEqual(expected.values);
    expect(actual.values[0]).not.toEqual(Array.from(initial[0]!));
    // tfjs's own optimizer leaves a few tensors behind (getWeights' iteration count among them): no more.
    expect(actual.leaked).toBe(expected.leaked);
  });
});
