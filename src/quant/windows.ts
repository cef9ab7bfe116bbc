/**
 * Where a weighted layer's kernel reads its input — the patch of a regular convolution, the taps
 * of a depthwise one — and how many values it reads and writes; shared by the float and integer
 * forward passes and their engines.
 */
import { mapSize, type MapShape, type Pair } from './ir.js';

/** The geometry gatherPatch and listTaps need (integer layers and their float forms alike). */
export interface WindowGeometry {
  input: MapShape;
  output: MapShape;
  kernel: Pair;
  stride: Pair;
  padding: Pair;
}

/** A weighted layer's geometry, integer or float. */
export type WeightedGeometry =
  | (WindowGeometry & { kind: 'conv' | 'depthwise' })
  | { kind: 'pointwise'; input: MapShape; output: MapShape }
  | { kind: 'dense'; inputSize: number; outputSize: number };

/** Output positions: 1 for a dense layer, else the output map's height × width. */
export function outputPositions(layer: WeightedGeometry): number {
  return layer.kind === 'dense' ? 1 : layer.output.height * layer.output.width;
}

/** Values per output position (output channels, or the dense layer's outputs). */
export function outputRows(layer: WeightedGeometry): number {
  return layer.kind === 'dense' ? layer.outputSize : layer.output.channels;
}

/** Inputs one output value of a matrix layer (conv, pointwise, dense) is a dot product over. */
export function dotLength(layer: Exclude<WeightedGeometry, { kind: 'depthwise' }>): number {
  return layer.kind === 'dense'
    ? layer.inputSize
    : layer.kind === 'conv'
      ? layer.kernel.y * layer.kernel.x * layer.input.channels
      : layer.input.channels;
}

/** Values a kernel reads as its input: a conv's patches of every position, else the layer input. */
export function kernelInputSize(layer: WeightedGeometry): number {
  if (layer.kind === 'conv') return outputPositions(layer) * dotLength(layer);
  return layer.kind === 'dense' ? layer.inputSize : mapSize(layer.input);
}

/** Every position's patch, one after another, into `patches` (the conv input as a matrix). */
export function gatherPatches<T extends Int8Array | Float32Array>(
  layer: WindowGeometry & { kind: 'conv' },
  input: T,
  patches: T,
): void {
  const filterSize = dotLength(layer);
  for (let oy = 0, at = 0; oy < layer.output.height; oy++) {
    for (let ox = 0; ox < layer.output.width; ox++, at += filterSize) gatherPatch(layer, input, oy, ox, patches, at);
  }
}

/** Int32 entries per position of a tap table: the count, then an (input, weight) offset pair per tap. */
export function tapTableStride(layer: WindowGeometry): number {
  return 1 + 2 * layer.kernel.y * layer.kernel.x;
}

/** The tap table of every output position (see tapTableStride), for the depthwise kernels. */
export function fillTapTable(layer: WindowGeometry, table: Int32Array): void {
  const stride = tapTableStride(layer);
  for (let oy = 0, p = 0; oy < layer.output.height; oy++) {
    for (let ox = 0; ox < layer.output.width; ox++, p++)
      table[p * stride] = listTaps(layer, oy, ox, table, p * stride + 1);
  }
}

/**
 * The input patch of output position (oy, ox) into patch[at …], `[ky][kx][in]` like the
 * weights, zeros where the window hangs over the padding (they add nothing, as the C skips them).
 */
export function gatherPatch<T extends Int8Array | Float32Array>(
  layer: WindowGeometry,
  input: T,
  oy: number,
  ox: number,
  patch: T,
  at: number,
): void {
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
