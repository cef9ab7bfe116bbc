/** The output step every weighted CMSIS-NN q7 kernel ends with, for both simulator engines. */

/** Out-of-range outputs are clamped and counted here (one slot per layer of the network). */
export type SaturationCounts = Float64Array;

export function roundConstant(outShift: number): number {
  return outShift > 0 ? 1 << (outShift - 1) : 0;
}

/**
 * Shifts the accumulator down and clamps, counting a clamp in `counts[slot]`. `acc` (bias term
 * + rounding + sum, each int32) may leave the int32 range; it wraps here as the C's q31 would.
 */
export function requantize(acc: number, outShift: number, counts: SaturationCounts, slot: number): number {
  const v = (acc | 0) >> outShift;
  if (v > 127) {
    counts[slot]!++;
    return 127;
  }
  if (v < -128) {
    counts[slot]!++;
    return -128;
  }
  return v;
}
