/**
 * Bit-exact TypeScript model of the legacy (2018) CMSIS-NN q7 kernels the emitted C calls, so
 * `kws eval` can report the accuracy the microcontroller will have without one.
 *
 * Arithmetic, per output value (arm_convolve_HWC_q7_*, arm_depthwise_separable_conv_HWC_q7_*,
 * arm_fully_connected_q7):
 *   acc = (bias << bias_shift) + NN_ROUND(out_shift) + Σ in·w      (q31, wraps like the C)
 *   out = saturate_int8(acc >> out_shift)                           (arithmetic shift)
 * with NN_ROUND(s) = 2^(s−1) for s > 0 and 0 for s = 0 (later CMSIS's `(1 << s) >> 1`; the
 * 2018 macro was undefined for s = 0). Sums wrap at 32 bits after every product (`| 0`), as the
 * device's q31 accumulator does; this also keeps V8 on int32 arithmetic.
 */
import {
  type AvgPoolLayer,
  type ConvLayer,
  type DenseLayer,
  type DepthwiseLayer,
  type PointwiseLayer,
  type QuantLayer,
  type QuantizedNetwork,
  activationBufferSize,
  validateNetwork,
} from './ir.js';
import { requantize, roundConstant, type SaturationCounts } from './requantize.js';
import { gatherPatch, listTaps } from './windows.js';
import { createWasmKernels } from './simulate-wasm.js';
import { pingPongRunner } from './ping-pong.js';
import { resolveEngine, type Engine } from '../wasm/engine.js';

/**
 * arm_convolve_HWC_q7_basic_nonsquare. Per output position the input patch is gathered once,
 * then dotted with every filter.
 */
export function convolve(
  layer: ConvLayer,
  input: Int8Array,
  output: Int8Array,
  counts: SaturationCounts = new Float64Array(1),
  slot = 0,
  patch: Int8Array = new Int8Array(layer.kernel.y * layer.kernel.x * layer.input.channels),
): void {
  const { output: outShape, weights, bias, biasShift, outShift } = layer;
  const outCh = outShape.channels;
  const filterSize = layer.kernel.y * layer.kernel.x * layer.input.channels;
  for (let oy = 0; oy < outShape.height; oy++) {
    for (let ox = 0; ox < outShape.width; ox++) {
      gatherPatch(layer, input, oy, ox, patch, 0);
      matrixVector(
        patch,
        0,
        filterSize,
        weights,
        bias,
        biasShift,
        outShift,
        output,
        (oy * outShape.width + ox) * outCh,
        outCh,
        counts,
        slot,
      );
    }
  }
}

/**
 * `rows` outputs of `[rows][length]` weights times `vector[vBase … vBase+length)`, requantised
 * (to q7, or by `narrow`): the inner loop of conv, 1×1 conv and fully connected layers, and of
 * arm_fully_connected_mat_q7_vec_q15. Four rows at a time, so each input value is loaded once per
 * four products.
 */
export function matrixVector(
  vector: Int8Array | Int16Array,
  vBase: number,
  length: number,
  weights: Int8Array,
  bias: Int8Array,
  biasShift: number,
  outShift: number,
  output: Int8Array | Int16Array,
  outBase: number,
  rows: number,
  counts: SaturationCounts,
  slot: number,
  narrow: typeof requantize = requantize,
): void {
  const round = roundConstant(outShift);
  const blocked = rows - (rows % 4);
  let o = 0;
  for (; o < blocked; o += 4) {
    const w0 = o * length;
    const w1 = w0 + length;
    const w2 = w1 + length;
    const w3 = w2 + length;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0; i < length; i++) {
      const v = vector[vBase + i]!;
      s0 = (s0 + v * weights[w0 + i]!) | 0;
      s1 = (s1 + v * weights[w1 + i]!) | 0;
      s2 = (s2 + v * weights[w2 + i]!) | 0;
      s3 = (s3 + v * weights[w3 + i]!) | 0;
    }
    output[outBase + o] = narrow((bias[o]! << biasShift) + round + s0, outShift, counts, slot);
    output[outBase + o + 1] = narrow((bias[o + 1]! << biasShift) + round + s1, outShift, counts, slot);
    output[outBase + o + 2] = narrow((bias[o + 2]! << biasShift) + round + s2, outShift, counts, slot);
    output[outBase + o + 3] = narrow((bias[o + 3]! << biasShift) + round + s3, outShift, counts, slot);
  }
  for (; o < rows; o++) {
    const w = o * length;
    let sum = 0;
    for (let i = 0; i < length; i++) sum = (sum + vector[vBase + i]! * weights[w + i]!) | 0;
    output[outBase + o] = narrow((bias[o]! << biasShift) + round + sum, outShift, counts, slot);
  }
}

