/**
 * The output step every weighted CMSIS-NN q7 kernel ends with, and the input gathering the
 * convolutions share; used by both simulator engines (simulate.ts, simulate-wasm.ts).
 */
import type { ConvLayer, DepthwiseLayer } from './ir.js';

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

/**
 * The input patch of output position (oy, ox) into patch[at …], `[ky][kx][in]` like the
 * weights, zeros where the window hangs over the padding (they add nothing, as the C skips them).
 */
export function gatherPatch(layer: ConvLayer, input: Int8Array, oy: number, ox: number, patch: Int8Array, at: number): void {
  const { input: inShape, kernel, stride, padding } = layer;
  const inCh = inShape.channels;
  const y0 = oy * stride.y - padding.y;
  const x0 = ox * stride.x - padding.x;
  for (let ky = 0; ky < kernel.y; ky++) {
    const y = y0 + ky;
    for (let kx = 0; kx < kernel.x; kx++) {
      const x = x0 + kx;
      const inside = y >= 0 && y < inShape.height && x >= 0 && x < inShape.width;
      const inBase = (y * inShape.width + x) * inCh;
      for (let c = 0; c < inCh; c++, at++) patch[at] = inside ? input[inBase + c]! : 0;
    }
  }
}

/**
 * The taps of a depthwise window at (oy, ox) that fall inside the map: taps[at + 2t] = input
 * offset, taps[at + 2t + 1] = weight offset of the t-th. Returns how many there are.
 */
export function listTaps(layer: DepthwiseLayer, oy: number, ox: number, taps: Int32Array, at: number): number {
  const { input: inShape, kernel, stride, padding } = layer;
  const ch = inShape.channels;
  const y0 = oy * stride.y - padding.y;
  const x0 = ox * stride.x - padding.x;
  let count = 0;
  for (let ky = 0; ky < kernel.y; ky++) {
    const y = y0 + ky;
    if (y < 0 || y >= inShape.height) continue;
    for (let kx = 0; kx < kernel.x; kx++) {
      const x = x0 + kx;
      if (x < 0 || x >= inShape.width) continue;
      taps[at + 2 * count] = (y * inShape.width + x) * ch;
      taps[at + 2 * count + 1] = (ky * kernel.x + kx) * ch;
      count++;
    }
  }
  return count;
}
