/**
 * Where a q7 network loses against its float weights: the float network run with one source of
 * quantisation at a time — one point's activations rounded to the format the integer network
 * gives it, or one layer's weights and bias replaced by their int8 values — and with all
 * activations, and all weights, at once. Each row's predictions can then be compared with the
 * float ones clip by clip (`kws eval --quantized --by-point`). Sources do not add up exactly
 * (rounding errors interact), but a point that costs many clips alone is the one whose range or
 * format to look at: ARM's users found such a point by sweeping `act_max` by hand.
 */
import {
  createFloatForward,
  forwardPredictions,
  type FloatForward,
  type FloatNetwork,
  pointNames,
} from './float-network.js';
import { type QuantizedNetwork, isWeighted } from './ir.js';
import { qFormatName } from './qformat.js';
import { dequantizedNetwork } from './quantize.js';

export interface QuantizationSource {
  /** `activations` of one point (or `all`), or one layer's `weights` (and bias; or `all`). */
  kind: 'activations' | 'weights';
  /** The point or layer name (`input`, `CONV1`, …), or `all`. */
  name: string;
  /** Its Q format (`Q4.3`; weights: weights / bias), empty for `all`. */
  format: string;
  /** The arg-max class per row with only this source quantised. */
  predictions: Int32Array;
}

export interface QuantizationCosts {
  /** The float network's own predictions (batch norm folded, as the integer network was built from). */
  float: Int32Array;
  sources: QuantizationSource[];
}

/** Every source of `network` (built from `float`) on the frame-major rows of `x`. */
export function quantizationCosts(float: FloatNetwork, network: QuantizedNetwork, x: Float32Array): QuantizationCosts {
  const inputSize = float.frames * float.coefficients;
  const rows = x.length / inputSize;
  if (!Number.isInteger(rows))
    throw new Error(`quantizationCosts: ${x.length} values are not whole rows of ${inputSize}`);
  const names = pointNames(float);
  const pointFracs = [network.inputFrac, ...network.layers.flatMap((l) => (l.kind === 'relu' ? [] : [l.outFrac]))];
  if (pointFracs.length !== names.length || network.layers.length !== float.layers.length) {
    throw new Error('quantizationCosts: the integer network was not built from this float network');
  }
  const dequantized = dequantizedNetwork(float, network);
  const predict = (forward: FloatForward, fracs: ReadonlyArray<number | null> = []): Int32Array =>
    forwardPredictions(forward, x, { fracs });
  // One forward pass serves every activation row: only the weight rows need networks of their own.
  const floatForward = createFloatForward(float);
  const sources: QuantizationSource[] = [
    { kind: 'activations', name: 'all', format: '', predictions: predict(floatForward, pointFracs) },
    { kind: 'weights', name: 'all', format: '', predictions: predict(createFloatForward(dequantized)) },
  ];
  names.forEach((name, point) => {
    const only = pointFracs.map((frac, i) => (i === point ? frac : null));
    sources.push({
      kind: 'activations',
      name,
      format: qFormatName(pointFracs[point]!),
      predictions: predict(floatForward, only),
    });
  });
  network.layers.forEach((layer, i) => {
    if (!isWeighted(layer)) return;
    const layers = float.layers.map((original, j) => (j === i ? dequantized.layers[j]! : original));
    sources.push({
      kind: 'weights',
      name: layer.name,
      format: `${qFormatName(layer.weightFrac)} / ${qFormatName(layer.biasFrac)}`,
      predictions: predict(createFloatForward({ ...float, layers })),
    });
  });
  return { float: predict(floatForward), sources };
}
