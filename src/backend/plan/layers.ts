/**
 * Reads a tfjs layers model into the layer list a training plan runs, or says why it cannot:
 * a plain chain of the layers the zoo's DS-CNN, CNN and DNN use, channels last, linear
 * activations inside conv and dense layers. Anything else trains through tfjs's autodiff.
 */
import type * as tf from '@tensorflow/tfjs';

type Variable = tf.LayerVariable;

export type PlanLayer =
  | { kind: 'reshape'; name: string; shape: number[] }
  | {
      kind: 'conv';
      name: string;
      kernel: Variable;
      bias?: Variable;
      filters: number;
      kernelSize: [number, number];
      strides: [number, number];
      padding: 'same' | 'valid';
    }
  | {
      kind: 'depthwise';
      name: string;
      kernel: Variable;
      bias?: Variable;
      kernelSize: [number, number];
      strides: [number, number];
      padding: 'same' | 'valid';
    }
  | {
      kind: 'batchNorm';
      name: string;
      gamma?: Variable;
      beta?: Variable;
      movingMean: Variable;
      movingVariance: Variable;
      epsilon: number;
      momentum: number;
    }
  | { kind: 'relu'; name: string }
  | { kind: 'globalAveragePool'; name: string }
  | { kind: 'flatten'; name: string }
  | { kind: 'dense'; name: string; kernel: Variable; bias?: Variable; units: number };

interface LayerConfig {
  [key: string]: unknown;
  filters?: number;
  units?: number;
  kernelSize?: number | number[];
  strides?: number | number[];
  padding?: string;
  dataFormat?: string;
  dilationRate?: number | number[];
  activation?: string;
  depthMultiplier?: number;
  axis?: number | number[];
  maxValue?: number | null;
  targetShape?: number[];
  epsilon?: number;
  momentum?: number;
}

const pair = (value: number | number[] | undefined, fallback: number): [number, number] =>
  value === undefined
    ? [fallback, fallback]
    : typeof value === 'number'
      ? [value, value]
      : [value[0] ?? fallback, value[1] ?? value[0] ?? fallback];

/** The layer's weight named `suffix` (tfjs names them '<layer>/<suffix>'). */
function weight(layer: tf.layers.Layer, suffix: string): Variable | undefined {
  return layer.weights.find((w) => w.originalName.endsWith(`/${suffix}`));
}

function required(layer: tf.layers.Layer, suffix: string): Variable {
  const found = weight(layer, suffix);
  if (!found) throw new Unsupported(`${layer.name} has no ${suffix} weight`);
  return found;
}

/** Why a model cannot run as a plan (not a user error: the caller falls back to tfjs). */
export class Unsupported extends Error {}

function convolution(layer: tf.layers.Layer, config: LayerConfig): { padding: 'same' | 'valid' } {
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast')
    throw new Unsupported(`${layer.name}: channels-first`);
  if (pair(config.dilationRate, 1).some((d) => d !== 1)) throw new Unsupported(`${layer.name}: dilation`);
  if ((config.activation ?? 'linear') !== 'linear') throw new Unsupported(`${layer.name}: built-in activation`);
  if (config.padding !== 'same' && config.padding !== 'valid') throw new Unsupported(`${layer.name}: padding`);
  return { padding: config.padding };
}

function readLayer(layer: tf.layers.Layer): PlanLayer | undefined {
  const config = layer.getConfig() as LayerConfig;
  const name = layer.name;
  switch (layer.getClassName()) {
    case 'InputLayer':
      return undefined;
    case 'Reshape':
      return { kind: 'reshape', name, shape: config.targetShape ?? [] };
    case 'Conv2D':
      return {
        kind: 'conv',
        name,
        ...convolution(layer, config),
        kernel: required(layer, 'kernel'),
        bias: weight(layer, 'bias'),
        filters: config.filters ?? 0,
        kernelSize: pair(config.kernelSize, 1),
        strides: pair(config.strides, 1),
      };
    case 'DepthwiseConv2D':
      if ((config.depthMultiplier ?? 1) !== 1) throw new Unsupported(`${name}: depth multiplier`);
      return {
        kind: 'depthwise',
        name,
        ...convolution(layer, config),
        kernel: required(layer, 'depthwise_kernel'),
        bias: weight(layer, 'bias'),
        kernelSize: pair(config.kernelSize, 1),
        strides: pair(config.strides, 1),
      };
    case 'BatchNormalization':
    case 'SlimBatchNorm': {
      const axis = config.axis ?? -1;
      if (axis !== -1 && !(Array.isArray(axis) && axis.length === 1 && axis[0] === -1))
        throw new Unsupported(`${name}: batch norm over axis ${String(axis)}`);
      return {
        kind: 'batchNorm',
        name,
        gamma: weight(layer, 'gamma'),
        beta: weight(layer, 'beta'),
        movingMean: required(layer, 'moving_mean'),
        movingVariance: required(layer, 'moving_variance'),
        epsilon: config.epsilon ?? 1e-3,
        momentum: config.momentum ?? 0.99,
      };
    }
    case 'ReLU':
      if (config.maxValue != null) throw new Unsupported(`${name}: capped ReLU`);
      return { kind: 'relu', name };
    case 'GlobalAveragePooling2D':
      if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast')
        throw new Unsupported(`${name}: channels-first`);
      return { kind: 'globalAveragePool', name };
    case 'Flatten':
      return { kind: 'flatten', name };
    case 'Dense':
      if ((config.activation ?? 'linear') !== 'linear') throw new Unsupported(`${name}: built-in activation`);
      return {
        kind: 'dense',
        name,
        kernel: required(layer, 'kernel'),
        bias: weight(layer, 'bias'),
        units: config.units ?? 0,
      };
    default:
      throw new Unsupported(`${name}: ${layer.getClassName()} layers`);
  }
}

/** The model's layers in order, when it is a chain of supported layers with one input and one output. */
export function readPlanLayers(model: tf.LayersModel): PlanLayer[] {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new Unsupported('several inputs or outputs');
  const layers: PlanLayer[] = [];
  let previous: tf.layers.Layer | undefined;
  for (const layer of model.layers) {
    const inbound = layer.inboundNodes.flatMap((node) => node.inboundLayers);
    if (previous ? inbound.length !== 1 || inbound[0] !== previous : inbound.length !== 0)
      throw new Unsupported(`${layer.name}: not a plain chain of layers`);
    const planLayer = readLayer(layer);
    if (planLayer) layers.push(planLayer);
    previous = layer;
  }
  const trainable = new Set(layers.flatMap(trainableWeights));
  if (model.trainableWeights.some((w) => !trainable.has(w)))
    throw new Unsupported('a trainable weight it cannot train');
  return layers;
}

/** The layer's weights that training updates, in no particular order. */
export function trainableWeights(layer: PlanLayer): Variable[] {
  switch (layer.kind) {
    case 'conv':
    case 'depthwise':
    case 'dense':
      return [layer.kernel, layer.bias].filter((w): w is Variable => w !== undefined && w.trainable);
    case 'batchNorm':
      return [layer.gamma, layer.beta].filter((w): w is Variable => w !== undefined && w.trainable);
    default:
      return [];
  }
}
