/**
 * The one integer path from float features to classes, as the device computes it: quantise the
 * features to the network's input format (the front end's int8 step), run the integer network
 * (a bit-exact CMSIS-NN simulator), then arg-max or `kws_softmax`. Every target (q7, s8, the
 * recurrent q7 networks) supplies an `IntegerEngine`; quantisation's own accuracy check, eval,
 * predict and detect all go through `integerClassifier`.
 */
import { KwsError } from '../errors.js';
import { quantizeFeatures } from '../features/quantize.js';
import { argmax } from '../metrics.js';
import type { Engine } from '../wasm/engine.js';
import type { QuantizedNetwork } from './ir.js';
import { createSimulator, type Simulator } from './simulate.js';
import { PROBABILITY_ONE, kwsSoftmax, logitFrac, q7ExpTable } from './softmax.js';

/** What a target's integer pipeline does with one input. */
export interface IntegerEngine {
  readonly inputSize: number;
  readonly labelCount: number;
  /** The front end's int8 step of one feature row into `out`. */
  quantizeInput(row: Float32Array, out: Int8Array): void;
  /** The int8 logits of one int8 input (`out` is reused). */
  run(input: Int8Array, out: Int8Array): Int8Array;
  /** What the emitted `kws_softmax` writes for these logits: Q15 probabilities, PROBABILITY_ONE = 1. */
  probabilities(logits: Int8Array, out: Uint16Array): Uint16Array;
}

export interface IntegerClassifier {
  readonly inputSize: number;
  /** The int8 logits of one feature row; the input and output buffers are reused by the next call. */
  logits(row: Float32Array): Int8Array;
  /** The int8 input of the last `logits` call (what the device's front end hands the network). */
  readonly input: Int8Array;
  /** The arg-max class per row (first maximum wins, as on the device). */
  predict(x: Float32Array): Int32Array;
  /** Per row, what the device reports: `kws_softmax` of the logits / PROBABILITY_ONE. */
  scores(x: Float32Array): Float32Array;
}

export function integerClassifier(engine: IntegerEngine): IntegerClassifier {
  const { inputSize, labelCount } = engine;
  const input = new Int8Array(inputSize);
  const output = new Int8Array(labelCount);
  const probabilities = new Uint16Array(labelCount);
  const logits = (row: Float32Array): Int8Array => {
    engine.quantizeInput(row, input);
    return engine.run(input, output);
  };
  const rowsOf = (x: Float32Array): number => {
    if (x.length % inputSize !== 0) {
      throw new KwsError(`features hold ${x.length} values, not a multiple of the model's input size ${inputSize}`);
    }
    return x.length / inputSize;
  };
  const row = (x: Float32Array, r: number) => x.subarray(r * inputSize, (r + 1) * inputSize);
  return {
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
        engine.probabilities(logits(row(x, r)), probabilities);
        for (let c = 0; c < labelCount; c++) out[r * labelCount + c] = probabilities[c]! / PROBABILITY_ONE;
      }
      return out;
    },
  };
}

/** What the q7 (power-of-two) networks share: their input format, shape and a simulator of their C. */
interface Q7Network {
  frames: number;
  coefficients: number;
  labels: readonly string[];
  inputFrac: number;
}

/**
 * The q7 target's engine around a simulator: MFCC_DEC_BITS in, kws_softmax over the table for
 * logits with `logitFrac` fractional bits out; `simulator` stays reachable.
 */
export function q7Classifier<S extends { run(input: Int8Array, out: Int8Array): Int8Array }>(
  network: Q7Network,
  logitFrac: number,
  simulator: S,
): IntegerClassifier & { simulator: S } {
  const expTable = q7ExpTable(logitFrac);
  const classifier = integerClassifier({
    inputSize: network.frames * network.coefficients,
    labelCount: network.labels.length,
    quantizeInput: (row, out) => quantizeFeatures(row, network.inputFrac, out),
    run: (input, out) => simulator.run(input, out),
    probabilities: (logits, out) => kwsSoftmax(logits, expTable, out),
  });
  return { ...classifier, simulator };
}

/** The q7 target for dnn, cnn and ds_cnn; `simulator` exposes its saturation counts. */
export function createIntegerClassifier(
  network: QuantizedNetwork,
  engine: Engine = 'auto',
): IntegerClassifier & { simulator: Simulator } {
  return q7Classifier(network, logitFrac(network), createSimulator(network, engine));
}
