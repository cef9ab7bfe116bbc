/**
 * Where a convolution window reads its input: the patch of a regular convolution and the taps
 * of a depthwise one, shared by the float and integer forward passes and their engines.
 */
import type { MapShape, Pair } from './ir.js';

/** The geometry gatherPatch and listTaps need (integer layers and their float forms alike). */
export interface WindowGeometry {
  input: MapShape;
  kernel: Pair;
  stride: Pair;
  padding: Pair;
}

/**
 * The input patch of output position (oy, ox) into patch[at …], `[ky][kx][in]` like the
 * weights, zeros where the window hangs over the padding (they add nothing, as the C skips them).
 */
export function gatherPatch<T extends Int8Array | Float32Array>(layer: WindowGeometry, input: T, oy: number, ox: number, patch: T, at: number): void {
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
export function listTaps(layer: WindowGeometry, oy: number, ox: number, taps: Int32Array, at: number): number {
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
