/**
 * The int8 network for the current CMSIS-NN API (the s8 functions), TFLite's quantisation scheme:
 * a real value r is stored as q = r / scale + zeroPoint. Activations are asymmetric (a scale and
 * zero point per tensor), weights symmetric per output channel (zero point 0), biases int32 at
 * scale input × weight. Each weighted layer requantises its int32 sums with a multiplier and shift
 * per output channel and ends with a clamp into which a following ReLU is folded. The simulator,
 * the C emitter and the report all read this one structure; tensors are in CMSIS-NN order as for q7.
 */
import type { FeatureConfig } from '../../features/config.js';
import { type IntegerArchitecture, type MapShape, type Pair, mapSize } from '../ir.js';
import { softmaxExpTable } from '../softmax.js';

import type { S8_TARGET } from '../../targets.js';

/** The int8 range a kernel clamps its output to (cmsis_nn_activation). */
export interface Clamp {
  min: number;
  max: number;
}

interface S8WeightedBase {
  /** C macro prefix, as for q7: `CONV1`, `CONV2_DS`, `IP1`, `FINAL_FC`. */
  name: string;
  /** Layer in the float model it came from (tfjs name), for reports. */
  source: string;
  weights: Int8Array;
  /** Per output channel: a weight's real value is weightScales[c] · q. */
  weightScales: Float32Array;
  /** Per output channel, at scale inputScale · weightScales[c]. */
  bias: Int32Array;
  /** Per output channel: inputScale · weightScales[c] / outputScale = multipliers[c] · 2^(shifts[c] − 31). */
  multipliers: Int32Array;
  shifts: Int32Array;
  inputScale: number;
  inputZeroPoint: number;
  outputScale: number;
  outputZeroPoint: number;
  /** A ReLU follows in the float model; it is the clamp's lower end. */
  relu: boolean;
  /** [−128, 127], or [max(outputZeroPoint, −128), 127] with the ReLU folded in. */
  activation: Clamp;
}

interface SpatialGeometry {
  input: MapShape;
  output: MapShape;
  kernel: Pair;
  stride: Pair;
  /** Top/left padding (the leading part of TF SAME padding; 0 for VALID). */
  padding: Pair;
}

/** Regular convolution; weights `[out][ky][kx][in]`. */
export interface S8ConvLayer extends S8WeightedBase, SpatialGeometry {
  kind: 'conv';
}

/** Depthwise convolution, multiplier 1; weights `[ky][kx][ch]`. */
export interface S8DepthwiseLayer extends S8WeightedBase, SpatialGeometry {
  kind: 'depthwise';
}

/** 1×1 convolution, stride 1, no padding; weights `[out][in]`. */
export interface S8PointwiseLayer extends S8WeightedBase {
  kind: 'pointwise';
  input: MapShape;
  output: MapShape;
}

/** Fully connected; weights `[out][in]`. */
export interface S8DenseLayer extends S8WeightedBase {
  kind: 'dense';
  inputSize: number;
  outputSize: number;
  /** false: one weight scale for the whole tensor (arm_fully_connected_s8), the arrays hold it per channel. */
  perChannel: boolean;
}

/**
 * arm_avgpool_s8 over the whole map per channel: the rounded mean of the int8 values themselves,
 * so the output keeps the input's scale and zero point (as TFLite requires of AVERAGE_POOL_2D).
 */
export interface S8AvgPoolLayer {
  kind: 'avgpool';
  name: string;
  input: MapShape;
  scale: number;
  zeroPoint: number;
  activation: Clamp;
}

export type S8WeightedLayer = S8ConvLayer | S8DepthwiseLayer | S8PointwiseLayer | S8DenseLayer;
export type S8Layer = S8WeightedLayer | S8AvgPoolLayer;

export interface S8Network {
  target: typeof S8_TARGET;
  architecture: IntegerArchitecture;
  feature: FeatureConfig;
  frames: number;
  coefficients: number;
  labels: string[];
  /** The features' quantisation: q = round(x / inputScale) + inputZeroPoint, saturated. */
  inputScale: number;
  inputZeroPoint: number;
  layers: S8Layer[];
}

export function isS8Weighted(layer: S8Layer): layer is S8WeightedLayer {
  return layer.kind !== 'avgpool';
}

/** Values a layer writes. */
export function s8OutputSize(layer: S8Layer): number {
  switch (layer.kind) {
    case 'dense':
      return layer.outputSize;
    case 'avgpool':
      return layer.input.channels;
    default:
      return mapSize(layer.output);
  }
}

/** Values a layer reads. */
export function s8InputSize(layer: S8Layer): number {
  return layer.kind === 'dense' ? layer.inputSize : mapSize(layer.input);
}

/** Output channels of a weighted layer: the length of its bias, multipliers and shifts. */
export function outputChannels(layer: S8WeightedLayer): number {
  return layer.kind === 'dense' ? layer.outputSize : layer.output.channels;
}

/** Largest activation any layer writes: the size of each ping-pong buffer. */
export function s8ActivationBufferSize(network: S8Network): number {
  return Math.max(...network.layers.map(s8OutputSize));
}

