/**
 * The deployable float network: batch norm already folded, tensors in CMSIS-NN order, the same
 * layer list the integer IR will have. Its forward pass serves three purposes: checking the
 * fold against TensorFlow.js, recording activations at ARM's quantisation points for
 * calibration, and ARM's fake-quantised evaluation (`--act_max`).
 *
 * Quantisation points, in ARM's `--act_max` order: 0 = the input features, then the output of
 * every layer except ReLU (conv, depthwise, pointwise, dense, average pool), before its ReLU.
 */
import type { FeatureConfig } from '../features/config.js';
import { argmax } from '../metrics.js';
import {
  layerOutputSize,
  type FixedPoint,
  type IntegerArchitecture,
  type MapShape,
  type ReluLayer,
  type WeightedLayer,
} from './ir.js';
import { roundHalfAway } from './qformat.js';
import { createFloatWasmKernels } from './float-network-wasm.js';
import { relu } from './simulate.js';
import { gatherPatch, listTaps } from './windows.js';
import { resolveEngine, type Engine } from '../wasm/engine.js';

export type FloatOf<L> = L extends WeightedLayer
  ? Omit<L, 'weights' | 'bias' | keyof FixedPoint> & { weights: Float32Array; bias: Float32Array }
  : never;

export type FloatWeightedLayer = FloatOf<WeightedLayer>;

export interface FloatPoolLayer {
  kind: 'avgpool';
  name: string;
  input: MapShape;
}

export type FloatLayer = FloatWeightedLayer | ReluLayer | FloatPoolLayer;

export interface FloatNetwork {
  architecture: IntegerArchitecture;
  feature: FeatureConfig;
  frames: number;
  coefficients: number;
  labels: string[];
  layers: FloatLayer[];
}

/** Names of the quantisation points, `input` first, then the layers' C names. */
export function pointNames(network: FloatNetwork): string[] {
  return [
    'input',
    ...network.layers.filter((l): l is FloatWeightedLayer | FloatPoolLayer => l.kind !== 'relu').map((l) => l.name),
  ];
}

/** `rows` outputs of `[rows][length]` weights times `vector[vBase …)` plus bias; four rows at a time. */
function matrixVector(
  vector: Float32Array,
  vBase: number,
  length: number,
  weights: Float32Array,
  bias: Float32Array,
  output: Float32Array,
  outBase: number,
  rows: number,
): void {
  const blocked = rows - (rows % 4);
  let o = 0;
  for (; o < blocked; o += 4) {
    const w0 = o * length;
    const w1 = w0 + length;
    const w2 = w1 + length;
    const w3 = w2 + length;
    let s0 = bias[o]!;
    let s1 = bias[o + 1]!;
    let s2 = bias[o + 2]!;
    let s3 = bias[o + 3]!;
    for (let i = 0; i < length; i++) {
      const v = vector[vBase + i]!;
      s0 += v * weights[w0 + i]!;
      s1 += v * weights[w1 + i]!;
      s2 += v * weights[w2 + i]!;
      s3 += v * weights[w3 + i]!;
    }
    output[outBase + o] = s0;
    output[outBase + o + 1] = s1;
    output[outBase + o + 2] = s2;
    output[outBase + o + 3] = s3;
  }
  for (; o < rows; o++) {
    const w = o * length;
    let sum = bias[o]!;
    for (let i = 0; i < length; i++) sum += vector[vBase + i]! * weights[w + i]!;
    output[outBase + o] = sum;
  }
}

/** Regular convolution: per output position the (zero-padded) input patch, dotted with every filter. */
function convolve(
  layer: Extract<FloatLayer, { kind: 'conv' }>,
  input: Float32Array,
  output: Float32Array,
  patch: Float32Array,
): void {
  const { output: outShape, weights, bias } = layer;
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
        output,
        (oy * outShape.width + ox) * outShape.channels,
        outShape.channels,
      );
    }
  }
}

function pointwise(layer: Extract<FloatLayer, { kind: 'pointwise' }>, input: Float32Array, output: Float32Array): void {
  const inCh = layer.input.channels;
  const outCh = layer.output.channels;
  const positions = layer.input.height * layer.input.width;
  for (let p = 0; p < positions; p++)
    matrixVector(input, p * inCh, inCh, layer.weights, layer.bias, output, p * outCh, outCh);
}

function depthwise(
  layer: Extract<FloatLayer, { kind: 'depthwise' }>,
  input: Float32Array,
  output: Float32Array,
  taps: Int32Array,
): void {
  const { input: inShape, output: outShape, weights, bias } = layer;
  const ch = inShape.channels;
  for (let oy = 0; oy < outShape.height; oy++) {
    for (let ox = 0; ox < outShape.width; ox++) {
      const count = listTaps(layer, oy, ox, taps, 0);
      const outBase = (oy * outShape.width + ox) * ch;
      for (let c = 0; c < ch; c++) {
        let sum = bias[c]!;
        for (let t = 0; t < count; t++) sum += input[taps[2 * t]! + c]! * weights[taps[2 * t + 1]! + c]!;
        output[outBase + c] = sum;
      }
    }
  }
}

