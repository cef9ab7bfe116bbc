/** GRU layers as the TF1 reference builds them (gru and crnn share them). */
import * as tf from '@tensorflow/tfjs';
import type { Initializers } from '../init.js';

/**
 * `layers` stacked GRUs named gru_1…gru_L; all but the last return their whole sequence.
 * tfjs's GRU applies the reset gate before the recurrent candidate matmul (Keras
 * reset_after=false), which is TF1's GRUCell; sigmoid gates as TF1 (tfjs defaults to hard sigmoid).
 */
export function gruStack(layers: number, units: number, inputs: number, init: Initializers): tf.layers.Layer[] {
  return Array.from({ length: layers }, (_, i) => {
    const fanIn = (i === 0 ? inputs : units) + units;
    return tf.layers.gru({
      name: `gru_${i + 1}`,
      units,
      returnSequences: i < layers - 1,
      recurrentActivation: 'sigmoid',
      kernelInitializer: init.recurrentGlorot(fanIn, 3 * units),
      recurrentInitializer: init.recurrentGlorot(fanIn, 3 * units),
    });
  });
}

/** TF1's GRUCell starts its reset and update gate biases at 1.0 (candidate at 0); tfjs at 0. */
export function setGruGateBias(model: tf.LayersModel): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'GRU') continue;
    const bias = layer.weights.find((weight) => weight.originalName.endsWith('bias'));
    if (!bias) continue;
    const units = bias.shape[0]! / 3;
    const value = tf.tidy(() => tf.concat([tf.ones([2 * units]), tf.zeros([units])]));
    bias.write(value);
    value.dispose();
  }
}
