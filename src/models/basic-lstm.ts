/** Basic LSTM: one LSTM (no peepholes, no projection, forget bias 1.0) over the frames; logits from the last output. */
import { lstmCost } from './recurrent.js';
import { denseCost, requireSizeInfo, sizeNumbers, type ArchitectureFamily } from './spec.js';

const HELP = '1 number: the LSTM cell count';

export const basicLstm: ArchitectureFamily = {
  name: 'basic_lstm',
  sizeInfoHelp: HELP,

  validate(sizeInfo) {
    requireSizeInfo('basic_lstm', HELP, sizeInfo, 1);
  },

  costs(spec) {
    const [units] = sizeNumbers(spec.modelSizeInfo, 1);
    return [lstmCost('lstm', spec.coefficients, units, spec.frames), denseCost('final_fc', units, spec.labelCount)];
  },
};
