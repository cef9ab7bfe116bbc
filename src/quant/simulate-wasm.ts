/**
 * The simulator's multiply-accumulate loops in WebAssembly SIMD: int8 values widened to i16,
 * products summed in i32 lanes, which wrap at 32 bits exactly like the q31 C accumulator (and
 * the `| 0` of the JavaScript kernels), so results are bit-identical in any summation order.
 * Weights, bias terms and depthwise tap tables are copied into the module's memory once; each
 * layer's input is copied in and its int8 output copied out.
 */
import {
  add,
  and,
  createMemory,
  forLoop,
  get,
  i32,
  i32x4Add,
  i32x4DotI16x8,
  i32x4ExtractLane,
  i32x4MulHighI16x8,
  i32x4MulLowI16x8,
  i32x4Splat,
  i32x4Sub,
  i32x4ShiftRightSigned,
  i32x4GreaterThan,
  i32x4LessThan,
  i16x8NarrowI32x4,
  i8x16NarrowI16x8,
  greaterThan,
  lessThan,
  select,
  shiftRightSigned,
  storeI8,
  kernelModule,
  load,
  loadI32,
  loadI8,
  loadI8x8,
  mul,
  set,
  shiftLeft,
  store,
  storeI32,
  type FunctionDef,
} from '../wasm/assembler.js';
import { mapSize, type QuantizedNetwork, type WeightedLayer } from './ir.js';
import { roundConstant, type SaturationCounts } from './requantize.js';
import {
  dotLength,
  fillTapTable,
  gatherPatches,
  kernelInputSize,
  outputPositions,
  outputRows,
  tapTableStride,
} from './windows.js';
import type { LayerKernels } from './simulate.js';

/** The int8 multiply-accumulate kernels both targets share (the s8 simulator imports them). */
export interface Int8MacKernels {
  /** sums[p·rows + r] = Σ_i vectors[p·length + i] · weights[r·length + i] (int8 × int8 → wrapping int32). */
  dotProducts(vectors: number, count: number, length: number, weights: number, rows: number, sums: number): void;
  /**
   * Per position p: the tap table at taps + p·tapStride holds a count, then (input offset, weight
   * offset) pairs; sums[p·channels + c] = Σ_t input[in_t + c] · weights[w_t + c].
   */
  depthwise(
    input: number,
    taps: number,
    positions: number,
    weights: number,
    channels: number,
    tapStride: number,
    sums: number,
  ): void;
}

interface MacKernels extends Int8MacKernels {
  /**
   * output[p·rows + r] = saturate_int8((sums[p·rows + r] + biasTerms[r]) >> outShift), biasTerms
   * being (bias << bias_shift) + NN_ROUND(out_shift) as int32; returns how many were clamped.
   */
  requantize(
    sums: number,
    positions: number,
    rows: number,
    biasTerms: number,
    outShift: number,
    output: number,
  ): number;
}

// dotProducts(vectors0, count1, length2, weights3, rows4, sums5); p6 r7 i8 v9 w10 sum11 end12 out13; acc14 (v128)
export const dotProducts: FunctionDef<keyof Int8MacKernels> = {
  exportName: 'dotProducts',
  params: 6,
  i32Locals: 8,
  v128Locals: 1,
  body: [
    ...and(get(2), i32(-8)),
    ...set(12),
    ...get(5),
    ...set(13),
    ...get(0),
    ...set(9),
    ...forLoop(6, i32(0), get(1), i32(1), [
      ...get(3),
      ...set(10),
      ...forLoop(7, i32(0), get(4), i32(1), [
        ...i32x4Splat(i32(0)),
        ...set(14),
        ...forLoop(8, i32(0), get(12), i32(8), [
          ...i32x4Add(get(14), i32x4DotI16x8(loadI8x8(add(get(9), get(8))), loadI8x8(add(get(10), get(8))))),
          ...set(14),
        ]),
        ...add(
          add(i32x4ExtractLane(get(14), 0), i32x4ExtractLane(get(14), 1)),
          add(i32x4ExtractLane(get(14), 2), i32x4ExtractLane(get(14), 3)),
        ),
        ...set(11),
        ...forLoop(8, get(12), get(2), i32(1), [
          ...add(get(11), mul(loadI8(add(get(9), get(8))), loadI8(add(get(10), get(8))))),
          ...set(11),
        ]),
        ...storeI32(get(13), get(11)),
        ...add(get(13), i32(4)),
        ...set(13),
        ...add(get(10), get(2)),
        ...set(10),
      ]),
      ...add(get(9), get(2)),
      ...set(9),
    ]),
  ],
};

