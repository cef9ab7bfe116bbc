/**
 * Features as the device feeds them to the network: the int8 step at the end of the front end.
 * The q7 target scales by a power of two (ARM mfcc.cpp's MFCC_DEC_BITS), the s8 target by its
 * input's scale and zero point (TFLite's affine scheme). Rounding is C `round`/`roundf`: halves
 * away from zero; the result is saturated to int8.
 */
export type InputQuantization =
  { kind: 'power-of-two'; decBits: number } | { kind: 'affine'; scale: number; zeroPoint: number };

export function powerOfTwo(decBits: number): InputQuantization {
  return { kind: 'power-of-two', decBits };
}

/** C `round`: Math.round sends −2.5 to −2, C to −3. */
function roundHalfAway(value: number): number {
  return value < 0 ? -Math.round(-value) : Math.round(value);
}

function saturate(value: number): number {
  return value > 127 ? 127 : value < -128 ? -128 : value;
}

export function quantizeFeaturesAs(
  input: InputQuantization,
  features: Float32Array,
  out: Int8Array = new Int8Array(features.length),
): Int8Array {
  return input.kind === 'power-of-two'
    ? quantizeFeatures(features, input.decBits, out)
    : quantizeFeaturesAffine(features, input.scale, input.zeroPoint, out);
}

/** round(c · 2^decBits), saturated (the product is exact: c is a float32, the scale a power of two). */
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
  for (let i = 0; i < features.length; i++) out[i] = saturate(roundHalfAway(features[i]! * scale));
  return out;
}

/** roundf(c / scale) + zeroPoint, saturated, with the division in float32 as the device computes it. */
export function quantizeFeaturesAffine(
  features: Float32Array,
  scale: number,
  zeroPoint: number,
  out: Int8Array = new Int8Array(features.length),
): Int8Array {
  if (out.length < features.length)
    throw new RangeError(`quantizeFeaturesAffine: output holds ${out.length} values, need ${features.length}`);
  const scale32 = Math.fround(scale);
  for (let i = 0; i < features.length; i++) {
    out[i] = saturate(roundHalfAway(Math.fround(features[i]! / scale32)) + zeroPoint);
  }
  return out;
}
