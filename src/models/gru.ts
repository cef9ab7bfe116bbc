/** GRU: a stack of GRU layers over the frames; logits from the last layer's final state. */
import * as tf from '@tensorflow/tfjs';
import { gruCost, gruStack, setGruGateBias } from './recurrent.js';
import { applyLayers, denseCost, requireSizeInfo, type ArchitectureFamily, type LayerCost } from './spec.js';

const HELP = '2 numbers: num_layers units (stacked GRU layers, then units per layer)';

export const gru: ArchitectureFamily = {
  name: 'gru',
  sizeInfoHelp: HELP,

  validate(sizeInfo) {
    requireSizeInfo('gru', HELP, sizeInfo, 2);
  },

  costs(spec) {
    const [layers, units] = spec.modelSizeInfo;
    const costs: LayerCost[] = [];
    for (let i = 0; i < layers; i++) costs.push(gruCost(`gru_${i + 1}`, i === 0 ? spec.coefficients : units, units, spec.frames));
    costs.push(denseCost('final_fc', units, spec.labelCount));
    return costs;
  },

  build(spec, init) {
    const [layerCount, units] = spec.modelSizeInfo;
    const input = tf.input({ shape: [spec.frames * spec.coefficients], name: 'fingerprint' });
    const layers = [
      tf.layers.reshape({ targetShape: [spec.frames, spec.coefficients], name: 'reshape' }),
      ...gruStack(layerCount, units, spec.coefficients, init),
      tf.layers.dense({ units: spec.labelCount, name: 'final_fc', kernelInitializer: init.glorotUniform() }),
    ];
    const model = tf.model({ inputs: input, outputs: applyLayers(input, layers), name: 'gru' });
    setGruGateBias(model);
    return model;
  },
};
