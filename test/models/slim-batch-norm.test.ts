import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SlimBatchNorm } from '../../src/models/slim-batch-norm.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function close(a: tf.Tensor, b: tf.Tensor, tolerance = 1e-5): void {
  const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
  expect(difference).toBeLessThan(tolerance);
}

describe('SlimBatchNorm equals tfjs batch norm with γ fixed at 1', () => {
  it('in training (output, gradients, moving statistics) and in inference', () => {
    const slim = new SlimBatchNorm({ epsilon: 1e-3, momentum: 0.96 });
    const keras = tf.layers.batchNormalization({ epsilon: 1e-3, momentum: 0.96 });
    const x = tf.randomNormal([4, 5, 3, 6], 2, 3, 'float32', 5);
    slim.build(x.shape);
    keras.build(x.shape);
    const beta = tf.randomNormal([6], 0, 1, 'float32', 6);
    slim.setWeights([beta, tf.zeros([6]), tf.ones([6])]);
    keras.setWeights([tf.ones([6]), beta, tf.zeros([6]), tf.ones([6])]);
    const upstream = tf.randomNormal(x.shape, 0, 1, 'float32', 7);
    const loss = (layer: tf.layers.Layer) => (input: tf.Tensor) =>
      tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, upstream));
    const slimGrad = tf.grad(loss(slim))(x);
    const kerasGrad = tf.grad(loss(keras))(x);
    close(slimGrad, kerasGrad);
    close(slim.apply(x, { training: true }) as tf.Tensor, keras.apply(x, { training: true }) as tf.Tensor);
    const slimWeights = slim.getWeights();
    const kerasWeights = keras.getWeights();
    close(slimWeights[1]!, kerasWeights[2]!); // moving mean, after two training calls each
    close(slimWeights[2]!, kerasWeights[3]!); // moving variance
    expect(slimWeights[1]!.abs().sum().dataSync()[0]).toBeGreaterThan(0);
    close(slim.apply(x) as tf.Tensor, keras.apply(x) as tf.Tensor);
    expect(slim.trainableWeights.map((w) => w.originalName.split('/').pop())).toEqual(['beta']);
  });
});
