/** The tfjs graph of `ds_cnn` (its shape and costs are in ../ds-cnn.ts). */
import * as tf from '@tensorflow/tfjs';
import type { Initializers } from '../init.js';
import type { ModelSpec } from '../spec.js';
import { shape } from '../ds-cnn.js';
import { SlimBatchNorm } from '../slim-batch-norm.js';
import { applyLayers } from './chain.js';

/** slim.batch_norm as the reference configures it: centre only (γ ≡ 1), ε 1e-3, decay 0.96. */
function batchNorm(name: string): tf.layers.Layer {
  return new SlimBatchNorm({ name, epsilon: 1e-3, momentum: 0.96 });
}

export function buildDsCnn(spec: ModelSpec, init: Initializers): tf.LayersModel {
  const [first, ...blocks] = shape(spec);
  const input = tf.input({ shape: [spec.frames * spec.coefficients], name: 'fingerprint' });
  const layers: tf.layers.Layer[] = [
    tf.layers.reshape({ targetShape: [spec.frames, spec.coefficients, 1], name: 'reshape' }),
    tf.layers.conv2d({
      name: 'conv_1',
      filters: first.channels,
      kernelSize: first.kernel,
      strides: first.strides,
      padding: 'same',
      kernelInitializer: init.glorotUniform(),
    }),
    batchNorm('conv_1_bn'),
    tf.layers.reLU({ name: 'conv_1_relu' }),
  ];
  blocks.forEach((block, i) => {
    const prefix = `conv_ds_${i + 1}`;
    layers.push(
      tf.layers.depthwiseConv2d({
        name: `${prefix}_dw`,
        kernelSize: block.kernel,
        strides: block.strides,
        padding: 'same',
        depthMultiplier: 1,
        depthwiseInitializer: init.glorotUniform(),
      }),
      batchNorm(`${prefix}_dw_bn`),
      tf.layers.reLU({ name: `${prefix}_dw_relu` }),
      tf.layers.conv2d({
        name: `${prefix}_pw`,
        filters: block.channels,
        kernelSize: [1, 1],
        padding: 'same',
        kernelInitializer: init.glorotUniform(),
      }),
      batchNorm(`${prefix}_pw_bn`),
      tf.layers.reLU({ name: `${prefix}_pw_relu` }),
    );
  });
  layers.push(
    tf.layers.globalAveragePooling2d({ name: 'avg_pool' }),
    tf.layers.dense({ units: spec.labelCount, name: 'fc1', kernelInitializer: init.glorotUniform() }),
  );
  return tf.model({ inputs: input, outputs: applyLayers(input, layers), name: 'ds_cnn' });
}
