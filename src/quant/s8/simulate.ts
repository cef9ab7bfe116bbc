/**
 * Bit-exact TypeScript model of the CMSIS-NN s8 kernels the emitted C calls, written the way the C
 * reads (these are the reference; the WebAssembly engine must match them bit for bit):
 *   acc = bias[c] + Σ (x + input_offset) · w        int32, taps over the padding skipped
 *   out = clamp(arm_nn_requantize(acc, multiplier[c], shift[c]) + output_offset, act_min, act_max)
 * with input_offset = −input zero point and output_offset = output zero point. This is
 * arm_convolve_s8 (which fills the padding with −input_offset, adding nothing), the 1×1 and 1×N
 * convolutions the wrapper may pick, every depthwise kernel the depthwise wrapper may pick
 * (arm_depthwise_conv_3x3_s8, _s8_opt, _s8) and arm_fully_connected_s8 / _per_channel_s8, which
 * differ only in summation order — irrelevant to int32 sums that wrap. arm_avgpool_s8 follows
 * below; the softmax is kws's own (../softmax.ts).
 */
import { resolveEngine, type Engine } from '../../wasm/engine.js';
import {
  type S8AvgPoolLayer,
  type S8ConvLayer,
  type S8DenseLayer,
  type S8DepthwiseLayer,
  type S8Layer,
  type S8Network,
  type S8PointwiseLayer,
  type S8WeightedLayer,
  s8ActivationBufferSize,
  validateS8Network,
} from './ir.js';
import { requantize } from './requantize.js';
import { listTaps } from '../windows.js';
import { createS8WasmKernels } from './simulate-wasm.js';
import { pingPongRunner } from '../ping-pong.js';

/** Out-of-range outputs are clamped and counted here (one slot per layer of the network). */
export type SaturationCounts = Float64Array;

/**
 * The end of every weighted kernel: requantise, add the output offset, count values beyond int8
 * (below it only without a ReLU, where the clamp is the ReLU) and clamp.
 */
function finish(layer: S8WeightedLayer, acc: number, channel: number, counts: SaturationCounts, slot: number): number {
  const v = (requantize(acc, layer.multipliers[channel]!, layer.shifts[channel]!) + layer.outputZeroPoint) | 0;
  if (v > 127 || (v < -128 && !layer.relu)) counts[slot]!++;
  const { min, max } = layer.activation;
  return v > max ? max : v < min ? min : v;
}

/** `rows` outputs of `[rows][length]` weights times the offset vector `vector[base …)`, into output[outBase …). */
function matrixVector(
  layer: S8WeightedLayer,
  vector: Int8Array,
  base: number,
  length: number,
  offset: number,
  output: Int8Array,
  outBase: number,
  rows: number,
  counts: SaturationCounts,
  slot: number,
): void {
  const { weights, bias } = layer;
  for (let o = 0; o < rows; o++) {
    const w = o * length;
    let acc = bias[o]!;
    for (let i = 0; i < length; i++) acc = (acc + (vector[base + i]! + offset) * weights[w + i]!) | 0;
    output[outBase + o] = finish(layer, acc, o, counts, slot);
  }
}

/** arm_convolve_s8's im2col column: input + offset inside the map, 0 over the padding. */
function gatherOffsetPatch(
  layer: S8ConvLayer,
  input: Int8Array,
  oy: number,
  ox: number,
  offset: number,
  patch: Int32Array,
): void {
  const { input: shape, kernel, stride, padding } = layer;
  const channels = shape.channels;
  let at = 0;
  for (let ky = 0; ky < kernel.y; ky++) {
    const y = oy * stride.y - padding.y + ky;
    for (let kx = 0; kx < kernel.x; kx++) {
      const x = ox * stride.x - padding.x + kx;
      const inside = y >= 0 && y < shape.height && x >= 0 && x < shape.width;
      const base = (y * shape.width + x) * channels;
      for (let c = 0; c < channels; c++, at++) patch[at] = inside ? input[base + c]! + offset : 0;
    }
  }
}

/** arm_convolve_wrapper_s8 for a k×k convolution (arm_convolve_s8). */
export function convolve(
  layer: S8ConvLayer,
  input: Int8Array,
  output: Int8Array,
  counts: SaturationCounts = new Float64Array(1),
  slot = 0,
  patch: Int32Array = new Int32Array(layer.kernel.y * layer.kernel.x * layer.input.channels),
): void {
  const { output: shape, weights, bias } = layer;
  const filterSize = layer.kernel.y * layer.kernel.x * layer.input.channels;
  const offset = -layer.inputZeroPoint;
  for (let oy = 0; oy < shape.height; oy++) {
    for (let ox = 0; ox < shape.width; ox++) {
      gatherOffsetPatch(layer, input, oy, ox, offset, patch);
      const outBase = (oy * shape.width + ox) * shape.channels;
      for (let o = 0; o < shape.channels; o++) {
        const w = o * filterSize;
        let acc = bias[o]!;
        for (let i = 0; i < filterSize; i++) acc = (acc + patch[i]! * weights[w + i]!) | 0;
        output[outBase + o] = finish(layer, acc, o, counts, slot);
      }
    }
  }
}

