/**
 * The s8 simulator's weighted layers in WebAssembly, bit-identical to the JavaScript reference in
 * simulate.ts. The sums are split as the SIMD kernels of CMSIS-NN split them:
 *   bias + Σ (x + offset) · w  =  (bias + offset · Σ w) + Σ x · w
 * where Σ w runs over the taps inside the map — a term per output position and channel, computed
 * once per layer — and Σ x · w is an int8 dot product in SIMD i32 lanes (zeros over the padding).
 * Both sides wrap at 32 bits, so they are equal in any order. Requantisation (a 64-bit product)
 * runs in a scalar loop in the same module.
 */
import {
  add,
  and,
  createMemory,
  forLoop,
  get,
  greaterThan,
  i32,
  kernelModule,
  lessThan,
  loadI32,
  select,
  set,
  shiftLeft,
  shiftRightSigned,
  storeI8,
  sub,
  type Code,
  type FunctionDef,
} from '../../wasm/assembler.js';
import { mapSize } from '../ir.js';
import {
  dotLength,
  fillTapTable,
  gatherPatches,
  kernelInputSize,
  listTaps,
  outputPositions,
  outputRows,
  tapTableStride,
} from '../windows.js';
import { depthwise, dotProducts, type Int8MacKernels } from '../simulate-wasm.js';
import { type S8Network, type S8WeightedLayer, isS8Weighted } from './ir.js';
import type { S8LayerKernels, SaturationCounts } from './simulate.js';

// The few i64 instructions requantisation needs, on the operand stack (no i64 locals).
const i64FromI32 = (a: Code): Code => [...a, 0xac];
const i64Multiply = (a: Code, b: Code): Code => [...a, ...b, 0x7e];
const i64Add = (a: Code, b: Code): Code => [...a, ...b, 0x7c];
const i64ShiftRightSigned = (a: Code, bits: number): Code => [...a, 0x42, bits, 0x87];
const i32FromI64 = (a: Code): Code => [...a, 0xa7];

interface S8MacKernels extends Int8MacKernels {
  /**
   * output[p·rows + r] = clamp(arm_nn_requantize(sums[p·rows + r] + biasTerms[p·biasStride/4 + r],
   * multipliers[r], shifts[r]) + outputOffset, actMin, actMax); returns how many values were above
   * 127 or below saturationFloor before the clamp.
   */
  requantize(
    sums: number,
    positions: number,
    rows: number,
    biasTerms: number,
    biasStride: number,
    multipliers: number,
    shifts: number,
    outputOffset: number,
    actMin: number,
    actMax: number,
    saturationFloor: number,
    output: number,
  ): number;
}

// requantize(sums0, positions1, rows2, biasTerms3, biasStride4, multipliers5, shifts6, outputOffset7, actMin8,
// actMax9, saturationFloor10, output11) → count; p12 r13 sp14 bp15 op16 count17 v18 shift19 mask20 high21
const requantize: FunctionDef<keyof S8MacKernels> = {
  exportName: 'requantize',
  params: 12,
  returnsI32: true,
  i32Locals: 10,
  v128Locals: 0,
  body: [
    ...get(0),
    ...set(14),
    ...get(3),
    ...set(15),
    ...get(11),
    ...set(16),
    ...forLoop(12, i32(0), get(1), i32(1), [
      ...forLoop(13, i32(0), get(2), i32(1), [
        ...add(loadI32(add(get(14), shiftLeft(get(13), i32(2)))), loadI32(add(get(15), shiftLeft(get(13), i32(2))))),
        ...set(18),
        ...loadI32(add(get(6), shiftLeft(get(13), i32(2)))),
        ...set(19),
        // arm_nn_requantize: value << max(shift, 0), then (value · multiplier + 2^30) >> 31 in 64 bits …
        ...shiftLeft(get(18), select(get(19), i32(0), greaterThan(get(19), i32(0)))),
        ...set(18),
        ...i32FromI64(
          i64ShiftRightSigned(
            i64Add(
              i64Multiply(i64FromI32(get(18)), i64FromI32(loadI32(add(get(5), shiftLeft(get(13), i32(2)))))),
              i64FromI32(i32(1 << 30)),
            ),
            31,
          ),
        ),
        ...set(21),
        // … then divided by 2^max(−shift, 0), halves away from zero (arm_nn_divide_by_power_of_two).
        ...select(i32(0), sub(i32(0), get(19)), greaterThan(get(19), i32(0))),
        ...set(19),
        ...sub(shiftLeft(i32(1), get(19)), i32(1)),
        ...set(20),
        ...shiftRightSigned(get(21), get(19)),
        ...set(18),
        ...add(
          get(18),
          greaterThan(and(get(20), get(21)), add(shiftRightSigned(get(20), i32(1)), lessThan(get(18), i32(0)))),
        ),
        ...set(18),
        ...add(get(18), get(7)),
        ...set(18),
        ...add(get(17), add(greaterThan(get(18), i32(127)), lessThan(get(18), get(10)))),
        ...set(17),
        ...select(get(9), get(18), greaterThan(get(18), get(9))),
        ...set(18),
        ...select(get(8), get(18), lessThan(get(18), get(8))),
        ...set(18),
        ...storeI8(add(get(16), get(13)), get(18)),
      ]),
      ...add(get(14), shiftLeft(get(2), i32(2))),
      ...set(14),
      ...add(get(15), get(4)),
      ...set(15),
      ...add(get(16), get(2)),
      ...set(16),
    ]),
    ...get(17),
  ],
};

