/** Costs and layers shared by the recurrent families (basic_lstm, lstm, gru, crnn). */
import * as tf from '@tensorflow/tfjs';
import type { Initializers } from './init.js';
import type { LayerCost } from './spec.js';

/**
 * An LSTM over `steps` steps of `inputs` values. With a projection the recurrent state is the
 * projected output and the cell adds 3·units peepholes and a units×projection matrix. The
 * activation buffer is the gate vector (4·units), plus the unprojected output the projection
 * reads (units) — the counting that reproduces the paper's memory column.
 */
export function lstmCost(name: string, inputs: number, units: number, steps: number, projection?: number): LayerCost {
  const state = projection ?? units;
  const gateMacs = (inputs + state) * 4 * units;
  const projectionMacs = projection === undefined ? 0 : units * projection;
  const weights = gateMacs + 4 * units + projectionMacs + (projection === undefined ? 0 : 3 * units);
  return {
    name,
    params: weights,
    weights,
    macs: steps * (gateMacs + projectionMacs),
    activations: 4 * units + (projection === undefined ? 0 : units),
  };
}

/** A TF1 GRU cell: gate matrices [inputs + units, 2·units] and candidate [inputs + units, units], with biases. */
export function gruCost(name: string, inputs: number, units: number, steps: number): LayerCost {
  const matrix = (inputs + units) * 3 * units;
  return { name, params: matrix + 3 * units, weights: matrix + 3 * units, macs: steps * matrix, activations: 3 * units };
}

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