// depthwise(input0, taps1, positions2, weights3, channels4, tapStride5, sums6);
// p7 c8 t9 count10 tp11 end12 sum13 out14 tq15; lo16 hi17 x18 w19 (v128)
export const depthwise: FunctionDef<keyof Int8MacKernels> = {
  exportName: 'depthwise',
  params: 7,
  i32Locals: 9,
  v128Locals: 4,
  body: [
    ...and(get(4), i32(-8)),
    ...set(12),
    ...get(1),
    ...set(11),
    ...get(6),
    ...set(14),
    ...forLoop(7, i32(0), get(2), i32(1), [
      ...loadI32(get(11)),
      ...set(10),
      // Eight channels at a time: products of the i16 lanes, low and high four into i32.
      ...forLoop(8, i32(0), get(12), i32(8), [
        ...i32x4Splat(i32(0)),
        ...set(16),
        ...i32x4Splat(i32(0)),
        ...set(17),
        ...add(get(11), i32(4)),
        ...set(15),
        ...forLoop(9, i32(0), get(10), i32(1), [
          ...loadI8x8(add(add(get(0), loadI32(get(15))), get(8))),
          ...set(18),
          ...loadI8x8(add(add(get(3), loadI32(get(15), 4)), get(8))),
          ...set(19),
          ...i32x4Add(get(16), i32x4MulLowI16x8(get(18), get(19))),
          ...set(16),
          ...i32x4Add(get(17), i32x4MulHighI16x8(get(18), get(19))),
          ...set(17),
          ...add(get(15), i32(8)),
          ...set(15),
        ]),
        ...store(add(get(14), shiftLeft(get(8), i32(2))), get(16)),
        ...store(add(get(14), shiftLeft(get(8), i32(2))), get(17), 16),
      ]),
      // The channels past the last multiple of eight, one at a time.
      ...forLoop(8, get(12), get(4), i32(1), [
        ...i32(0),
        ...set(13),
        ...add(get(11), i32(4)),
        ...set(15),
        ...forLoop(9, i32(0), get(10), i32(1), [
          ...add(
            get(13),
            mul(
              loadI8(add(add(get(0), loadI32(get(15))), get(8))),
              loadI8(add(add(get(3), loadI32(get(15), 4)), get(8))),
            ),
          ),
          ...set(13),
          ...add(get(15), i32(8)),
          ...set(15),
        ]),
        ...storeI32(add(get(14), shiftLeft(get(8), i32(2))), get(13)),
      ]),
      ...add(get(11), get(5)),
      ...set(11),
      ...add(get(14), shiftLeft(get(4), i32(2))),
      ...set(14),
    ]),
  ],
};

// requantize(sums0, positions1, rows2, biasTerms3, outShift4, output5) → clamped; p6 r7 rows4_8 sp9 op10 count11 v12; x13 clamps14 (v128)
const requantize: FunctionDef<keyof MacKernels> = {
  exportName: 'requantize',
  params: 6,
  returnsI32: true,
  i32Locals: 7,
  v128Locals: 2,
  body: [
    ...and(get(2), i32(-4)),
    ...set(8),
    ...get(0),
    ...set(9),
    ...get(5),
    ...set(10),
    ...i32x4Splat(i32(0)),
    ...set(14),
    ...forLoop(6, i32(0), get(1), i32(1), [
      // Four rows at a time; the saturating narrows clamp to [−128, 127], the compares count it.
      ...forLoop(7, i32(0), get(8), i32(4), [
        ...i32x4ShiftRightSigned(
          i32x4Add(load(add(get(9), shiftLeft(get(7), i32(2)))), load(add(get(3), shiftLeft(get(7), i32(2))))),
          get(4),
        ),
        ...set(13),
        ...i32x4Sub(
          i32x4Sub(get(14), i32x4GreaterThan(get(13), i32x4Splat(i32(127)))),
          i32x4LessThan(get(13), i32x4Splat(i32(-128))),
        ),
        ...set(14),
        ...storeI32(
          add(get(10), get(7)),
          i32x4ExtractLane(i8x16NarrowI16x8(i16x8NarrowI32x4(get(13), get(13)), i16x8NarrowI32x4(get(13), get(13))), 0),
        ),
      ]),
      ...forLoop(7, get(8), get(2), i32(1), [
        ...shiftRightSigned(
          add(loadI32(add(get(9), shiftLeft(get(7), i32(2)))), loadI32(add(get(3), shiftLeft(get(7), i32(2))))),
          get(4),
        ),
        ...set(12),
        ...add(get(11), add(greaterThan(get(12), i32(127)), lessThan(get(12), i32(-128)))),
        ...set(11),
        ...select(i32(127), get(12), greaterThan(get(12), i32(127))),
        ...set(12),
        ...select(i32(-128), get(12), lessThan(get(12), i32(-128))),
        ...set(12),
        ...storeI8(add(get(10), get(7)), get(12)),
      ]),
      ...add(get(9), shiftLeft(get(2), i32(2))),
      ...set(9),
      ...add(get(10), get(2)),
      ...set(10),
    ]),
    ...add(
      get(11),
      add(
        add(i32x4ExtractLane(get(14), 0), i32x4ExtractLane(get(14), 1)),
        add(i32x4ExtractLane(get(14), 2), i32x4ExtractLane(get(14), 3)),
      ),
    ),
  ],
};