const macKernels = kernelModule<S8MacKernels>([dotProducts, depthwise, requantize]);

/** Rounds a byte count up to whole 16-byte vectors, so every region starts aligned. */
const aligned = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/**
 * bias + offset · Σ w over the taps inside the map, per output position and channel for conv and
 * depthwise layers (the padding changes which taps count), per channel for the others.
 */
function biasTerms(layer: S8WeightedLayer): { terms: Int32Array; perPosition: boolean } {
  const offset = -layer.inputZeroPoint;
  const { weights, bias } = layer;
  const rows = outputRows(layer);
  const withOffset = (b: number, weightSum: number): number => (b + Math.imul(offset, weightSum)) | 0;
  if (layer.kind === 'pointwise' || layer.kind === 'dense') {
    const length = dotLength(layer);
    const terms = Int32Array.from(bias, (b, o) => {
      let sum = 0;
      for (let i = 0; i < length; i++) sum += weights[o * length + i]!;
      return withOffset(b, sum);
    });
    return { terms, perPosition: false };
  }
  const taps = new Int32Array(2 * layer.kernel.y * layer.kernel.x);
  const terms = new Int32Array(outputPositions(layer) * rows);
  const inCh = layer.input.channels;
  // listTaps gives weight offsets (ky·kernel.x + kx)·inCh: a depthwise weight is at + channel, a conv filter's at + o·filterSize + c.
  const depthwise = layer.kind === 'depthwise';
  const filterSize = layer.kernel.y * layer.kernel.x * inCh;
  for (let oy = 0, p = 0; oy < layer.output.height; oy++) {
    for (let ox = 0; ox < layer.output.width; ox++, p++) {
      const count = listTaps(layer, oy, ox, taps, 0);
      for (let o = 0; o < rows; o++) {
        let sum = 0;
        for (let t = 0; t < count; t++) {
          const tap = taps[2 * t + 1]!;
          if (depthwise) sum += weights[tap + o]!;
          else for (let c = 0; c < inCh; c++) sum += weights[o * filterSize + tap + c]!;
        }
        terms[p * rows + o] = withOffset(bias[o]!, sum);
      }
    }
  }
  return { terms, perPosition: true };
}

/** Where a weighted layer's constants sit in memory. */
interface LayerPlacement {
  weights: number;
  biasTerms: number;
  /** Bytes from one position's bias terms to the next: 0 when they do not depend on the position. */
  biasStride: number;
  multipliers: number;
  shifts: number;
  /** Depthwise only: the tap table and its bytes per position. */
  taps: number;
  tapStride: number;
}

