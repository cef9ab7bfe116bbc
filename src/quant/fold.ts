/**
 * From a trained tfjs model to the deployable float network (reference §4.1): batch norm folded
 * into the convolution / depthwise / dense layer before it, kernels transposed to CMSIS-NN order
 * (§4.2), dropout dropped, layers named as ARM's Deployment headers name them.
 *
 * Folding, per output channel c (for depthwise: per input channel, which is the same channel):
 *   k = γ_c / sqrt(var_c + ε),  W' = W · k,  b' = (b − mean_c) · k + β_c
 * with ε read from the layer and γ ≡ 1 where the layer has none (slim's scale=false).
 */
import type * as tf from '@tensorflow/tfjs';
import { KwsError } from '../errors.js';
import { type FeatureConfig, featureGeometry } from '../features/config.js';
import type { FloatLayer, FloatNetwork, FloatWeightedLayer } from './float-network.js';
import {
  INTEGER_ARCHITECTURES,
  type IntegerArchitecture,
  type MapShape,
  isIntegerArchitecture,
  samePaddingBefore,
} from './ir.js';
import { toCmsisOrder } from './layout.js';

/** What quantisation needs to know of a model: a run's config, or a saved model's sidecar, has it. */
export interface ModelDescription {
  architecture: string;
  feature: FeatureConfig;
  labels: readonly string[];
}

/** Layers that do nothing at inference time or only relabel the HWC layout. */
const PASS_THROUGH = new Set(['InputLayer', 'Reshape', 'Flatten', 'Dropout']);
const BATCH_NORM = new Set(['BatchNormalization', 'SlimBatchNorm']);

/** ARM Deployment's C names: `IP1..` for the DNN, `CONV1`, `CONV2_DS`, `FINAL_FC` … otherwise. */
function cName(architecture: IntegerArchitecture, layerName: string, denseIndex: number): string {
  if (architecture === 'dnn') return `IP${denseIndex}`;
  const ds = /^conv_ds_(\d+)_(dw|pw)$/.exec(layerName);
  if (ds) return `CONV${Number(ds[1]) + 1}_${ds[2] === 'dw' ? 'DS' : 'PW'}`;
  if (layerName === 'conv_1') return 'CONV1';
  if (layerName === 'fc1' || layerName === 'final_fc') return 'FINAL_FC';
  if (layerName === 'avg_pool') return 'POOL';
  return layerName.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

export function values(tensor: tf.Tensor): Float32Array {
  return Float32Array.from(tensor.dataSync());
}

function mapShape(s: tf.Shape, where: string): MapShape {
  const [, height, width, channels] = s;
  if (s.length !== 4 || !height || !width || !channels)
    throw new KwsError(`${where}: expected a [batch, time, frequency, channels] map, got [${s.join(', ')}]`);
  return { height, width, channels };
}

function pair(value: unknown): { y: number; x: number } {
  const [y, x] = Array.isArray(value) ? (value as number[]) : [Number(value), Number(value)];
  return { y: y!, x: x! };
}

function weightsOf(layer: tf.layers.Layer, where: string): { kernel: tf.Tensor; bias: Float32Array } {
  const [kernel, bias] = layer.getWeights();
  if (!kernel) throw new KwsError(`${where}: layer has no weights`);
  const channels = kernel.shape[kernel.shape.length - (layer.getClassName() === 'DepthwiseConv2D' ? 2 : 1)]!;
  return { kernel, bias: bias ? values(bias) : new Float32Array(channels) };
}

/** Output shape of one layer of a chain, from the shape flowing into it. */
function outputShapeOf(layer: tf.layers.Layer, inputShape: tf.Shape): tf.Shape {
  return layer.getClassName() === 'InputLayer' ? inputShape : (layer.computeOutputShape(inputShape) as tf.Shape);
}

/** A Dense, Conv2D (a pointwise one when 1×1, stride 1) or DepthwiseConv2D layer, named `name`, in CMSIS order. */
export function convertLayer(layer: tf.layers.Layer, name: string, inputShape: tf.Shape): FloatWeightedLayer {
  const where = `layer ${layer.name}`;
  const config = layer.getConfig();
  const activation = config['activation'];
  if (activation !== undefined && activation !== 'linear') {
    throw new KwsError(
      `${where}: activation '${JSON.stringify(activation)}' inside the layer is not supported; use a separate ReLU layer`,
    );
  }
  const { kernel, bias } = weightsOf(layer, where);
  const source = layer.name;
  switch (layer.getClassName()) {
    case 'Dense': {
      const [inputSize, outputSize] = kernel.shape as [number, number];
      return {
        kind: 'dense',
        name,
        source,
        inputSize,
        outputSize,
        weights: toCmsisOrder(values(kernel), kernel.shape),
        bias,
      };
    }
    case 'Conv2D': {
      const input = mapShape(inputShape, where);
      const output = mapShape(outputShapeOf(layer, inputShape), where);
      const [kh, kw] = kernel.shape as [number, number, number, number];
      const stride = pair(config['strides']);
      const dilation = pair(config['dilationRate'] ?? 1);
      if (dilation.y !== 1 || dilation.x !== 1)
        throw new KwsError(`${where}: dilated convolutions are not supported by the CMSIS-NN kernels`);
      const weights = toCmsisOrder(values(kernel), kernel.shape);
      if (kh === 1 && kw === 1 && stride.y === 1 && stride.x === 1)
        return { kind: 'pointwise', name, source, input, output, weights, bias };
      const same = config['padding'] === 'same';
      const padding = same
        ? {
            y: samePaddingBefore(input.height, output.height, kh, stride.y),
            x: samePaddingBefore(input.width, output.width, kw, stride.x),
          }
        : { y: 0, x: 0 };
      return { kind: 'conv', name, source, input, output, kernel: { y: kh, x: kw }, stride, padding, weights, bias };
    }
    case 'DepthwiseConv2D': {
      const input = mapShape(inputShape, where);
      const output = mapShape(outputShapeOf(layer, inputShape), where);
      const [kh, kw, , multiplier] = kernel.shape as [number, number, number, number];
      if (multiplier !== 1)
        throw new KwsError(`${where}: depth multiplier ${multiplier} is not supported (CMSIS-NN needs 1)`);
      const stride = pair(config['strides']);
      const same = config['padding'] === 'same';
      const padding = same
        ? {
            y: samePaddingBefore(input.height, output.height, kh, stride.y),
            x: samePaddingBefore(input.width, output.width, kw, stride.x),
          }
        : { y: 0, x: 0 };
      return {
        kind: 'depthwise',
        name,
        source,
        input,
        output,
        kernel: { y: kh, x: kw },
        stride,
        padding,
        weights: toCmsisOrder(values(kernel), kernel.shape),
        bias,
      };
    }
    default:
      throw new KwsError(`${where}: ${layer.getClassName()} has no CMSIS-NN integer kernel`);
  }
}

function batchNormParameters(layer: tf.layers.Layer): {
  gamma?: Float32Array;
  beta?: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  epsilon: number;
} {
  const byName = new Map<string, Float32Array>();
  layer.weights.forEach((variable, i) => {
    const base = variable.name.split('/').pop()!.replace(/_\d+$/, '');
    byName.set(base, values(layer.getWeights()[i]!));
  });
  const mean = byName.get('moving_mean');
  const variance = byName.get('moving_variance');
  if (!mean || !variance) throw new KwsError(`layer ${layer.name}: batch norm without moving statistics`);
  const epsilon = Number(layer.getConfig()['epsilon'] ?? 1e-3);
  return { gamma: byName.get('gamma'), beta: byName.get('beta'), mean, variance, epsilon };
}

/** Scales each output channel's weights and shifts its bias (see the file comment). */
export function foldBatchNorm(target: FloatWeightedLayer, bn: tf.layers.Layer): void {
  const { gamma, beta, mean, variance, epsilon } = batchNormParameters(bn);
  const channels = target.bias.length;
  if (mean.length !== channels)
    throw new KwsError(`layer ${bn.name}: ${mean.length} channels, but ${target.source} has ${channels}`);
  const scale = new Float64Array(channels);
  for (let c = 0; c < channels; c++) scale[c] = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + epsilon);
  const perChannel = target.weights.length / channels;
  for (let i = 0; i < target.weights.length; i++) {
    // Depthwise weights are [ky][kx][ch] (channel innermost); the others [out][…] (channel outermost).
    const c = target.kind === 'depthwise' ? i % channels : Math.floor(i / perChannel);
    target.weights[i] = target.weights[i]! * scale[c]!;
  }
  for (let c = 0; c < channels; c++) target.bias[c] = (target.bias[c]! - mean[c]!) * scale[c]! + (beta ? beta[c]! : 0);
}