function dense(layer: Extract<FloatLayer, { kind: 'dense' }>, input: Float32Array, output: Float32Array): void {
  matrixVector(input, 0, layer.inputSize, layer.weights, layer.bias, output, 0, layer.outputSize);
}

function averagePool(layer: FloatPoolLayer, input: Float32Array, output: Float32Array): void {
  const { height, width, channels } = layer.input;
  const count = height * width;
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let p = 0; p < count; p++) sum += input[p * channels + c]!;
    output[c] = sum / count;
  }
}

/**
 * ARM's fake quantisation `fake_quant_with_min_max_vars(−A, A − A/128)` with A = 2^(7−frac):
 * round half up like TensorFlow's kernel, clamp to int8, scale back. The input point rounds
 * half away from zero instead, as the device's MFCC code does.
 */
function fakeQuantize(values: Float32Array, length: number, frac: number, isInput: boolean): void {
  const scale = 2 ** frac;
  for (let i = 0; i < length; i++) {
    const x = values[i]! * scale;
    const q = isInput ? roundHalfAway(x) : Math.floor(x + 0.5);
    values[i] = (q > 127 ? 127 : q < -128 ? -128 : q) / scale;
  }
}

export interface ForwardOptions {
  /** Per point: fractional bits to fake-quantise to, or null to stay in float (ARM's act_max 0). */
  fracs?: ReadonlyArray<number | null>;
  /** Sees every point's values (after its fake quantisation, if any); `values` is reused after the call. */
  record?: (point: number, values: Float32Array, length: number) => void;
  /**
   * Start after this point, `input` being its values as `record` saw them (pre-ReLU); default 0
   * = `input` is the features. Lets a greedy search reuse the fixed prefix of the network.
   */
  startPoint?: number;
  /** Stop once this point has been visited (the returned logits are then stale). */
  endPoint?: number;
}

export interface FloatForward {
  readonly network: FloatNetwork;
  /** Which kernels run the weighted layers: WebAssembly SIMD or JavaScript (bit-identical). */
  readonly engine: Exclude<Engine, 'auto'>;
  /** Logits for one frame-major input; the returned array is reused by the next call. */
  run(input: Float32Array, options?: ForwardOptions): Float32Array;
}

/** A reusable forward pass with preallocated buffers; one per concurrent user. */
export function createFloatForward(network: FloatNetwork, engine: Engine = 'auto'): FloatForward {
  const size = Math.max(network.frames * network.coefficients, ...network.layers.map(layerOutputSize));
  const buffers = [new Float32Array(size), new Float32Array(size)] as const;
  // The same memory as int32, for the branch-free ReLU.
  const bits = buffers.map((b) => new Int32Array(b.buffer));
  const logits = new Float32Array(network.labels.length);
  const chosen = resolveEngine(engine);
  const wasm = chosen === 'wasm' ? createFloatWasmKernels(network.layers) : null;
  const patch = new Float32Array(
    Math.max(1, ...network.layers.map((l) => (l.kind === 'conv' ? l.kernel.y * l.kernel.x * l.input.channels : 0))),
  );
  const taps = new Int32Array(
    Math.max(1, ...network.layers.map((l) => (l.kind === 'depthwise' ? 2 * l.kernel.y * l.kernel.x : 0))),
  );

  return {
    network,
    engine: chosen,
    run(input, options = {}) {
      const { fracs, record, startPoint = 0, endPoint = Infinity } = options;
      let current = buffers[0];
      current.set(input);
      let length = input.length;
      const visit = (point: number): void => {
        const frac = fracs?.[point];
        if (frac !== null && frac !== undefined) fakeQuantize(current, length, frac, point === 0);
        record?.(point, current, length);
      };
      let point = 0;
      if (startPoint === 0) visit(0);
      if (endPoint <= 0) return logits;
      for (const layer of network.layers) {
        if (layer.kind === 'relu') {
          if (point < startPoint) continue;
          relu(bits[current === buffers[0] ? 0 : 1]!, layer.size);
          continue;
        }
        point++;
        if (point <= startPoint) continue;
        const target = current === buffers[0] ? buffers[1] : buffers[0];
        if (layer.kind === 'avgpool') averagePool(layer, current, target);
        else if (wasm !== null) wasm.run(layer, current, target);
        else {
          switch (layer.kind) {
            case 'conv':
              convolve(layer, current, target, patch);
              break;
            case 'pointwise':
              pointwise(layer, current, target);
              break;
            case 'depthwise':
              depthwise(layer, current, target, taps);
              break;
            case 'dense':
              dense(layer, current, target);
              break;
          }
        }
        current = target;
        length = layerOutputSize(layer);
        visit(point);
        if (point >= endPoint) return logits;
      }
      logits.set(current.subarray(0, logits.length));
      return logits;
    },
  };
}

/** The arg-max class of each frame-major row of `x` (first maximum wins), run with `options`. */
export function forwardPredictions(forward: FloatForward, x: Float32Array, options: ForwardOptions = {}): Int32Array {
  const inputSize = forward.network.frames * forward.network.coefficients;
  return Int32Array.from({ length: x.length / inputSize }, (_, n) =>
    argmax(forward.run(x.subarray(n * inputSize, (n + 1) * inputSize), options)),
  );
}