/** The scale and zero point of what a layer writes. */
export function outputQuantization(layer: S8Layer): { scale: number; zeroPoint: number } {
  return layer.kind === 'avgpool'
    ? { scale: layer.scale, zeroPoint: layer.zeroPoint }
    : { scale: layer.outputScale, zeroPoint: layer.outputZeroPoint };
}

/** The real value of one unit of the int8 logits: the last (fully connected) layer's output scale. */
export function s8LogitScale(network: S8Network): number {
  const last = network.layers[network.layers.length - 1];
  if (last?.kind !== 'dense') throw new Error('s8 network: the last layer must be fully connected (the logits)');
  return last.outputScale;
}

/**
 * kws_softmax's exponential table for the network's logits (softmax.ts): its step is the logits'
 * scale, and their zero point cancels in the differences it is indexed by.
 */
export function s8ExpTable(network: S8Network): Uint16Array {
  return softmaxExpTable(s8LogitScale(network));
}

type Fail = (where: string, what: string) => never;

const isInt8 = (v: number): boolean => Number.isInteger(v) && v >= -128 && v <= 127;
const isScale = (v: number): boolean => Number.isFinite(v) && v > 0;

/**
 * Checks what the simulator and the emitted C rely on, so a malformed network fails here with
 * the layer's name: sizes and quantisation chain from layer to layer, tensor lengths match the
 * geometry, multipliers and shifts are in arm_nn_requantize's ranges, clamps are int8, the last
 * layer is fully connected with one output per label.
 */
export function validateS8Network(network: S8Network): void {
  const fail: Fail = (where, what) => {
    throw new Error(`s8 network: ${where}: ${what}`);
  };
  if (network.layers.length === 0) fail('network', 'no layers');
  if (!isScale(network.inputScale) || !isInt8(network.inputZeroPoint))
    fail('input', `scale ${network.inputScale} / zero point ${network.inputZeroPoint} invalid`);
  let size = network.frames * network.coefficients;
  let quantization = { scale: network.inputScale, zeroPoint: network.inputZeroPoint };
  for (const layer of network.layers) {
    if (s8InputSize(layer) !== size) fail(layer.name, `reads ${s8InputSize(layer)} values but receives ${size}`);
    checkClamp(layer.name, layer.activation, fail);
    if (layer.kind === 'avgpool') {
      if (layer.scale !== quantization.scale || layer.zeroPoint !== quantization.zeroPoint)
        fail(layer.name, 'an average pool must keep its input scale and zero point');
    } else {
      if (layer.inputScale !== quantization.scale || layer.inputZeroPoint !== quantization.zeroPoint)
        fail(layer.name, "input scale and zero point differ from the previous layer's output");
      checkWeighted(layer, fail);
    }
    size = s8OutputSize(layer);
    quantization = outputQuantization(layer);
  }
  const last = network.layers[network.layers.length - 1]!;
  if (last.kind !== 'dense') fail('network', 'the last layer must be fully connected (the logits)');
  if (size !== network.labels.length) fail('network', `${size} outputs for ${network.labels.length} labels`);
}

function checkClamp(where: string, clamp: Clamp, fail: Fail): void {
  if (!isInt8(clamp.min) || !isInt8(clamp.max) || clamp.min > clamp.max)
    fail(where, `activation clamp [${clamp.min}, ${clamp.max}] is not an int8 range`);
}

function checkWeighted(layer: S8WeightedLayer, fail: Fail): void {
  const where = layer.name;
  if (!isScale(layer.outputScale) || !isInt8(layer.outputZeroPoint))
    fail(where, `output scale ${layer.outputScale} / zero point ${layer.outputZeroPoint} invalid`);
  let weights: number;
  switch (layer.kind) {
    case 'conv':
      weights = layer.output.channels * layer.kernel.y * layer.kernel.x * layer.input.channels;
      break;
    case 'depthwise':
      if (layer.input.channels !== layer.output.channels) fail(where, 'depthwise input and output channels differ');
      weights = layer.kernel.y * layer.kernel.x * layer.input.channels;
      break;
    case 'pointwise':
      if (layer.input.height !== layer.output.height || layer.input.width !== layer.output.width)
        fail(where, '1×1 conv changes the map size');
      weights = layer.output.channels * layer.input.channels;
      break;
    case 'dense':
      weights = layer.outputSize * layer.inputSize;
      break;
  }
  if (layer.weights.length !== weights) fail(where, `${layer.weights.length} weights, expected ${weights}`);
  const channels = outputChannels(layer);
  for (const [label, array] of [
    ['weight scales', layer.weightScales],
    ['biases', layer.bias],
    ['multipliers', layer.multipliers],
    ['shifts', layer.shifts],
  ] as const) {
    if (array.length !== channels) fail(where, `${array.length} ${label}, expected ${channels}`);
  }
  for (let c = 0; c < channels; c++) {
    const multiplier = layer.multipliers[c]!;
    const shift = layer.shifts[c]!;
    if (multiplier < 0) fail(where, `multiplier ${multiplier} of channel ${c} is negative`);
    if (shift < -31 || shift > 30) fail(where, `shift ${shift} of channel ${c} outside arm_nn_requantize's [−31, 30]`);
  }
}