/** arm_convolve_1x1_HWC_q7_fast_nonsquare (and its basic-kernel fallback: same arithmetic). */
export function pointwise(
  layer: PointwiseLayer,
  input: Int8Array,
  output: Int8Array,
  counts: SaturationCounts = new Float64Array(1),
  slot = 0,
): void {
  const inCh = layer.input.channels;
  const outCh = layer.output.channels;
  const positions = layer.input.height * layer.input.width;
  for (let p = 0; p < positions; p++) {
    matrixVector(
      input,
      p * inCh,
      inCh,
      layer.weights,
      layer.bias,
      layer.biasShift,
      layer.outShift,
      output,
      p * outCh,
      outCh,
      counts,
      slot,
    );
  }
}

/**
 * arm_depthwise_separable_conv_HWC_q7_nonsquare (depth multiplier 1). Per output position the
 * taps inside the map are listed once, then each channel sums them.
 */
export function depthwise(
  layer: DepthwiseLayer,
  input: Int8Array,
  output: Int8Array,
  counts: SaturationCounts = new Float64Array(1),
  slot = 0,
  taps: Int32Array = new Int32Array(2 * layer.kernel.y * layer.kernel.x),
): void {
  const { input: inShape, output: outShape, weights, bias, biasShift, outShift } = layer;
  const ch = inShape.channels;
  const round = roundConstant(outShift);
  for (let oy = 0; oy < outShape.height; oy++) {
    for (let ox = 0; ox < outShape.width; ox++) {
      const count = listTaps(layer, oy, ox, taps, 0);
      const outBase = (oy * outShape.width + ox) * ch;
      for (let c = 0; c < ch; c++) {
        let sum = 0;
        for (let t = 0; t < count; t++) sum = (sum + input[taps[2 * t]! + c]! * weights[taps[2 * t + 1]! + c]!) | 0;
        output[outBase + c] = requantize((bias[c]! << biasShift) + round + sum, outShift, counts, slot);
      }
    }
  }
}

/** arm_fully_connected_q7: weights row-major `[out][in]`. */
export function fullyConnected(
  layer: DenseLayer,
  input: Int8Array,
  output: Int8Array,
  counts: SaturationCounts = new Float64Array(1),
  slot = 0,
): void {
  matrixVector(
    input,
    0,
    layer.inputSize,
    layer.weights,
    layer.bias,
    layer.biasShift,
    layer.outShift,
    output,
    0,
    layer.outputSize,
    counts,
    slot,
  );
}

/**
 * arm_relu_q7, in place. Branch-free (v & ~(v >> 31) is 0 for negatives, v otherwise): with
 * about half the values negative, a branch per value mispredicts often enough to make this loop
 * the slowest part of a simulated DS-CNN. On the int32 view of float32 data it is max(x, +0)
 * (−0 becomes +0), which the float forward pass uses too.
 */
export function relu(data: Int8Array | Int32Array, size: number): void {
  for (let i = 0; i < size; i++) {
    const v = data[i]!;
    data[i] = v & ~(v >> 31);
  }
}

/**
 * ARM's local arm_avepool_q7_HWC_nonsquare with the kernel covering the whole map:
 * `sum · 2^k / count`, C division (truncates toward zero). ARM's version cast the result to
 * q7 (wrapping); here and in the emitted C it saturates instead.
 */