/** arm_convolve_wrapper_s8 for a 1×1 convolution (arm_convolve_1x1_s8_fast). */
export function pointwise(
  layer: S8PointwiseLayer,
  input: Int8Array,
  output: Int8Array,
  counts: SaturationCounts = new Float64Array(1),
  slot = 0,
): void {
  const inCh = layer.input.channels;
  const outCh = layer.output.channels;
  const offset = -layer.inputZeroPoint;
  const positions = layer.input.height * layer.input.width;
  for (let p = 0; p < positions; p++)
    matrixVector(layer, input, p * inCh, inCh, offset, output, p * outCh, outCh, counts, slot);
}

/** arm_depthwise_conv_wrapper_s8, depth multiplier 1. */
export function depthwise(
  layer: S8DepthwiseLayer,
  input: Int8Array,
  output: Int8Array,
  counts: SaturationCounts = new Float64Array(1),
  slot = 0,
  taps: Int32Array = new Int32Array(2 * layer.kernel.y * layer.kernel.x),
): void {
  const { output: shape, weights, bias } = layer;
  const ch = shape.channels;
  const offset = -layer.inputZeroPoint;
  for (let oy = 0; oy < shape.height; oy++) {
    for (let ox = 0; ox < shape.width; ox++) {
      const count = listTaps(layer, oy, ox, taps, 0);
      const outBase = (oy * shape.width + ox) * ch;
      for (let c = 0; c < ch; c++) {
        let acc = bias[c]!;
        for (let t = 0; t < count; t++)
          acc = (acc + (input[taps[2 * t]! + c]! + offset) * weights[taps[2 * t + 1]! + c]!) | 0;
        output[outBase + c] = finish(layer, acc, c, counts, slot);
      }
    }
  }
}

/** arm_fully_connected_per_channel_s8 (and arm_fully_connected_s8, whose channels share one multiplier). */
export function fullyConnected(
  layer: S8DenseLayer,
  input: Int8Array,
  output: Int8Array,
  counts: SaturationCounts = new Float64Array(1),
  slot = 0,
): void {
  matrixVector(layer, input, 0, layer.inputSize, -layer.inputZeroPoint, output, 0, layer.outputSize, counts, slot);
}

/**
 * arm_avgpool_s8 with the kernel covering the whole map: per channel the int8 sum, divided by the
 * count with halves rounded away from zero ((sum ± count/2) / count in C), clamped.
 */
export function averagePool(layer: S8AvgPoolLayer, input: Int8Array, output: Int8Array): void {
  const { height, width, channels } = layer.input;
  const count = height * width;
  const half = count >> 1;
  const { min, max } = layer.activation;
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let p = 0; p < count; p++) sum += input[p * channels + c]!;
    const v = Math.trunc((sum > 0 ? sum + half : sum - half) / count);
    output[c] = v > max ? max : v < min ? min : v;
  }
}

/** The weighted kernels, one signature per layer kind; the scratch they need is their own. */
export interface S8LayerKernels {
  convolve(layer: S8ConvLayer, input: Int8Array, output: Int8Array, counts: SaturationCounts, slot: number): void;
  pointwise(layer: S8PointwiseLayer, input: Int8Array, output: Int8Array, counts: SaturationCounts, slot: number): void;
  depthwise(layer: S8DepthwiseLayer, input: Int8Array, output: Int8Array, counts: SaturationCounts, slot: number): void;
  fullyConnected(
    layer: S8DenseLayer,
    input: Int8Array,
    output: Int8Array,
    counts: SaturationCounts,
    slot: number,
  ): void;
}

/** The JavaScript kernels above with scratch sized once for `network`. */
function javaScriptKernels(network: S8Network): S8LayerKernels {
  const patch = new Int32Array(
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

export interface S8Simulator {
  readonly network: S8Network;
  /** Which kernels run: WebAssembly or the JavaScript reference (bit-identical). */
  readonly engine: Exclude<Engine, 'auto'>;
  /** Int8 logits for one int8 frame-major input; `out` is reused if given. */
  run(input: Int8Array, out?: Int8Array): Int8Array;
  /**
   * Layers [first, end) on `input` (what enters layer `first`); returns their output in a buffer
   * the next call reuses. Lets calibration rerun the tail of the network from cached activations.
   */
  runLayers(input: Int8Array, first: number, end: number): Int8Array;
  /** Outputs beyond int8 per layer (index = layer index) since creation or the last reset. */
  readonly saturations: Float64Array;
  resetSaturations(): void;
}

/**
 * A reusable integer inference engine with two ping-pong buffers allocated once, like the
 * emitted C's static buffers. Not safe to share between concurrent users.
 */
export function createS8Simulator(network: S8Network, engine: Engine = 'auto'): S8Simulator {
  validateS8Network(network);
  const saturations = new Float64Array(network.layers.length);
  const chosen = resolveEngine(engine);
  const kernels = chosen === 'wasm' ? createS8WasmKernels(network) : javaScriptKernels(network);

  function runLayer(layer: S8Layer, index: number, source: Int8Array, target: Int8Array): void {
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
        return averagePool(layer, source, target);
    }
  }

  const runner = pingPongRunner({
    layers: network.layers,
    bufferSize: s8ActivationBufferSize(network),
    inputSize: network.frames * network.coefficients,
    outputSize: network.labels.length,
    name: 's8 simulator',
    runLayer,
  });

  return {
    network,
    engine: chosen,
    saturations,
    resetSaturations: () => saturations.fill(0),
    runLayers: runner.runLayers,
    run: runner.run,
  };
}
