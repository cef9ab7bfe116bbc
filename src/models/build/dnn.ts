/** The tfjs graph of `dnn` (its shape and costs are in ../dnn.ts). */
import * as tf from '@tensorflow/tfjs';
import type { Initializers } from '../init.js';
import type { ModelSpec } from '../spec.js';
import { applyLayers } from './chain.js';

export function buildDnn(spec: ModelSpec, init: Initializers): tf.LayersModel {
  const input = tf.input({ shape: [spec.frames * spec.coefficients], name: 'fingerprint' });
  const layers = spec.modelSizeInfo.flatMap((units, i) => [
    tf.layers.dense({ units, name: `fc${i + 1}`, kernelInitializer: init.glorotUniform() }),
    tf.layers.reLU({ name: `fc${i + 1}_relu` }),
  ]);
  layers.push(tf.layers.dense({ units: spec.labelCount, name: 'final_fc', kernelInitializer: init.glorotUniform() }));
  return tf.model({ inputs: input, outputs: applyLayers(input, layers), name: 'dnn' });
}
