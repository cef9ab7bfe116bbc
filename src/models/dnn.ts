/** DNN: fully connected ReLU layers, one per `model_size_info` entry, then the logits layer. */
import * as tf from '@tensorflow/tfjs';
import { applyLayers, denseCost, requireSizeInfo, type ArchitectureFamily, type LayerCost } from './spec.js';

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

  build(spec, init) {
    const input = tf.input({ shape: [spec.frames * spec.coefficients], name: 'fingerprint' });
    const layers = spec.modelSizeInfo.flatMap((units, i) => [
      tf.layers.dense({ units, name: `fc${i + 1}`, kernelInitializer: init.glorotUniform() }),
      tf.layers.reLU({ name: `fc${i + 1}_relu` }),
    ]);
    layers.push(tf.layers.dense({ units: spec.labelCount, name: 'final_fc', kernelInitializer: init.glorotUniform() }));
    return tf.model({ inputs: input, outputs: applyLayers(input, layers), name: 'dnn' });
  },
};