/**
 * The folded float network of a dnn, cnn or ds_cnn model. Throws a KwsError naming the layer
 * when the model holds something the integer kernels cannot run.
 */
export function foldModel(model: tf.LayersModel, description: ModelDescription): FloatNetwork {
  const { architecture } = description;
  if (!isIntegerArchitecture(architecture)) {
    throw new KwsError(
      `integer (CMSIS-NN) quantisation supports ${INTEGER_ARCHITECTURES.join(', ')}; this model is ${architecture}`,
    );
  }
  const geometry = featureGeometry(description.feature);
  const inputSize = model.inputs[0]?.shape[1];
  if (inputSize !== geometry.frames * geometry.coefficients) {
    throw new KwsError(
      `the model takes ${inputSize} inputs but its feature settings give ${geometry.frames}×${geometry.coefficients}`,
    );
  }
  const layers: FloatLayer[] = [];
  let lastWeighted: FloatWeightedLayer | undefined;
  let denseIndex = 0;
  let size = geometry.frames * geometry.coefficients;
  let shape: tf.Shape = [null, size];
  for (const layer of model.layers) {
    const className = layer.getClassName();
    const inputShape = shape;
    shape = outputShapeOf(layer, inputShape);
    if (PASS_THROUGH.has(className)) continue;
    if (BATCH_NORM.has(className)) {
      const previous = layers[layers.length - 1];
      if (!lastWeighted || previous !== lastWeighted)
        throw new KwsError(
          `layer ${layer.name}: batch norm must directly follow a convolution or dense layer to be folded`,
        );
      foldBatchNorm(lastWeighted, layer);
      continue;
    }
    if (className === 'ReLU') {
      layers.push({ kind: 'relu', size });
      continue;
    }
    if (className === 'GlobalAveragePooling2D') {
      const input = mapShape(inputShape, `layer ${layer.name}`);
      layers.push({ kind: 'avgpool', name: cName(architecture, layer.name, denseIndex), input });
      size = input.channels;
      continue;
    }
    if (className === 'Dense') denseIndex++;
    lastWeighted = convertLayer(layer, cName(architecture, layer.name, denseIndex), inputShape);
    layers.push(lastWeighted);
    size =
      lastWeighted.kind === 'dense'
        ? lastWeighted.outputSize
        : lastWeighted.output.height * lastWeighted.output.width * lastWeighted.output.channels;
  }
  if (size !== description.labels.length)
    throw new KwsError(`the model has ${size} outputs but ${description.labels.length} labels`);
  return {
    architecture,
    feature: { ...description.feature },
    frames: geometry.frames,
    coefficients: geometry.coefficients,
    labels: [...description.labels],
    layers,
  };
}