/** The kernels bound to one network: its constants copied in, scratch sized for its largest layer. */
export function createS8WasmKernels(network: S8Network): S8LayerKernels {
  const weighted = network.layers.filter(isS8Weighted);
  const terms = new Map(weighted.map((layer) => [layer, biasTerms(layer)]));

  // Layout: constants per layer, then the input copy (also conv patches), the int32 sums, the int8 outputs.
  let next = 0;
  const reserve = (bytes: number): number => {
    const at = next;
    next += aligned(bytes);
    return at;
  };
  const placements = new Map<S8WeightedLayer, LayerPlacement>();
  for (const layer of weighted) {
    const rows = outputRows(layer);
    const { terms: layerTerms, perPosition } = terms.get(layer)!;
    const weights = reserve(layer.weights.length);
    const biasAt = reserve(4 * layerTerms.length);
    const multipliers = reserve(4 * rows);
    const shifts = reserve(4 * rows);
    const tapStride = layer.kind === 'depthwise' ? 4 * tapTableStride(layer) : 0;
    const taps = layer.kind === 'depthwise' ? reserve(tapStride * outputPositions(layer)) : 0;
    placements.set(layer, {
      weights,
      biasTerms: biasAt,
      biasStride: perPosition ? 4 * rows : 0,
      multipliers,
      shifts,
      taps,
      tapStride,
    });
  }
  const inputBytes = Math.max(...weighted.map(kernelInputSize));
  const inputs = reserve(inputBytes);
  const outputCount = Math.max(...weighted.map((l) => outputPositions(l) * outputRows(l)));
  const sumsAddress = reserve(4 * outputCount);
  const outputs = reserve(outputCount);
  const memory = createMemory(next);
  const kernels = macKernels(memory);
  const inputView = new Int8Array(memory.buffer, inputs, inputBytes);
  const outputView = new Int8Array(memory.buffer, outputs, outputCount);

  for (const [layer, at] of placements) {
    new Int8Array(memory.buffer, at.weights, layer.weights.length).set(layer.weights);
    const layerTerms = terms.get(layer)!.terms;
    new Int32Array(memory.buffer, at.biasTerms, layerTerms.length).set(layerTerms);
    new Int32Array(memory.buffer, at.multipliers, layer.multipliers.length).set(layer.multipliers);
    new Int32Array(memory.buffer, at.shifts, layer.shifts.length).set(layer.shifts);
    if (layer.kind === 'depthwise')
      fillTapTable(layer, new Int32Array(memory.buffer, at.taps, (at.tapStride / 4) * outputPositions(layer)));
  }
  const placed = (layer: S8WeightedLayer): LayerPlacement => placements.get(layer)!;
  /** Requantises the sums of every position into `output`, counting values beyond int8. */
  function finish(layer: S8WeightedLayer, output: Int8Array, counts: SaturationCounts, slot: number): void {
    const at = placed(layer);
    const positions = outputPositions(layer);
    const rows = outputRows(layer);
    counts[slot]! += kernels.requantize(
      sumsAddress,
      positions,
      rows,
      at.biasTerms,
      at.biasStride,
      at.multipliers,
      at.shifts,
      layer.outputZeroPoint,
      layer.activation.min,
      layer.activation.max,
      layer.relu ? -(2 ** 31) : -128,
      outputs,
    );
    output.set(outputView.subarray(0, positions * rows));
  }

  return {
    convolve(layer, input, output, counts, slot) {
      gatherPatches(layer, input, inputView);
      kernels.dotProducts(
        inputs,
        outputPositions(layer),
        dotLength(layer),
        placed(layer).weights,
        layer.output.channels,
        sumsAddress,
      );
      finish(layer, output, counts, slot);
    },
    pointwise(layer, input, output, counts, slot) {
      inputView.set(input.subarray(0, mapSize(layer.input)));
      kernels.dotProducts(
        inputs,
        outputPositions(layer),
        layer.input.channels,
        placed(layer).weights,
        layer.output.channels,
        sumsAddress,
      );
      finish(layer, output, counts, slot);
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
      finish(layer, output, counts, slot);
    },
    fullyConnected(layer, input, output, counts, slot) {
      inputView.set(input.subarray(0, layer.inputSize));
      kernels.dotProducts(inputs, 1, layer.inputSize, placed(layer).weights, layer.outputSize, sumsAddress);
      finish(layer, output, counts, slot);
    },
  };
}
