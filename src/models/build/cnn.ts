/** The tfjs graph of `cnn` (its shape and costs are in ../cnn.ts). */
import * as tf from '@tensorflow/tfjs';
import type { Initializers } from '../init.js';
import type { ModelSpec } from '../spec.js';
import { shape } from '../cnn.js';
import { applyLayers } from './chain.js';

/** tf.layers batch norm as the reference's `tf.layers.batch_normalization` (γ and β). */
function batchNorm(name: string): tf.layers.Layer {
  return tf.layers.batchNormalization({ name, epsilon: 1e-3, momentum: 0.99 });
}

export function buildCnn(spec: ModelSpec, init: Initializers): tf.LayersModel {
  const s = shape(spec);
  const input = tf.input({ shape: [spec.frames * spec.coefficients], name: 'fingerprint' });
  const layers: tf.layers.Layer[] = [
    tf.layers.reshape({ targetShape: [spec.frames, spec.coefficients, 1], name: 'reshape' }),
  ];
  for (const [index, conv] of [s.conv1, s.conv2].entries()) {
    const n = index + 1;
    layers.push(
      tf.layers.conv2d({
        name: `conv${n}`,
        filters: conv.filters,
        kernelSize: conv.kernel,
        strides: conv.strides,
        padding: 'valid',
        kernelInitializer: init.truncatedNormal(0.01),
      }),
      batchNorm(`bn${n}`),
      tf.layers.reLU({ name: `relu${n}` }),
    );
  }
  layers.push(
    tf.layers.flatten({ name: 'flatten' }),
    tf.layers.dense({ units: s.linear, name: 'linear', kernelInitializer: init.glorotUniform() }),
    tf.layers.dense({ units: s.fc, name: 'fc', kernelInitializer: init.truncatedNormal(0.01) }),
    batchNorm('bn3'),
    tf.layers.reLU({ name: 'relu3' }),
    tf.layers.dense({ units: spec.labelCount, name: 'final_fc', kernelInitializer: init.truncatedNormal(0.01) }),
  );
  return tf.model({ inputs: input, outputs: applyLayers(input, layers), name: 'cnn' });
}
