/** Costs and layers shared by the recurrent families (basic_lstm, lstm, gru, crnn). */
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
    scratch: 0,
  };
}

/** A TF1 GRU cell: gate matrices [inputs + units, 2·units] and candidate [inputs + units, units], with biases. */
export function gruCost(name: string, inputs: number, units: number, steps: number): LayerCost {
  const matrix = (inputs + units) * 3 * units;
  return {
    name,
    params: matrix + 3 * units,
    weights: matrix + 3 * units,
    macs: steps * matrix,
    activations: 3 * units,
    scratch: 0,
  };
}
