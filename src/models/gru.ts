/** GRU: a stack of GRU layers over the frames; logits from the last layer's final state. */
import { gruCost } from './recurrent.js';
import { denseCost, requireSizeInfo, sizeNumbers, type ArchitectureFamily, type LayerCost } from './spec.js';

const HELP = '2 numbers: num_layers units (stacked GRU layers, then units per layer)';

export const gru: ArchitectureFamily = {
  name: 'gru',
  sizeInfoHelp: HELP,

  validate(sizeInfo) {
    requireSizeInfo('gru', HELP, sizeInfo, 2);
  },

  costs(spec) {
    const [layers, units] = sizeNumbers(spec.modelSizeInfo, 2);
    const costs: LayerCost[] = [];
    for (let i = 0; i < layers; i++)
      costs.push(gruCost(`gru_${i + 1}`, i === 0 ? spec.coefficients : units, units, spec.frames));
    costs.push(denseCost('final_fc', units, spec.labelCount));
    return costs;
  },
};
