import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { Random } from '../../src/random.js';
import { maxAbsDiff, randomArray } from './helpers.js';

const FRAMES = 8;
const COEFFICIENTS = 6;
const LABELS = 3;
const BATCH = 4;

/** A tiny DS-CNN-like model: strided conv, batch norm, depthwise, pointwise, pooling, dense. */
function buildTinyConvModel(): tf.LayersModel {
  const input = tf.input({ shape: [FRAMES * COEFFICIENTS] });
  const layers: tf.layers.Layer[] = [
    tf.layers.reshape({ targetShape: [FRAMES, COEFFICIENTS, 1] }),
    tf.layers.conv2d({ filters: 4, kernelSize: [3, 2], strides: [2, 2], padding: 'same' }),
    tf.layers.batchNormalization({ axis: -1, epsilon: 1e-3 }),
    tf.layers.reLU(),
    tf.layers.depthwiseConv2d({ kernelSize: [3, 3], padding: 'same' }),
    tf.layers.reLU(),
    tf.layers.conv2d({ filters: 5, kernelSize: [1, 1] }),
    tf.layers.reLU(),
    tf.layers.globalAveragePooling2d({}),
    tf.layers.dense({ units: LABELS }),
  ];
  const output = layers.reduce<tf.SymbolicTensor>((x, layer) => layer.apply(x) as tf.SymbolicTensor, input);
  return tf.model({ inputs: input, outputs: output });
}

/**
 * From the given weights: the loss, the gradient of every trainable weight, then every weight
 * (batch-norm moving statistics included) after one SGD step on the same batch.
 */
async function trainOneStep(
  backend: 'cpu' | 'wasm',
  weights: Float32Array[],
  x: Float32Array,
  labels: number[],
): Promise<Float32Array[]> {
  await initBackend(backend);
  const model = buildTinyConvModel();
  const start = model.getWeights().map((w, i) => tf.tensor(weights[i]!, w.shape));
  model.setWeights(start);
  tf.dispose(start);
  // Plain SGD: Adam's first step is ±lr·sign(g), which magnifies float noise in near-zero gradients.
  const optimizer = tf.train.sgd(0.1);
  const xs = tf.tensor2d(x, [BATCH, FRAMES * COEFFICIENTS]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), LABELS));
  const lossOf = () =>
    tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(ys, model.apply(xs, { training: true }) as tf.Tensor);
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(lossOf, trainable);
  const results = [value, ...trainable.map((v) => grads[v.name]!)].map((t) => Float32Array.from(t.dataSync()));
  tf.dispose([value, ...Object.values(grads)]);
  tf.tidy(() => {
    optimizer.minimize(lossOf);
  });
  results.push(...model.getWeights().map((w) => Float32Array.from(w.dataSync())));
  tf.dispose([xs, ys]);
  optimizer.dispose();
  model.dispose();
  return results;
}

describe('a conv model training step on wasm', () => {
  it('gives the same loss, gradients, updated weights and batch-norm statistics as the cpu backend, leaking nothing', async () => {
    const random = new Random(500);
    await initBackend('cpu');
    const template = buildTinyConvModel();
    const initial = template.getWeights().map((w) => randomArray(random, w.size));
    template.dispose();
    const x = randomArray(random, BATCH * FRAMES * COEFFICIENTS);
    const labels = Array.from({ length: BATCH }, (_, i) => i % LABELS);

    const tensorsBefore = tf.memory().numTensors;
    const cpu = await trainOneStep('cpu', initial, x, labels);
    const wasm = await trainOneStep('wasm', initial, x, labels);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(wasm.length).toBe(cpu.length);
    const differences = cpu.map((values, i) => maxAbsDiff(values, wasm[i]!));
    expect(Math.max(...differences)).toBeLessThanOrEqual(1e-4);
    // The step really moved the weights (so equality is not trivially the initial values).
    const firstWeightAfterStep = cpu.length - initial.length;
    expect(maxAbsDiff(cpu[firstWeightAfterStep]!, initial[0]!)).toBeGreaterThan(1e-3);
  });
});
