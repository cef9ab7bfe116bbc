/**
 * The s8 target's integer pipeline for `integerClassifier`: the front end's quantisation
 * (`round(x / KWS_INPUT_SCALE) + KWS_INPUT_ZERO_POINT`), the bit-exact CMSIS-NN s8 simulator, and
 * `kws_softmax` (arm_softmax_s8 as q7 probabilities).
 */
import type { Engine } from '../../wasm/engine.js';
import { integerClassifier, type IntegerClassifier } from '../integer-classifier.js';
import type { S8Network } from './ir.js';
import { quantizeFeaturesAffine } from '../../features/quantize.js';
import { createS8Simulator, type S8Simulator } from './simulate.js';
import { probabilitiesQ7 } from './softmax.js';

export function createS8Classifier(
  network: S8Network,
  engine: Engine = 'auto',
): IntegerClassifier & { simulator: S8Simulator } {
  const simulator = createS8Simulator(network, engine);
  const classifier = integerClassifier({
    inputSize: network.frames * network.coefficients,
    labelCount: network.labels.length,
    quantizeInput: (row, out) => quantizeFeaturesAffine(row, network.inputScale, network.inputZeroPoint, out),
    run: (input, out) => simulator.run(input, out),
    probabilities: (logits, out) => probabilitiesQ7(logits, network.softmax, out),
  });
  return { ...classifier, simulator };
}
