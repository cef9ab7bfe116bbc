/**
 * What quantisation-aware training needs from each CMSIS-NN target (qat.ts does the rest):
 * how a point's range is tracked, how the target's kernels round, and the integer network
 * `kws quantize` builds from the ranges — with what its int8 points, weights and biases mean.
 *   cmsis-nn-q7  a range is the largest |value|, giving the power-of-two format 7 − ceil(log2 r)
 *                (quant/quantize.ts); outputs round half up, the average pool truncates;
 *   cmsis-nn-s8  a range is the smallest and largest value, giving TFLite's scale and zero point
 *                (quant/s8/build.ts, weights per output channel); arm_nn_requantize and
 *                arm_avgpool_s8 round halves away from zero.
 */
import type { PointQuantization, TargetRounding } from '../backend/plan/fake-quant.js';
import { RoundingMode } from '../backend/plan/kernels.js';
import type { FloatNetwork } from '../quant/float-network.js';
import { isWeighted, type QuantizedNetwork } from '../quant/ir.js';
import { dequantize, fracBitsFor } from '../quant/qformat.js';
import { buildIntegerNetwork } from '../quant/quantize.js';
import { type ActivationRange, buildS8Network, realValues } from '../quant/s8/build.js';
import { isS8Weighted, type S8Network } from '../quant/s8/ir.js';
import { Q7_TARGET, S8_TARGET, type TargetName } from '../targets.js';
import type { QatRange } from '../run/trainer-state.js';

/** Weight of the previous range in the moving average (TensorFlow's QAT uses 0.999 over far longer runs). */
export const RANGE_DECAY = 0.99;

/** A weighted layer's weights (CMSIS order) and bias as real values. */
export interface LayerValues {
  weights: Float32Array;
  bias: Float32Array;
}

/** The integer network for some ranges, and what the forward pass must compute to match it. */
export interface QuantizedPass {
  network: QuantizedNetwork | S8Network;
  /** Per quantisation point (the input first), the int8 quantisation the network stores there. */
  points: PointQuantization[];
  /** Per weighted layer, what its int8 weights and biases stand for. */
  layers: LayerValues[];
}

export interface QatTarget<Range extends QatRange> {
  name: TargetName;
  rounding: TargetRounding;
  /** Whether a saved range is this target's kind. */
  isRange(range: QatRange): range is Range;
  /** The range one batch shows at a point, from its smallest and largest value (both hold 0). */
  observed(min: number, max: number): Range;
  /** The moving average moved toward what a batch showed. */
  tracked(previous: Range, observed: Range): Range;
  quantize(float: FloatNetwork, ranges: readonly Range[]): QuantizedPass;
}

const average = (previous: number, observed: number): number => RANGE_DECAY * previous + (1 - RANGE_DECAY) * observed;

const q7: QatTarget<number> = {
  name: Q7_TARGET,
  rounding: { output: RoundingMode.halfUp, pool: RoundingMode.towardZero },
  isRange: (range): range is number => typeof range === 'number',
  observed: (min, max) => Math.max(-min, max),
  tracked: average,
  quantize(float, ranges) {
    const { network, pointFracs } = buildIntegerNetwork(float, ranges.map(fracBitsFor));
    return {
      network,
      points: pointFracs.map((frac) => ({ step: 2 ** -frac, zeroPoint: 0 })),
      layers: network.layers
        .filter(isWeighted)
        .map((l) => ({ weights: dequantize(l.weights, l.weightFrac), bias: dequantize(l.bias, l.biasFrac) })),
    };
  },
};

const s8: QatTarget<ActivationRange> = {
  name: S8_TARGET,
  rounding: { output: RoundingMode.halfAwayFromZero, pool: RoundingMode.halfAwayFromZero },
  isRange: (range): range is ActivationRange =>
    typeof range === 'object' && typeof range.min === 'number' && typeof range.max === 'number',
  observed: (min, max) => ({ min, max }),
  tracked: (previous, observed) => ({
    min: average(previous.min, observed.min),
    max: average(previous.max, observed.max),
  }),
  quantize(float, ranges) {
    const { network, points } = buildS8Network(float, ranges);
    return {
      network,
      points: points.map(({ scale, zeroPoint }) => ({ step: scale, zeroPoint })),
      layers: network.layers.filter(isS8Weighted).map(realValues),
    };
  },
};

/** Each target only ever meets ranges it accepted with isRange (qat.ts). */
export function qatTarget(name: TargetName): QatTarget<QatRange> {
  return name === S8_TARGET ? s8 : q7;
}
