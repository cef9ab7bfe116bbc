/**
 * The recurrent integer path from float features to classes, as the device computes it: quantise
 * the features to MFCC_DEC_BITS, run the bit-exact simulator of the emitted C, then arg-max or
 * arm_softmax_q7. The same shape as the q7 networks' IntegerClassifier, so eval, predict and
 * detect can take either.
 */
import { KwsError } from '../../errors.js';
import { quantizeFeatures } from '../../features/quantize.js';
import { argmax } from '../../metrics.js';
import { softmaxQ7 } from '../simulate.js';
import type { RecurrentNetwork } from './ir.js';
import { type RecurrentSimulator, createRecurrentSimulator } from './simulate.js';

export interface RecurrentClassifier {
  readonly network: RecurrentNetwork;
  readonly simulator: RecurrentSimulator;
  readonly inputSize: number;
  /** The int8 logits of one feature row; the input and output buffers are reused by the next call. */
  logits(row: Float32Array): Int8Array;
  /** The int8 input of the last `logits` call (what the device's front end hands the network). */
  readonly input: Int8Array;
  /** The arg-max class per row (first maximum wins, as on the device). */
  predict(x: Float32Array): Int32Array;
  /** Per row, what the device reports: `arm_softmax_q7` of the logits / 128. */
  scores(x: Float32Array): Float32Array;
}

export function createRecurrentClassifier(network: RecurrentNetwork): RecurrentClassifier {
  const simulator = createRecurrentSimulator(network);
  const inputSize = network.frames * network.coefficients;
  const labelCount = network.labels.length;
  const input = new Int8Array(inputSize);
  const output = new Int8Array(labelCount);
  const probabilities = new Int8Array(labelCount);
  const logits = (row: Float32Array): Int8Array => {
    quantizeFeatures(row, network.inputFrac, input);
    return simulator.run(input, output);
  };
  const rowsOf = (x: Float32Array): number => {
    if (x.length % inputSize !== 0) {
      throw new KwsError(`features hold ${x.length} values, not a multiple of the model's input size ${inputSize}`);
    }
    return x.length / inputSize;
  };
  const row = (x: Float32Array, r: number) => x.subarray(r * inputSize, (r + 1) * inputSize);
  return {
    network,
    simulator,
    inputSize,
    input,
    logits,
    predict(x) {
      const out = new Int32Array(rowsOf(x));
      for (let r = 0; r < out.length; r++) out[r] = argmax(logits(row(x, r)));
      return out;
    },
    scores(x) {
      const rows = rowsOf(x);
      const out = new Float32Array(rows * labelCount);
      for (let r = 0; r < rows; r++) {
        softmaxQ7(logits(row(x, r)), probabilities);
        for (let c = 0; c < labelCount; c++) out[r * labelCount + c] = probabilities[c]! / 128;
      }
      return out;
    },
  };
}
