/**
 * The float forward pass's multiply-accumulate loops in WebAssembly SIMD, bit-identical to the
 * JavaScript kernels in float-network.ts: each f64 lane is one output (a row pair of a matrix,
 * a channel pair of a depthwise layer), summed in f64 in the same order as the JavaScript
 * (bias first, then inputs in order; f32 × f32 products are exact in f64) and rounded to f32 on
 * the store, as a Float32Array store rounds. Calibration (`search` above all) runs this pass
 * tens of thousands of times.
 */
import {
  add,
  createMemory,
  f64x2Add,
  f64x2ExtractLane,
  f64x2Mul,
  f64x2Splat,
  forLoop,
  get,
  i32,
  kernelModule,
  load,
  loadF32AsF64,
  loadF32x2AsF64x2,
  loadI32,
  set,
  shiftLeft,
  storeF64AsF32,
  type FunctionDef,
} from '../wasm/assembler.js';
import type { FloatLayer, FloatWeightedLayer } from './float-network.js';
import { mapSize } from './ir.js';
import {
  dotLength,
  fillTapTable,
  gatherPatches,
  kernelInputSize,
  outputPositions,
  outputRows,
  tapTableStride,
} from './windows.js';

interface FloatMacKernels {
  /**
   * output[p·rows + r] = f32(bias[r] + Σ_i vectors[p·length + i] · w[r][i]) for r in row pairs:
   * `weightPairs` holds (w[2q][i], w[2q+1][i]) per pair q and input i, `biasPairs` the biases
   * likewise. With odd `rows` the last pair's second lane lands on the next row's first value
   * (rewritten next), or one value past the end.
   */
  matrixRows(
    vectors: number,
    count: number,
    length: number,
    weightPairs: number,
    biasPairs: number,
    rowPairs: number,
    rows: number,
    output: number,
  ): void;
  /**
   * Per position p (tap tables as in the integer depthwise kernel: a count, then element
   * offsets of input and weight), output[p·channels + c] = f32(bias[c] + Σ_t in·w), two channels
   * at a time (an odd last channel writes one value past its row, as above).
   */
  depthwise(
    input: number,
    taps: number,
    positions: number,
    weights: number,
    bias: number,
    channels: number,
    tapStride: number,
    output: number,
  ): void;
}

// matrixRows(vectors0, count1, length2, weightPairs3, biasPairs4, rowPairs5, rows6, output7); p8 q9 i10 v11 w12 b13 out14 rowBytes15; acc16 (v128)
const matrixRows: FunctionDef<keyof FloatMacKernels> = {
  exportName: 'matrixRows',
  params: 8,
  i32Locals: 8,
  v128Locals: 1,
  body: [
    ...get(0),
    ...set(11),
    ...get(7),
    ...set(14),
    ...shiftLeft(get(6), i32(2)),
    ...set(15),
    ...forLoop(8, i32(0), get(1), i32(1), [
      ...get(3),
      ...set(12),
      ...get(4),
      ...set(13),
      ...forLoop(9, i32(0), get(5), i32(1), [
        ...load(get(13)),
        ...set(16),
        ...forLoop(10, i32(0), get(2), i32(1), [
          ...f64x2Add(
            get(16),
            f64x2Mul(
              f64x2Splat(loadF32AsF64(add(get(11), shiftLeft(get(10), i32(2))))),
              load(add(get(12), shiftLeft(get(10), i32(4)))),
            ),
          ),
          ...set(16),
        ]),
        ...storeF64AsF32(add(get(14), shiftLeft(get(9), i32(3))), f64x2ExtractLane(get(16), 0)),
        ...storeF64AsF32(add(get(14), shiftLeft(get(9), i32(3))), f64x2ExtractLane(get(16), 1), 4),
        ...add(get(12), shiftLeft(get(2), i32(4))),
        ...set(12),
        ...add(get(13), i32(16)),
        ...set(13),
      ]),
      ...add(get(11), shiftLeft(get(2), i32(2))),
      ...set(11),
      ...add(get(14), get(15)),
      ...set(14),
    ]),
  ],
};

// depthwise(input0, taps1, positions2, weights3, bias4, channels5, tapStride6, output7); p8 c9 t10 count11 tp12 tq13 out14; acc15 (v128)
const depthwise: FunctionDef<keyof FloatMacKernels> = {
  exportName: 'depthwise',
  params: 8,
  i32Locals: 7,
  v128Locals: 1,
  body: [
    ...get(1),
    ...set(12),
    ...get(7),
    ...set(14),
    ...forLoop(8, i32(0), get(2), i32(1), [
      ...loadI32(get(12)),
      ...set(11),
      ...forLoop(9, i32(0), get(5), i32(2), [
        ...loadF32x2AsF64x2(add(get(4), shiftLeft(get(9), i32(2)))),
        ...set(15),
        ...add(get(12), i32(4)),
        ...set(13),
        ...forLoop(10, i32(0), get(11), i32(1), [
          ...f64x2Add(
            get(15),
            f64x2Mul(
              loadF32x2AsF64x2(add(get(0), shiftLeft(add(loadI32(get(13)), get(9)), i32(2)))),
              loadF32x2AsF64x2(add(get(3), shiftLeft(add(loadI32(get(13), 4), get(9)), i32(2)))),
            ),
          ),
          ...set(15),
          ...add(get(13), i32(8)),
          ...set(13),
        ]),
        ...storeF64AsF32(add(get(14), shiftLeft(get(9), i32(2))), f64x2ExtractLane(get(15), 0)),
        ...storeF64AsF32(add(get(14), shiftLeft(get(9), i32(2))), f64x2ExtractLane(get(15), 1), 4),
      ]),
      ...add(get(12), get(6)),
      ...set(12),
      ...add(get(14), shiftLeft(get(5), i32(2))),
      ...set(14),
    ]),
  ],
};

