/** Basic LSTM: one LSTM (no peepholes, no projection, forget bias 1.0) over the frames; logits from the last output. */
import * as tf from '@tensorflow/tfjs';
import { lstmCost } from './recurrent.js';
import { applyLayers, denseCost, requireSizeInfo, type ArchitectureFamily } from './spec.js';

const HELP = '1 number: the LSTM cell count';

export const basicLstm: ArchitectureFamily = {
  name: 'basic_lstm',
  sizeInfoHelp: HELP,

  validate(sizeInfo) {
    requireSizeInfo('basic_lstm', HELP, sizeInfo, 1);
  },

  costs(spec) {
    const [units] = spec.modelSizeInfo;
    return [lstmCost('lstm', spec.coefficients, units, spec.frames), denseCost('final_fc', units, spec.labelCount)];
  },

  build(spec, init) {
    const [units] = spec.modelSizeInfo;
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
  },
};
