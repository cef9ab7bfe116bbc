/** DNN: fully connected ReLU layers, one per `model_size_info` entry, then the logits layer. */
import { denseCost, requireSizeInfo, type ArchitectureFamily, type LayerCost } from './spec.js';

const HELP = 'one number per hidden layer: its neuron count (e.g. 144 144 144)';

export const dnn: ArchitectureFamily = {
  name: 'dnn',
  sizeInfoHelp: HELP,

  validate(sizeInfo) {
    requireSizeInfo('dnn', HELP, sizeInfo);
  },

  costs(spec): LayerCost[] {
    const layers: LayerCost[] = [];
    let inputs = spec.frames * spec.coefficients;
    spec.modelSizeInfo.forEach((units, i) => {
      layers.push(denseCost(`fc${i + 1}`, inputs, units));
      inputs = units;
    });
    layers.push(denseCost('final_fc', inputs, spec.labelCount));
    return layers;
  },
};
