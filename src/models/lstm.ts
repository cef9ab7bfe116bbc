/** LSTM: one LSTM with peepholes and an output projection over the frames; logits from the last projected output. */
import * as tf from '@tensorflow/tfjs';
import { ProjectionLstmCell } from './lstm-cell.js';
import { lstmCost } from './recurrent.js';
import { applyLayers, denseCost, requireSizeInfo, type ArchitectureFamily } from './spec.js';

const HELP = '2 numbers: projection_size cells (the projected output width, then the LSTM cell count)';

export const lstm: ArchitectureFamily = {
  name: 'lstm',
  sizeInfoHelp: HELP,

  validate(sizeInfo) {
    requireSizeInfo('lstm', HELP, sizeInfo, 2);
  },

  costs(spec) {
    const [projection, units] = spec.modelSizeInfo;
    return [lstmCost('lstm', spec.coefficients, units, spec.frames, projection), denseCost('final_fc', projection, spec.labelCount)];
  },

  build(spec, init) {
    const [projection, units] = spec.modelSizeInfo;
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
  },
};
