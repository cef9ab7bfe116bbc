/** The tfjs graph of `basic_lstm` (its shape and costs are in ../basic-lstm.ts). */
import * as tf from '@tensorflow/tfjs';
import type { Initializers } from '../init.js';
import { sizeNumbers, type ModelSpec } from '../spec.js';
import { applyLayers } from './chain.js';

export function buildBasicLstm(spec: ModelSpec, init: Initializers): tf.LayersModel {
  const [units] = sizeNumbers(spec.modelSizeInfo, 1);
  const input = tf.input({ shape: [spec.frames * spec.coefficients], name: 'fingerprint' });
  const fanIn = spec.coefficients + units;
  const layers = [
    tf.layers.reshape({ targetShape: [spec.frames, spec.coefficients], name: 'reshape' }),
    tf.layers.lstm({
      name: 'lstm',
      units,
      recurrentActivation: 'sigmoid',
      unitForgetBias: true,
      kernelInitializer: init.recurrentGlorot(fanIn, 4 * units),
      recurrentInitializer: init.recurrentGlorot(fanIn, 4 * units),
    }),
    tf.layers.dense({ units: spec.labelCount, name: 'final_fc', kernelInitializer: init.glorotUniform() }),
  ];
  return tf.model({ inputs: input, outputs: applyLayers(input, layers), name: 'basic_lstm' });
}
