/**
 * The quantised network as the Cortex-M sees it, independent of TensorFlow.js: a sequence of
 * integer layers over int8 HWC activations (H = time frames = "y", W = coefficients = "x"),
 * each with int8 tensors in CMSIS-NN order and the Q formats (fractional bits) they were
 * quantised with. The simulator, the C emitter and quant.json all read this one structure.
 */
import type { FeatureConfig } from '../features/config.js';

/** Height = time (CMSIS "y"), width = feature axis (CMSIS "x"), channels last (HWC). */
export interface MapShape {
  height: number;
  width: number;
  channels: number;
}

export interface Pair {
  y: number;
  x: number;
}

/** Fractional bits of each tensor a weighted layer touches, and the shifts derived from them. */
export interface FixedPoint {
  inFrac: number;
  weightFrac: number;
  biasFrac: number;
  outFrac: number;
  /** Left shift of the bias into the accumulator: inFrac + weightFrac − biasFrac (≥ 0). */
  biasShift: number;
  /** Right shift of the accumulator into the output: inFrac + weightFrac − outFrac (≥ 0). */
  outShift: number;
}

interface WeightedBase extends FixedPoint {
  /** C macro prefix, ARM Deployment style: `CONV1`, `CONV2_DS`, `IP1`, `FINAL_FC`. */
  name: string;
  /** Layer in the float model it came from (tfjs name), for reports. */
  source: string;
  weights: Int8Array;
  bias: Int8Array;
}

interface SpatialGeometry {
  input: MapShape;
  output: MapShape;
  kernel: Pair;
  stride: Pair;
  /** Top/left zero padding (the leading part of TF SAME padding; 0 for VALID). */
  padding: Pair;
}

/** Regular convolution; weights `[out][ky][kx][in]`. */
export interface ConvLayer extends WeightedBase, SpatialGeometry {
  kind: 'conv';
}

/** Depthwise convolution, multiplier 1; weights `[ky][kx][ch]`. */
export interface DepthwiseLayer extends WeightedBase, SpatialGeometry {
  kind: 'depthwise';
}

/** 1×1 convolution, stride 1, no padding; weights `[out][in]`. */
export interface PointwiseLayer extends WeightedBase {
  kind: 'pointwise';
  input: MapShape;
  output: MapShape;
}

/** Fully connected; weights `[out][in]`. */
export interface DenseLayer extends WeightedBase {
  kind: 'dense';
  inputSize: number;
  outputSize: number;
}

export interface ReluLayer {
  kind: 'relu';
  size: number;
}

/**
 * Average over the whole [height, width] map per channel: `sum · 2^outLshift / count`
 * (C truncating division), saturated to int8. outLshift = outFrac − inFrac.
 */
export interface AvgPoolLayer {
  kind: 'avgpool';
  name: string;
  input: MapShape;
  inFrac: number;
  outFrac: number;
  outLshift: number;
}

export type WeightedLayer = ConvLayer | DepthwiseLayer | PointwiseLayer | DenseLayer;
export type QuantLayer = WeightedLayer | ReluLayer | AvgPoolLayer;

export type IntegerArchitecture = 'dnn' | 'cnn' | 'ds_cnn';

/** The architectures with a full integer pipeline (simulator and CMSIS-NN C). */
export const INTEGER_ARCHITECTURES: readonly IntegerArchitecture[] = ['dnn', 'cnn', 'ds_cnn'];

export function isIntegerArchitecture(name: string): name is IntegerArchitecture {
  return (INTEGER_ARCHITECTURES as readonly string[]).includes(name);
}

export interface QuantizedNetwork {
  architecture: IntegerArchitecture;
  feature: FeatureConfig;
  frames: number;
  coefficients: number;
  /** Fractional bits of the int8 input features (`MFCC_DEC_BITS`). */
  inputFrac: number;
  labels: string[];
  layers: QuantLayer[];
}

/** What an integer network takes over from the float network it was quantised from. */
export interface NetworkHeader<A extends string> {
  architecture: A;
  feature: FeatureConfig;
  frames: number;
  coefficients: number;
  inputFrac: number;
  labels: string[];
}

export function networkHeader<A extends string>(
  float: Omit<NetworkHeader<A>, 'inputFrac'>,
  inputFrac: number,
): NetworkHeader<A> {
  const { architecture, feature, frames, coefficients, labels } = float;
  return { architecture, feature, frames, coefficients, inputFrac, labels };
}

export function isWeighted(layer: QuantLayer): layer is WeightedLayer {
  return layer.kind === 'conv' || layer.kind === 'depthwise' || layer.kind === 'pointwise' || layer.kind === 'dense';
}

/** Shifts from Q formats (reference §4.4); negative shifts are the caller's to fix before use. */
export function fixedPoint(inFrac: number, weightFrac: number, biasFrac: number, outFrac: number): FixedPoint {
  return {
    inFrac,
    weightFrac,
    biasFrac,
    outFrac,
    biasShift: inFrac + weightFrac - biasFrac,
    outShift: inFrac + weightFrac - outFrac,
  };
}

/** Output size of a convolution window along one axis. */
export function convOutputSize(input: number, kernel: number, stride: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? Math.ceil(input / stride) : Math.ceil((input - kernel + 1) / stride);
}

