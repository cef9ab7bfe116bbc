/**
 * Features as the device feeds them to the network (ARM mfcc.cpp): round(c · 2^decBits) with C
 * `round` (half away from zero), saturated to int8.
 */
export function quantizeFeatures(
  features: Float32Array,
  decBits: number,
  out: Int8Array = new Int8Array(features.length),
): Int8Array {
  if (!Number.isInteger(decBits))
    throw new RangeError(`quantizeFeatures: decBits must be a whole number (got ${decBits})`);
  if (out.length < features.length)
    throw new RangeError(`quantizeFeatures: output holds ${out.length} values, need ${features.length}`);
  const scale = 2 ** decBits;
  for (let i = 0; i < features.length; i++) {
    const scaled = features[i]! * scale;
    // Math.round rounds halves up (−2.5 → −2); C round() goes away from zero (−2.5 → −3).
    const rounded = scaled < 0 ? -Math.round(-scaled) : Math.round(scaled);
    out[i] = rounded > 127 ? 127 : rounded < -128 ? -128 : rounded;
  }
  return out;
}
