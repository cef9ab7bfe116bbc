/** The tfjs graph of `lstm` (its shape and costs are in ../lstm.ts). */
import * as tf from '@tensorflow/tfjs';
import type { Initializers } from '../init.js';
import { sizeNumbers, type ModelSpec } from '../spec.js';
import { ProjectionLstmCell } from '../lstm-cell.js';
import { applyLayers } from './chain.js';

export function buildLstm(spec: ModelSpec, init: Initializers): tf.LayersModel {
  const [projection, units] = sizeNumbers(spec.modelSizeInfo, 2);
  const input = tf.input({ shape: [spec.frames * spec.coefficients], name: 'fingerprint' });
  const fanIn = spec.coefficients + projection;
  const cell = new ProjectionLstmCell({
    name: 'lstm_cell',
    units,
    projection,
    kernelInitializer: init.recurrentGlorot(fanIn, 4 * units),
    recurrentInitializer: init.recurrentGlorot(fanIn, 4 * units),
    projectionInitializer: init.glorotUniform(),
  });
  const layers = [
    tf.layers.reshape({ targetShape: [spec.frames, spec.coefficients], name: 'reshape' }),
    tf.layers.rnn({ cell, name: 'lstm' }),
    tf.layers.dense({ units: spec.labelCount, name: 'final_fc', kernelInitializer: init.glorotUniform() }),
  ];
  return tf.model({ inputs: input, outputs: applyLayers(input, layers), name: 'lstm' });
}
