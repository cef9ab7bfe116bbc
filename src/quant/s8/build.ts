/**
 * The s8 network from the folded float network and one float range per quantisation point
 * (the points of float-network.ts: the input, then every layer's output before its ReLU), the way
 * TFLite's converter quantises:
 *   activations  the range widened to hold 0 (and cut at 0 where a ReLU follows, which then becomes
 *                the clamp), scale = (max − min) / 255, zero point = round(−128 − min / scale);
 *   weights      symmetric per output channel, scale = max|w| / 127, q = round(w / scale) in [−127, 127];
 *   biases       int32 at scale input × weight, saturated;
 *   requantise   input × weight / output scale per channel → QuantizeMultiplier.
 * An average pool keeps its input's scale and zero point (arm_avgpool_s8 does not requantise), so
 * its point's own range is not used. Scales are float32, as a .tflite file stores them.
 */
import { KwsError } from '../../errors.js';
import type { FloatNetwork, FloatWeightedLayer } from '../float-network.js';
import { roundHalfAway } from '../qformat.js';
import { S8_TARGET } from '../../targets.js';
import { type Clamp, type S8Layer, type S8Network, type S8WeightedLayer, validateS8Network } from './ir.js';
import { INT32_MAX, INT32_MIN, quantizeMultiplier } from './requantize.js';

export interface ActivationRange {
  min: number;
  max: number;
}

/** Scale and zero point of an int8 tensor: a real value r is stored as round(r / scale) + zeroPoint. */
export interface AffineQuantization {
  scale: number;
  zeroPoint: number;
}

export type DenseQuantization = 'per-channel' | 'per-tensor';

export interface S8BuildOptions {
  /** Fully connected weights: one scale per output (default) or one for the tensor (arm_fully_connected_s8). */
  denseQuantization?: DenseQuantization;
}

/** What quantising one tensor did, for the report. */
export interface S8TensorReport {
  layer: string;
  tensor: 'weights' | 'bias';
  count: number;
  maxAbs: number;
  /** Smallest and largest scale over the output channels. */
  minScale: number;
  maxScale: number;
  /** Values clamped to the type's range (biases beyond int32; symmetric weights never are). */
  saturated: number;
}

export interface S8Build {
  network: S8Network;
  /** Per point, the quantisation the network really uses (a pool's is its input's). */
  points: AffineQuantization[];
  tensors: S8TensorReport[];
  adjustments: string[];
}

/** The int8 quantisation of a float range (TFLite's asymmetric scheme; the range always holds 0). */
export function affineQuantization(range: ActivationRange): AffineQuantization {
  if (!Number.isFinite(range.min) || !Number.isFinite(range.max))
    throw new KwsError(`cannot quantise the activation range [${range.min}, ${range.max}]`);
  const min = Math.min(range.min, 0);
  // A point that is always 0 may take any scale.
  const max = Math.max(range.max, 0) > min ? Math.max(range.max, 0) : min + 1;
  const scale = Math.fround((max - min) / 255);
  const zeroPoint = roundHalfAway(-128 - min / scale);
  return { scale, zeroPoint: zeroPoint > 127 ? 127 : zeroPoint < -128 ? -128 : zeroPoint };
}

/** The real range an int8 tensor of this quantisation represents. */
export function representableRange({ scale, zeroPoint }: AffineQuantization): ActivationRange {
  return { min: (-128 - zeroPoint) * scale, max: (127 - zeroPoint) * scale };
}

/** The clamp of a layer's output: the int8 range, its lower end raised to the zero point (real 0) by a ReLU. */
function clampFor(zeroPoint: number, relu: boolean): Clamp {
  return { min: relu ? Math.max(zeroPoint, -128) : -128, max: 127 };
}

/** Output channel of weight i: channel innermost for depthwise `[ky][kx][ch]`, outermost otherwise. */
function channelOf(layer: { kind: string; weights: ArrayLike<number> }, channels: number): (i: number) => number {
  const perChannel = layer.weights.length / channels;
  return layer.kind === 'depthwise' ? (i) => i % channels : (i) => Math.floor(i / perChannel);
}

/** What an s8 layer's int8 weights and int32 biases stand for: each at its channel's weight scale, biases times the input's. */
export function realValues(layer: S8WeightedLayer): { weights: Float32Array; bias: Float32Array } {
  const channel = channelOf(layer, layer.bias.length);
  const weights = new Float32Array(layer.weights.length);
  for (let i = 0; i < weights.length; i++) weights[i] = layer.weights[i]! * layer.weightScales[channel(i)]!;
  return {
    weights,
    bias: Float32Array.from(layer.bias, (q, c) => q * layer.inputScale * layer.weightScales[c]!),
  };
}

