/**
 * The fixed-point arithmetic of TFLite's int8 scheme, exactly as CMSIS-NN computes it:
 *   quantizeMultiplier         TFLite's QuantizeMultiplier (quantization_util.cc): a real scale as a
 *                              Q31 significand and a power-of-two shift, significand·2^(shift−31);
 *   requantize                 arm_nn_requantize (Include/arm_nnsupportfunctions.h, the default build,
 *                              not CMSIS_NN_USE_SINGLE_ROUNDING): optional left shift, doubling high
 *                              multiply rounding half up, then a right shift rounding halves away from 0.
 * Everything is int32 that wraps like the C does on Cortex-M; the 64-bit products of the C are
 * formed exactly from 16-bit halves (a double holds 53 bits).
 */
import { roundHalfAway } from '../qformat.js';

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
const TWO_POW_30 = 1073741824;
const TWO_POW_31 = 2147483648;

export interface QuantizedMultiplier {
  /** Q31 significand in [2^30, 2^31) (negated for negative scales), or 0. */
  multiplier: number;
  /** Power of two: the scale is multiplier · 2^(shift − 31). */
  shift: number;
}

/**
 * TFLite's QuantizeMultiplier: frexp, the significand rounded half away from zero to 31 bits
 * (a significand that rounds up to 2^31 is halved and the shift raised), and scales below
 * about 2^−31 flushed to (0, 0).
 */
export function quantizeMultiplier(real: number): QuantizedMultiplier {
  if (!Number.isFinite(real)) throw new RangeError(`quantizeMultiplier: ${real} is not a finite scale`);
  // Far below 2^−32 the result is (0, 0) anyway; this also keeps 2^shift a normal double.
  if (Math.abs(real) < 2 ** -64) return { multiplier: 0, shift: 0 };
  let shift = Math.floor(Math.log2(Math.abs(real))) + 1;
  // log2 can be one off next to a power of two: settle frexp's significand in [0.5, 1).
  while (Math.abs(real / 2 ** shift) >= 1) shift++;
  while (Math.abs(real / 2 ** shift) < 0.5) shift--;
  let multiplier = roundHalfAway((real / 2 ** shift) * TWO_POW_31);
  if (multiplier === TWO_POW_31) {
    multiplier /= 2;
    shift++;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  return { multiplier, shift };
}

/** floor((a · b + 2^30) / 2^31) for int32 a, b: the 64-bit product split so every step is exact. */
function roundedHighProduct(a: number, b: number): number {
  const high = a * (b >> 16); // |high| < 2^46
  const low = a * (b & 0xffff); // |low| < 2^47
  // a · b = high · 2^16 + low, and high = highQuotient · 2^15 + highRemainder.
  const highQuotient = Math.floor(high / 32768);
  const highRemainder = high - highQuotient * 32768;
  return highQuotient + Math.floor((highRemainder * 65536 + low + TWO_POW_30) / TWO_POW_31);
}

/** arm_nn_doubling_high_mult_no_sat: (a · b + 2^30) >> 31 in 64 bits, as int32. */
export function doublingHighMultiply(a: number, b: number): number {
  return roundedHighProduct(a, b) | 0;
}

/** arm_nn_divide_by_power_of_two: arithmetic right shift by 0…31, halves rounded away from zero. */
export function divideByPowerOfTwo(dividend: number, exponent: number): number {
  const remainderMask = ((1 << exponent) - 1) | 0;
  const remainder = remainderMask & dividend;
  let result = dividend >> exponent;
  const threshold = (remainderMask >> 1) + (result < 0 ? 1 : 0);
  if (remainder > threshold) result++;
  return result | 0;
}

/** arm_nn_requantize: `value · multiplier · 2^(shift − 31)` with CMSIS-NN's two roundings; shift in [−31, 30]. */
export function requantize(value: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return divideByPowerOfTwo(doublingHighMultiply(Math.imul(value, 1 << left), multiplier), right);
}
