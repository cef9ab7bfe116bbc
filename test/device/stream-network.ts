/**
 * A small integer dnn that fires on the generated event stream: five hidden units measure the
 * window's energy (MFCC c0 above the quiet background) and the sign of its spectral tilt (c1)
 * and of c2; the logits make quiet windows `_silence_`, and energetic ones one of three keywords
 * by tilt (or `_unknown_` when neither dominates). Hand-set weights, so detections depend on the
 * audio in a way a test can reason about, unlike a random network's.
 */
import { DEFAULT_FEATURE_CONFIG, featureGeometry, type FeatureConfig } from '../../src/features/config.js';
import { fixedPoint, type DenseLayer, type QuantizedNetwork } from '../../src/quant/ir.js';

/** int8 features in Q5.2: the background's c0 (about -14) is -56, a loud event's up to +30. */
const INPUT_FRAC = 2;
export const FIRING_LABELS = ['_silence_', '_unknown_', 'bright', 'dark', 'round'];

/** Hidden units: which coefficient each sums over all frames, with which sign and bias (in input units). */
const HIDDEN: ReadonlyArray<{ coefficient: number; sign: 1 | -1; bias: number }> = [
  { coefficient: 0, sign: 1, bias: 2400 }, // energy: 49 frames of c0 = -14 sum to -2744
  { coefficient: 1, sign: 1, bias: 672 }, // tilt up against the background's c1 of about -3.5
  { coefficient: 1, sign: -1, bias: -672 }, // tilt down
  { coefficient: 2, sign: 1, bias: 0 },
  { coefficient: 2, sign: -1, bias: 0 },
];
const HIDDEN_BIAS_SHIFT = 5;
const HIDDEN_OUT_SHIFT = 4;

/** Logit weights per label over the hidden units, and biases (hidden units' format); the output shift divides by 16. */
const LOGITS: ReadonlyArray<{ weights: number[]; bias: number }> = [
  { weights: [-2, 0, 0, 0, 0], bias: 64 },
  { weights: [1, 0, 0, 0, 0], bias: -16 },
  { weights: [2, 4, -4, 0, 0], bias: -64 },
  { weights: [2, -4, 6, 0, 0], bias: -64 },
  { weights: [2, 0, 0, -4, 4], bias: -64 },
];
const LOGIT_OUT_SHIFT = 4;
const WEIGHT_FRAC = 6;

export function firingNetwork(feature: FeatureConfig = { ...DEFAULT_FEATURE_CONFIG }): QuantizedNetwork {
  const { frames, coefficients } = featureGeometry(feature);
  const inputSize = frames * coefficients;
  const hiddenWeights = new Int8Array(HIDDEN.length * inputSize);
  HIDDEN.forEach((unit, h) => {
    for (let f = 0; f < frames; f++) hiddenWeights[h * inputSize + f * coefficients + unit.coefficient] = unit.sign;
  });
  const hiddenFrac = INPUT_FRAC + WEIGHT_FRAC - HIDDEN_OUT_SHIFT;
  const hidden: DenseLayer = {
    kind: 'dense',
    name: 'IP1',
    source: 'hand-set',
    inputSize,
    outputSize: HIDDEN.length,
    weights: hiddenWeights,
    bias: Int8Array.from(HIDDEN, (unit) => unit.bias / 2 ** HIDDEN_BIAS_SHIFT),
    ...fixedPoint(INPUT_FRAC, WEIGHT_FRAC, INPUT_FRAC + WEIGHT_FRAC - HIDDEN_BIAS_SHIFT, hiddenFrac),
  };
  // A pass-through layer: the emitted C of a two-layer dnn leaves its second buffer unused, which -Werror refuses.
  const passThrough: DenseLayer = {
    kind: 'dense',
    name: 'IP2',
    source: 'identity',
    inputSize: HIDDEN.length,
    outputSize: HIDDEN.length,
    weights: Int8Array.from({ length: HIDDEN.length ** 2 }, (_, i) => (i % (HIDDEN.length + 1) === 0 ? 1 : 0)),
    bias: new Int8Array(HIDDEN.length),
    ...fixedPoint(hiddenFrac, 0, hiddenFrac, hiddenFrac),
  };
  const logits: DenseLayer = {
    kind: 'dense',
    name: 'IP3',
    source: 'hand-set',
    inputSize: HIDDEN.length,
    outputSize: LOGITS.length,
    weights: Int8Array.from(LOGITS.flatMap((label) => label.weights)),
    bias: Int8Array.from(LOGITS, (label) => label.bias),
    // Whole weights and whole logits (Q7.0): a logit one higher weighs e times more in kws_softmax.
    ...fixedPoint(hiddenFrac, 0, hiddenFrac, hiddenFrac - LOGIT_OUT_SHIFT),
  };
  return {
    architecture: 'dnn',
    feature,
    frames,
    coefficients,
    inputFrac: INPUT_FRAC,
    labels: FIRING_LABELS,
    layers: [hidden, { kind: 'relu', size: HIDDEN.length }, passThrough, logits],
  };
}
