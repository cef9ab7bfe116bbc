/** LSTM: one LSTM with peepholes and an output projection over the frames; logits from the last projected output. */
import { lstmCost } from './recurrent.js';
import { denseCost, requireSizeInfo, sizeNumbers, type ArchitectureFamily } from './spec.js';

const HELP = '2 numbers: projection_size cells (the projected output width, then the LSTM cell count)';

export const lstm: ArchitectureFamily = {
  name: 'lstm',
  sizeInfoHelp: HELP,

  validate(sizeInfo) {
    requireSizeInfo('lstm', HELP, sizeInfo, 2);
  },

  costs(spec) {
    const [projection, units] = sizeNumbers(spec.modelSizeInfo, 2);
    return [
      lstmCost('lstm', spec.coefficients, units, spec.frames, projection),
      denseCost('final_fc', projection, spec.labelCount),
    ];
  },
};