export function averagePool(
  layer: AvgPoolLayer,
  input: Int8Array,
  output: Int8Array,
  counts: SaturationCounts = new Float64Array(1),
  slot = 0,
): void {
  const { height, width, channels } = layer.input;
  const count = height * width;
  const scale = 2 ** layer.outLshift;
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let p = 0; p < count; p++) sum += input[p * channels + c]!;
    const v = Math.trunc((sum * scale) / count);
    output[c] = v > 127 ? 127 : v < -128 ? -128 : v;
    if (v > 127 || v < -128) counts[slot]!++;
  }
}

/** The four weighted kernels, one signature per layer kind; the scratch they need is their own. */
export interface LayerKernels {
  convolve(layer: ConvLayer, input: Int8Array, output: Int8Array, counts: SaturationCounts, slot: number): void;
  pointwise(layer: PointwiseLayer, input: Int8Array, output: Int8Array, counts: SaturationCounts, slot: number): void;
  depthwise(layer: DepthwiseLayer, input: Int8Array, output: Int8Array, counts: SaturationCounts, slot: number): void;
  fullyConnected(layer: DenseLayer, input: Int8Array, output: Int8Array, counts: SaturationCounts, slot: number): void;
}

/** The JavaScript kernels above with scratch sized once for `network`. */
function javaScriptKernels(network: QuantizedNetwork): LayerKernels {
  // Conv input patches and depthwise tap offsets.
  const patch = new Int8Array(
    Math.max(1, ...network.layers.map((l) => (l.kind === 'conv' ? l.kernel.y * l.kernel.x * l.input.channels : 0))),
  );
  const taps = new Int32Array(
    Math.max(1, ...network.layers.map((l) => (l.kind === 'depthwise' ? 2 * l.kernel.y * l.kernel.x : 0))),
  );
  return {
    convolve: (layer, input, output, counts, slot) => convolve(layer, input, output, counts, slot, patch),
    pointwise,
    depthwise: (layer, input, output, counts, slot) => depthwise(layer, input, output, counts, slot, taps),
    fullyConnected,
  };
}

export interface Simulator {
  readonly network: QuantizedNetwork;
  /** Which kernels run: WebAssembly SIMD or the JavaScript reference (bit-identical). */
  readonly engine: Exclude<Engine, 'auto'>;
  /** Int8 logits for one int8 frame-major input; `out` is reused if given. */
  run(input: Int8Array, out?: Int8Array): Int8Array;
  /** Outputs clamped per layer (index = layer index) since creation or the last reset. */
  readonly saturations: Float64Array;
  resetSaturations(): void;
}

/**
 * A reusable integer inference engine: two ping-pong buffers allocated once, like the emitted
 * C's static buffers. The weighted layers run on WebAssembly SIMD kernels unless `engine` is
 * `js` (or there is no WebAssembly). Not safe to share between concurrent users.
 */
export function createSimulator(network: QuantizedNetwork, engine: Engine = 'auto'): Simulator {
  validateNetwork(network);
  const saturations = new Float64Array(network.layers.length);
  const chosen = resolveEngine(engine);
  const kernels = chosen === 'wasm' ? createWasmKernels(network) : javaScriptKernels(network);

  function runLayer(layer: QuantLayer, index: number, source: Int8Array, target: Int8Array): void {
    switch (layer.kind) {
      case 'conv':
        return kernels.convolve(layer, source, target, saturations, index);
      case 'pointwise':
        return kernels.pointwise(layer, source, target, saturations, index);
      case 'depthwise':
        return kernels.depthwise(layer, source, target, saturations, index);
      case 'dense':
        return kernels.fullyConnected(layer, source, target, saturations, index);
      case 'avgpool':
        return averagePool(layer, source, target, saturations, index);
      case 'relu':
        return relu(source, layer.size);
    }
  }

  return {
    network,
    engine: chosen,
    saturations,
    resetSaturations: () => saturations.fill(0),
    run: pingPongRunner({
      layers: network.layers,
      bufferSize: activationBufferSize(network),
      inputSize: network.frames * network.coefficients,
      outputSize: network.labels.length,
      name: 'simulator',
      runLayer,
      inPlace: (layer) => layer.kind === 'relu',
    }).run,
  };
}
