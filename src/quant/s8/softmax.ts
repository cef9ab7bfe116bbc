/**
 * arm_softmax_s8 (Source/SoftmaxFunctions/arm_nn_softmax_common_s8.c; the Helium variant computes
 * the same) and its arguments as TFLite Micro derives them from the logits' scale (beta 1, five
 * integer bits for the scaled differences: PreprocessSoftmaxScaling, CalculateInputRadius). The
 * output is int8 at scale 1/256 and zero point −128: probability = (q + 128) / 256.
 */
import {
  INT32_MAX,
  divideByPowerOfTwo,
  expOnNegativeValues,
  oneOverOnePlusX,
  quantizeMultiplier,
  saturatingDoublingHighMultiply,
} from './requantize.js';

export interface SoftmaxParameters {
  /** The input scale × 2^26 as a Q31 multiplier with a left shift in [0, 31]. */
  multiplier: number;
  shift: number;
  /** Differences from the row's maximum below this give probability 0. */
  diffMin: number;
}

const SCALED_DIFF_INTEGER_BITS = 5;
/** Fractional bits of the exp sum (arm_nn_softmax_common_s8's ACCUM_BITS). */
const ACCUM_BITS = 12;

export function softmaxParameters(inputScale: number): SoftmaxParameters {
  const real = Math.min(inputScale * 2 ** (31 - SCALED_DIFF_INTEGER_BITS), INT32_MAX);
  if (!(real > 1)) throw new RangeError(`softmax: logit scale ${inputScale} is too small for arm_softmax_s8`);
  const { multiplier, shift } = quantizeMultiplier(real);
  // CalculateInputRadius: the largest difference whose scaled value still fits Q5.26.
  const radius = Math.floor(((2 ** SCALED_DIFF_INTEGER_BITS - 1) * 2 ** (31 - SCALED_DIFF_INTEGER_BITS)) / 2 ** shift);
  return { multiplier, shift, diffMin: -radius };
}

/** arm_softmax_s8 of one row, into `output` (allocated when absent). */
export function softmaxS8(
  input: Int8Array,
  parameters: SoftmaxParameters,
  output: Int8Array = new Int8Array(input.length),
): Int8Array {
  const { multiplier, shift, diffMin } = parameters;
  const mask = 1 << shift;
  let max = -128;
  for (const v of input) if (v > max) max = v;
  const expOf = (diff: number): number =>
    expOnNegativeValues(saturatingDoublingHighMultiply(Math.imul(diff, mask), multiplier));
  let sum = 0;
  for (const v of input) {
    const diff = v - max;
    if (diff >= diffMin) sum = (sum + divideByPowerOfTwo(expOf(diff), ACCUM_BITS)) | 0;
  }
  const headroom = Math.clz32(sum);
  const shiftedScale = oneOverOnePlusX(((sum > 0 ? sum << headroom : 0) + 2 ** 31) | 0);
  const bitsOverUnit = ACCUM_BITS - headroom + 23;
  for (let i = 0; i < input.length; i++) {
    const diff = input[i]! - max;
    if (diff < diffMin) {
      output[i] = -128;
      continue;
    }
    const q = divideByPowerOfTwo(saturatingDoublingHighMultiply(shiftedScale, expOf(diff)), bitsOverUnit) - 128;
    output[i] = q > 127 ? 127 : q < -128 ? -128 : q;
  }
  return output;
}

/**
 * What the emitted `kws_softmax` of the s8 target writes: arm_softmax_s8's probability
 * (q + 128) / 256 as a q7 probability, (q + 128) >> 1, 128 = 1 — the unit of every target, so
 * the streaming detector and `kws detect` treat s8 and q7 networks alike.
 */
export function probabilitiesQ7(logits: Int8Array, parameters: SoftmaxParameters, output: Int8Array): Int8Array {
  softmaxS8(logits, parameters, output);
  for (let i = 0; i < output.length; i++) output[i] = (output[i]! + 128) >> 1;
  return output;
}
