/**
 * The s8 target's integer pipeline for `integerClassifier`: the front end's quantisation
 * (`round(x / KWS_INPUT_SCALE) + KWS_INPUT_ZERO_POINT`), the bit-exact CMSIS-NN s8 simulator, and
 * `kws_softmax` (kwsSoftmax over the table for the logits' scale: Q15 probabilities, as every target).
 */
import type { Engine } from '../../wasm/engine.js';
import { integerClassifier, type IntegerClassifier } from '../integer-classifier.js';
import { kwsSoftmax } from '../softmax.js';
import { type S8Network, s8ExpTable } from './ir.js';
import { quantizeFeaturesAffine } from '../../features/quantize.js';
import { createS8Simulator, type S8Simulator } from './simulate.js';

export function createS8Classifier(
  network: S8Network,
  engine: Engine = 'auto',
): IntegerClassifier & { simulator: S8Simulator } {
  const simulator = createS8Simulator(network, engine);
  const table = s8ExpTable(network);
  const classifier = integerClassifier({
    inputSize: network.frames * network.coefficients,
    labelCount: network.labels.length,
    quantizeInput: (row, out) => quantizeFeaturesAffine(row, network.inputScale, network.inputZeroPoint, out),
    run: (input, out) => simulator.run(input, out),
    probabilities: (logits, out) => kwsSoftmax(logits, table, out),
  });
  return { ...classifier, simulator };
}
