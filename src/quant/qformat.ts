/**
 * Per-tensor power-of-two fixed point, as ARM's quant_test.py chose it: a tensor whose largest
 * magnitude is m gets `frac = 7 − ceil(log2 m)` fractional bits, i.e. the smallest Qm.n that
 * holds m. Values are rounded half to even (numpy's `round`, so weights match ARM's headers
 * bit for bit) and — unlike ARM's script — saturated to [−128, 127], counting how many were.
 */

/** Fractional bits used for an all-zero tensor: any format holds it; pick the finest. */
const FRAC_FOR_ZERO = 7;

export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]!);
    if (a > m) m = a;
  }
  return m;
}

/** `7 − ceil(log2 m)`; can exceed 7 for small tensors or go negative for large ones. */
export function fracBitsFor(maxMagnitude: number): number {
  if (!(maxMagnitude > 0) || !Number.isFinite(maxMagnitude)) return FRAC_FOR_ZERO;
  return 7 - Math.ceil(Math.log2(maxMagnitude));
}

/** numpy's `round`: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** C's `round`: halves go away from zero (the device's MFCC quantisation). */
export function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.floor(Math.abs(x) + 0.5);
}

export function saturateInt8(x: number): number {
  return x > 127 ? 127 : x < -128 ? -128 : x;
}

export interface QuantizedTensor {
  values: Int8Array;
  frac: number;
  /** Elements that fell outside [−128, 127] after rounding and were clamped. */
  saturated: number;
  /** Largest magnitude of the float tensor. */
  maxAbs: number;
}

/** `round_half_even(v · 2^frac)` saturated to int8. */
export function quantizeWithFrac(values: ArrayLike<number>, frac: number): QuantizedTensor {
  const scale = 2 ** frac;
  const out = new Int8Array(values.length);
  let saturated = 0;
  for (let i = 0; i < values.length; i++) {
    const q = roundHalfEven(values[i]! * scale);
    const clamped = saturateInt8(q);
    if (clamped !== q) saturated++;
    out[i] = clamped;
  }
  return { values: out, frac, saturated, maxAbs: maxAbs(values) };
}

/** Quantise with the tensor's own power-of-two format (quant_test.py's rule). */
export function quantizeTensor(values: ArrayLike<number>): QuantizedTensor {
  return quantizeWithFrac(values, fracBitsFor(maxAbs(values)));
}

export function dequantize(values: Int8Array, frac: number): Float32Array {
  const scale = 2 ** -frac;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]! * scale;
  return out;
}

/** `Q3.4` for the usual formats; plain fractional bits where m or n would be negative. */
export function qFormatName(frac: number, bits: 8 | 16 = 8): string {
  const integer = bits - 1 - frac;
  return frac >= 0 && integer >= 0 ? `Q${integer}.${frac}` : `${frac} fractional bits`;
}