const floatMacKernels = kernelModule<FloatMacKernels>([matrixRows, depthwise]);

/** The weighted float layers' forward kernels; input and output are the forward pass's own buffers. */
export interface FloatLayerKernels {
  run(layer: FloatWeightedLayer, input: Float32Array, output: Float32Array): void;
}

/** Rounds up to whole 16-byte vectors, with at least 8 bytes to spare for a pair read or write past the end. */
const padded = (bytes: number): number => Math.ceil((bytes + 8) / 16) * 16;

interface Placement {
  /** matrix layers: weight and bias pairs (f64); depthwise: weights and bias as f32 plus the tap table. */
  weights: number;
  bias: number;
  taps: number;
  tapStride: number;
}

/** The kernels bound to one network's layers (constants copied in once). */
export function createFloatWasmKernels(layers: readonly FloatLayer[]): FloatLayerKernels {
  const weighted = layers.filter((l): l is FloatWeightedLayer => l.kind !== 'relu' && l.kind !== 'avgpool');

  let next = 0;
  const reserve = (bytes: number): number => {
    const at = next;
    next += padded(bytes);
    return at;
  };
  const placements = new Map<FloatWeightedLayer, Placement>();
  for (const layer of weighted) {
    if (layer.kind === 'depthwise') {
      const tapStride = 4 * tapTableStride(layer);
      const weights = reserve(4 * layer.weights.length);
      const bias = reserve(4 * layer.bias.length);
      placements.set(layer, { weights, bias, taps: reserve(tapStride * outputPositions(layer)), tapStride });
    } else {
      const pairs = Math.ceil(outputRows(layer) / 2);
      const weights = reserve(16 * pairs * dotLength(layer));
      placements.set(layer, { weights, bias: reserve(16 * pairs), taps: 0, tapStride: 0 });
    }
  }
  const inputs = reserve(4 * Math.max(...weighted.map(kernelInputSize)));
  const outputCount = Math.max(...weighted.map((l) => outputPositions(l) * outputRows(l)));
  const outputs = reserve(4 * outputCount);
  const memory = createMemory(next);
  const kernels = floatMacKernels(memory);
  const buffer = memory.buffer;

  for (const [layer, at] of placements) {
    if (layer.kind === 'depthwise') {
      new Float32Array(buffer, at.weights, layer.weights.length).set(layer.weights);
      new Float32Array(buffer, at.bias, layer.bias.length).set(layer.bias);
      fillTapTable(layer, new Int32Array(buffer, at.taps, (at.tapStride / 4) * outputPositions(layer)));
      continue;
    }
    // Row pairs interleaved per input: lanes (row 2q, row 2q + 1); a missing last row stays zero.
    const rows = outputRows(layer);
    const length = dotLength(layer);
    const pairs = new Float64Array(buffer, at.weights, 2 * Math.ceil(rows / 2) * length);
    for (let r = 0; r < rows; r++) {
      const base = (r >> 1) * 2 * length + (r & 1);
      for (let i = 0; i < length; i++) pairs[base + 2 * i] = layer.weights[r * length + i]!;
    }
    new Float64Array(buffer, at.bias, rows).set(layer.bias);
  }
  const inputView = new Float32Array(buffer, inputs, (outputs - inputs) / 4);
  const outputView = new Float32Array(buffer, outputs, outputCount);

  return {
    run(layer, input, output) {
      const at = placements.get(layer)!;
      const rows = outputRows(layer);
      const positions = outputPositions(layer);
      switch (layer.kind) {
        case 'conv':
          gatherPatches(layer, input, inputView);
          break;
        case 'pointwise':
        case 'depthwise':
          inputView.set(input.subarray(0, mapSize(layer.input)));
          break;
        case 'dense':
          inputView.set(input.subarray(0, layer.inputSize));
          break;
      }
      if (layer.kind === 'depthwise') {
        kernels.depthwise(inputs, at.taps, positions, at.weights, at.bias, rows, at.tapStride, outputs);
      } else {
        kernels.matrixRows(
          inputs,
          positions,
          dotLength(layer),
          at.weights,
          at.bias,
          Math.ceil(rows / 2),
          rows,
          outputs,
        );
      }
      output.set(outputView.subarray(0, positions * rows));
    },
  };
}
