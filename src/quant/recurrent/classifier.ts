/**
 * The recurrent networks on the one integer path (integer-classifier.ts): q7 features in, the
 * bit-exact simulator of the emitted C, kws_softmax out — as for the q7 feed-forward networks.
 */
import { type IntegerClassifier, q7Classifier } from '../integer-classifier.js';
import { logitFrac } from '../softmax.js';
import type { RecurrentNetwork } from './ir.js';
import { type RecurrentSimulator, createRecurrentSimulator } from './simulate.js';

/** `simulator` exposes the saturation counts per calibration point. */
export function createRecurrentClassifier(
  network: RecurrentNetwork,
): IntegerClassifier & { simulator: RecurrentSimulator } {
  return q7Classifier(network, logitFrac(network), createRecurrentSimulator(network));
}