const macKernels = kernelModule<MacKernels>([dotProducts, depthwise, requantize]);

/** Rounds a byte count up to whole 16-byte vectors, so every region starts aligned. */
const aligned = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/** Where a weighted layer's constants sit in memory. */
interface LayerPlacement {
  weights: number;
  /** (bias << bias_shift) + NN_ROUND(out_shift) per output channel, int32. */
  biasTerms: number;
  /** Depthwise only: the tap table and its bytes per position. */
  taps: number;
  tapStride: number;
}

/** The kernels bound to one network: its weights and tap tables copied in, scratch sized for its largest layer. */
export function createWasmKernels(network: QuantizedNetwork): LayerKernels {
  const weighted = network.layers.filter((l): l is WeightedLayer => l.kind !== 'relu' && l.kind !== 'avgpool');

  // Layout: constants per layer, then the input copy (also conv patches), then the int32 sums.
  let next = 0;
  const placements = new Map<WeightedLayer, LayerPlacement>();
  for (const layer of weighted) {
    const weights = next;
    next += aligned(layer.weights.length);
    const biasTerms = next;
    next += aligned(4 * layer.bias.length);
    let taps = 0;
    let tapStride = 0;
    if (layer.kind === 'depthwise') {
      taps = next;
      tapStride = 4 * tapTableStride(layer);
      next += aligned(tapStride * outputPositions(layer));
    }
    placements.set(layer, { weights, biasTerms, taps, tapStride });
  }
  const inputs = next;
  const inputBytes = Math.max(...weighted.map(kernelInputSize));
  const sumsAddress = inputs + aligned(inputBytes);
  const outputCount = Math.max(...weighted.map((l) => outputPositions(l) * outputRows(l)));
  const outputs = sumsAddress + aligned(4 * outputCount);
  const memory = createMemory(outputs + outputCount);
  const kernels = macKernels(memory);
  const bytes = new Uint8Array(memory.buffer);
  const inputView = new Int8Array(memory.buffer, inputs, inputBytes);
  const outputView = new Int8Array(memory.buffer, outputs, outputCount);

  for (const [layer, at] of placements) {
    bytes.set(new Uint8Array(layer.weights.buffer, layer.weights.byteOffset, layer.weights.length), at.weights);
    const round = roundConstant(layer.outShift);
    new Int32Array(memory.buffer, at.biasTerms, layer.bias.length).set(
      Array.from(layer.bias, (b) => ((b << layer.biasShift) + round) | 0),
    );
    if (layer.kind === 'depthwise')
      fillTapTable(layer, new Int32Array(memory.buffer, at.taps, (at.tapStride / 4) * outputPositions(layer)));
  }
  const placed = (layer: WeightedLayer): LayerPlacement => placements.get(layer)!;
  /** Requantises the sums of `positions` × `rows` outputs into `output`, counting clamps. */
  function finish(
    layer: WeightedLayer,
    positions: number,
    rows: number,
    output: Int8Array,
    counts: SaturationCounts,
    slot: number,
  ): void {
    counts[slot]! += kernels.requantize(sumsAddress, positions, rows, placed(layer).biasTerms, layer.outShift, outputs);
    output.set(outputView.subarray(0, positions * rows));
  }

  return {
    convolve(layer, input, output, counts, slot) {
      gatherPatches(layer, input, inputView);
      const positions = outputPositions(layer);
      kernels.dotProducts(
        inputs,
        positions,
        dotLength(layer),
        placed(layer).weights,
        layer.output.channels,
        sumsAddress,
      );
      finish(layer, positions, layer.output.channels, output, counts, slot);
    },
    pointwise(layer, input, output, counts, slot) {
      const positions = layer.input.height * layer.input.width;
      inputView.set(input.subarray(0, mapSize(layer.input)));
      kernels.dotProducts(
        inputs,
        positions,
        layer.input.channels,
        placed(layer).weights,
        layer.output.channels,
        sumsAddress,
      );
      finish(layer, positions, layer.output.channels, output, counts, slot);
    },
    depthwise(layer, input, output, counts, slot) {
      const at = placed(layer);
      inputView.set(input.subarray(0, mapSize(layer.input)));
      kernels.depthwise(
        inputs,
        at.taps,
        outputPositions(layer),
        at.weights,
        layer.input.channels,
        at.tapStride,
        sumsAddress,
      );
      finish(layer, outputPositions(layer), layer.input.channels, output, counts, slot);
    },
    fullyConnected(layer, input, output, counts, slot) {
      inputView.set(input.subarray(0, layer.inputSize));
      kernels.dotProducts(inputs, 1, layer.inputSize, placed(layer).weights, layer.outputSize, sumsAddress);
      finish(layer, 1, layer.outputSize, output, counts, slot);
    },
  };
}