function quantizeWeighted(
  layer: FloatWeightedLayer,
  input: AffineQuantization,
  output: AffineQuantization,
  relu: boolean,
  perChannel: boolean,
  log: { tensors: S8TensorReport[]; adjustments: string[] },
): S8WeightedLayer {
  const channels = layer.bias.length;
  const channel = channelOf(layer, channels);
  // Plain loops: quantisation-aware training runs this every step (TypedArray.from with a map function is far slower).
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < layer.weights.length; i++) {
    const c = perChannel ? channel(i) : 0;
    maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(layer.weights[i]!));
  }
  if (!perChannel) maxAbs.fill(maxAbs[0]!);
  // A channel of zero weights outputs its bias alone: a scale giving multiplier 1 keeps the bias at the output's precision.
  const weightScales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / 127 : output.scale / input.scale));
  const weights = new Int8Array(layer.weights.length);
  for (let i = 0; i < weights.length; i++) {
    const q = roundHalfAway(layer.weights[i]! / weightScales[channel(i)]!);
    weights[i] = q > 127 ? 127 : q < -127 ? -127 : q;
  }
  let biasSaturated = 0;
  const bias = Int32Array.from(layer.bias, (b, c) => {
    const q = roundHalfAway(b / (input.scale * weightScales[c]!));
    if (q > INT32_MAX || q < INT32_MIN) biasSaturated++;
    return q > INT32_MAX ? INT32_MAX : q < INT32_MIN ? INT32_MIN : q;
  });
  const multipliers = new Int32Array(channels);
  const shifts = new Int32Array(channels);
  weightScales.forEach((weightScale, c) => {
    const effective = (input.scale * weightScale) / output.scale;
    const { multiplier, shift } = quantizeMultiplier(effective);
    if (shift > 30)
      throw new KwsError(
        `${layer.name}: output scale ${effective} of channel ${c} is beyond arm_nn_requantize's range`,
      );
    multipliers[c] = multiplier;
    shifts[c] = shift;
  });
  if (biasSaturated > 0) {
    log.adjustments.push(
      `${layer.name}: ${biasSaturated} of ${bias.length} biases exceed int32 at scale input × weight and were clamped`,
    );
  }
  const scaleRange = { minScale: Math.min(...weightScales), maxScale: Math.max(...weightScales) };
  log.tensors.push(
    {
      layer: layer.name,
      tensor: 'weights',
      count: weights.length,
      maxAbs: Math.max(...maxAbs),
      ...scaleRange,
      saturated: 0,
    },
    {
      layer: layer.name,
      tensor: 'bias',
      count: bias.length,
      maxAbs: Math.max(...layer.bias.map((b) => Math.abs(b))),
      minScale: input.scale * scaleRange.minScale,
      maxScale: input.scale * scaleRange.maxScale,
      saturated: biasSaturated,
    },
  );
  const common = {
    weights,
    weightScales,
    bias,
    multipliers,
    shifts,
    inputScale: input.scale,
    inputZeroPoint: input.zeroPoint,
    outputScale: output.scale,
    outputZeroPoint: output.zeroPoint,
    relu,
    activation: clampFor(output.zeroPoint, relu),
  };
  return layer.kind === 'dense' ? { ...layer, ...common, perChannel } : { ...layer, ...common };
}

/** The s8 network for one range per point (pointNames order); throws KwsError for what CMSIS-NN cannot run. */
export function buildS8Network(
  float: FloatNetwork,
  ranges: readonly ActivationRange[],
  options: S8BuildOptions = {},
): S8Build {
  const pointCount = 1 + float.layers.filter((l) => l.kind !== 'relu').length;
  if (ranges.length !== pointCount)
    throw new Error(`buildS8Network: ${ranges.length} ranges for ${pointCount} quantisation points`);
  const perChannelDense = (options.denseQuantization ?? 'per-channel') === 'per-channel';
  const log = { tensors: [] as S8TensorReport[], adjustments: [] as string[] };
  let quantization = affineQuantization(ranges[0]!);
  const points = [quantization];
  const layers: S8Layer[] = [];
  float.layers.forEach((layer, i) => {
    if (layer.kind === 'relu') {
      if (i === 0) throw new KwsError('a ReLU on the input features has no CMSIS-NN s8 form');
      return;
    }
    const relu = float.layers[i + 1]?.kind === 'relu';
    if (layer.kind === 'avgpool') {
      log.adjustments.push(
        `${layer.name}: keeps its input's scale and zero point (arm_avgpool_s8 does not requantise); its calibrated range is not used`,
      );
      layers.push({
        kind: 'avgpool',
        name: layer.name,
        input: layer.input,
        scale: quantization.scale,
        zeroPoint: quantization.zeroPoint,
        activation: clampFor(quantization.zeroPoint, relu),
      });
    } else {
      const range = ranges[points.length]!;
      const output = affineQuantization(relu ? { min: 0, max: range.max } : range);
      const perChannel = layer.kind !== 'dense' || perChannelDense;
      layers.push(quantizeWeighted(layer, quantization, output, relu, perChannel, log));
      quantization = output;
    }
    points.push(quantization);
  });
  const network: S8Network = {
    target: S8_TARGET,
    architecture: float.architecture,
    feature: float.feature,
    frames: float.frames,
    coefficients: float.coefficients,
    labels: float.labels,
    inputScale: points[0]!.scale,
    inputZeroPoint: points[0]!.zeroPoint,
    layers,
  };
  validateS8Network(network);
  return { network, points, ...log };
}