/** Leading (top/left) padding of TF SAME: half of the total, rounded down. */
export function samePaddingBefore(input: number, output: number, kernel: number, stride: number): number {
  return Math.max(0, Math.floor(((output - 1) * stride + kernel - input) / 2));
}

export function mapSize(shape: MapShape): number {
  return shape.height * shape.width * shape.channels;
}

/** What sizes a layer's output, in the integer layers and in their float forms alike. */
export type LayerOutputShape =
  | { kind: 'conv' | 'depthwise' | 'pointwise'; output: MapShape }
  | { kind: 'dense'; outputSize: number }
  | { kind: 'relu'; size: number }
  | { kind: 'avgpool'; input: MapShape };

/** Number of values a layer writes (int8, or float in the float network). */
export function layerOutputSize(layer: LayerOutputShape): number {
  switch (layer.kind) {
    case 'conv':
    case 'depthwise':
    case 'pointwise':
      return mapSize(layer.output);
    case 'dense':
      return layer.outputSize;
    case 'relu':
      return layer.size;
    case 'avgpool':
      return layer.input.channels;
  }
}

/** Number of int8 values a layer reads. */
export function layerInputSize(layer: QuantLayer): number {
  switch (layer.kind) {
    case 'conv':
    case 'depthwise':
    case 'pointwise':
    case 'avgpool':
      return mapSize(layer.input);
    case 'dense':
      return layer.inputSize;
    case 'relu':
      return layer.size;
  }
}

/** Largest activation any layer writes: the size of each ping-pong buffer. */
export function activationBufferSize(network: QuantizedNetwork): number {
  return Math.max(...network.layers.map(layerOutputSize));
}

/**
 * Ping-pong buffers the emitted C needs for `stages` layers that write an output (ReLU works in
 * place): the last writes the caller's output, so one stage needs none, two need one.
 */
export function pingPongBufferCount(stages: number): number {
  return Math.max(0, Math.min(2, stages - 1));
}

/**
 * Checks the invariants the simulator and the emitted C rely on, so a malformed network fails
 * here with the layer's name instead of reading out of bounds: sizes chain, tensor lengths match
 * the geometry, shifts lie in [0, 31] (C shifts outside it are undefined), the last layer is dense.
 */
export function validateNetwork(network: QuantizedNetwork): void {
  const fail = (where: string, what: string): never => {
    throw new Error(`quantised network: ${where}: ${what}`);
  };
  if (network.layers.length === 0) fail('network', 'no layers');
  let size = network.frames * network.coefficients;
  let previous: QuantLayer | undefined;
  for (const layer of network.layers) {
    const where =
      layer.kind === 'relu' ? `relu after ${previous && 'name' in previous ? previous.name : 'input'}` : layer.name;
    if (layerInputSize(layer) !== size) fail(where, `reads ${layerInputSize(layer)} values but receives ${size}`);
    if (layer.kind === 'relu' && (!previous || previous.kind === 'relu')) fail(where, 'ReLU must follow a layer');
    if (isWeighted(layer)) checkWeighted(layer, where, fail);
    if (layer.kind === 'avgpool') checkPool(layer, fail);
    size = layerOutputSize(layer);
    previous = layer;
  }
  const last = network.layers[network.layers.length - 1]!;
  if (last.kind !== 'dense') fail('network', 'the last layer must be fully connected (the logits)');
  if (size !== network.labels.length) fail('network', `${size} outputs for ${network.labels.length} labels`);
}

/** The C computes `sum * (1 << k)` in a 32-bit int: it must not overflow for any input. */
function checkPool(layer: AvgPoolLayer, fail: (where: string, what: string) => never): void {
  const count = layer.input.height * layer.input.width;
  const k = layer.outLshift;
  if (!Number.isInteger(k) || k < 0 || 128 * count * 2 ** k > 2 ** 31 - 1) {
    fail(layer.name, `out_lshift ${k} is negative or overflows 32 bits for a ${count}-value average`);
  }
}

function checkWeighted(layer: WeightedLayer, where: string, fail: (where: string, what: string) => never): void {
  for (const [label, shift] of [
    ['bias shift', layer.biasShift],
    ['output shift', layer.outShift],
  ] as const) {
    if (!Number.isInteger(shift) || shift < 0 || shift > 31) fail(where, `${label} ${shift} outside [0, 31]`);
  }
  let weights: number;
  let outputs: number;
  switch (layer.kind) {
    case 'conv':
      weights = layer.output.channels * layer.kernel.y * layer.kernel.x * layer.input.channels;
      outputs = layer.output.channels;
      break;
    case 'depthwise':
      if (layer.input.channels !== layer.output.channels) fail(where, 'depthwise input and output channels differ');
      weights = layer.kernel.y * layer.kernel.x * layer.input.channels;
      outputs = layer.output.channels;
      break;
    case 'pointwise':
      if (layer.input.height !== layer.output.height || layer.input.width !== layer.output.width)
        fail(where, '1×1 conv changes the map size');
      weights = layer.output.channels * layer.input.channels;
      outputs = layer.output.channels;
      break;
    case 'dense':
      weights = layer.outputSize * layer.inputSize;
      outputs = layer.outputSize;
      break;
  }
  if (layer.weights.length !== weights) fail(where, `${layer.weights.length} weights, expected ${weights}`);
  if (layer.bias.length !== outputs) fail(where, `${layer.bias.length} biases, expected ${outputs}`);
}
