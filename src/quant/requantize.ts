/** The output step every weighted CMSIS-NN kernel ends with, for both simulator engines. */

/** Out-of-range outputs are clamped and counted here (one slot per layer of the network). */
export type SaturationCounts = Float64Array;

export function roundConstant(outShift: number): number {
  return outShift > 0 ? 1 << (outShift - 1) : 0;
}

function clampCounted(v: number, max: number, counts: SaturationCounts, slot: number): number {
  if (v > max) {
    counts[slot]!++;
    return max;
  }
  if (v < -max - 1) {
    counts[slot]!++;
    return -max - 1;
  }
  return v;
}

/**
 * Shifts the accumulator down and clamps to q7, counting a clamp in `counts[slot]`. `acc` (bias
 * term + rounding + sum, each int32) may leave the int32 range; it wraps here as the C's q31 would.
 */
export function requantize(acc: number, outShift: number, counts: SaturationCounts, slot: number): number {
  return clampCounted((acc | 0) >> outShift, 127, counts, slot);
}

/** The same to q15: the kernels with q15 outputs (the recurrent networks'). */
export function requantizeQ15(acc: number, outShift: number, counts: SaturationCounts, slot: number): number {
  return clampCounted((acc | 0) >> outShift, 32767, counts, slot);
}
