/**
 * Quantisation-aware training on the training plan: the model's layer list with batch norm
 * folded into the layer before it (frozen: its moving statistics stop updating), and a fake
 * quantisation after every layer the integer network quantises — the outputs of convolutions,
 * dense layers and the average pool, before their ReLU, as src/quant/float-network.ts names the
 * points. The weighted layers then take the folded, already-quantised weights each step; the
 * caller maps their gradients back to the model's variables (straight through the rounding).
 */
import type * as tf from '@tensorflow/tfjs';
import { FAKE_QUANT_CONSTANTS, type RoundingMode } from './kernels.js';
import type { Activation, BuildContext, Op } from './ops.js';
import { Unsupported, type PlanLayer } from './layers.js';

type Variable = tf.LayerVariable;
type BatchNormLayer = Extract<PlanLayer, { kind: 'batchNorm' }>;
type WeightedPlanLayer = Extract<PlanLayer, { kind: 'conv' | 'depthwise' | 'dense' }>;

/** A fake quantisation of one point, in place, with the ReLU after it when there is one. */
export interface FakeQuantLayer {
  kind: 'fakeQuant';
  name: string;
  /** Index of the quantisation point (0 is the input, which the caller quantises). */
  point: number;
  relu: boolean;
  /** The average pool's output, which the integer kernel divides rather than requantises. */
  pool: boolean;
}

/** One point's int8 quantisation: the stored q means (q − zeroPoint) · step (zeroPoint 0 for q7's power-of-two steps). */
export interface PointQuantization {
  step: number;
  zeroPoint: number;
}

/** How the target's integer kernels round: a weighted layer's requantisation, and the average pool's division. */
export interface TargetRounding {
  output: RoundingMode;
  pool: RoundingMode;
}

/** Quantisations the fake quantisations use in the next pass, and what they saw in the last one. */
export interface QuantPoints {
  /** Per point; null passes the point through in float (range tracking only). */
  quantizations: Array<PointQuantization | null>;
  rounding: TargetRounding;
  /** Smallest and largest value at each point in the last forward pass, before quantisation (each range holds 0). */
  minima: Float64Array;
  maxima: Float64Array;
}

/** How one folded layer's weights relate to the model's variables. */
export interface FoldedLayer {
  layer: WeightedPlanLayer;
  /** The variable whose slot carries the folded bias in the plan: the layer's bias, else the batch norm's β. */
  biasKey: Variable;
  batchNorm?: BatchNormLayer;
}

export interface FoldedLayers {
  layers: Array<PlanLayer | FakeQuantLayer>;
  folded: FoldedLayer[];
  /** Quantisation points, the input included. */
  points: number;
}

/** The plan's layer list for quantisation-aware training (see the file comment). */
export function foldedPlanLayers(layers: readonly PlanLayer[]): FoldedLayers {
  const out: Array<PlanLayer | FakeQuantLayer> = [];
  const folded: FoldedLayer[] = [];
  let point = 0;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i]!;
    if (layer.kind === 'batchNorm') throw new Unsupported(`${layer.name}: batch norm not after a weighted layer`);
    if (layer.kind === 'relu') throw new Unsupported(`${layer.name}: ReLU not after a quantised layer`);
    if (layer.kind !== 'conv' && layer.kind !== 'depthwise' && layer.kind !== 'dense') {
      out.push(layer);
      if (layer.kind !== 'globalAveragePool') continue;
      const relu = layers[i + 1]?.kind === 'relu';
      out.push({ kind: 'fakeQuant', name: `${layer.name}/quant`, point: ++point, relu, pool: true });
      if (relu) i++;
      continue;
    }
    const batchNorm = layers[i + 1]?.kind === 'batchNorm' ? (layers[++i] as BatchNormLayer) : undefined;
    const biasKey = layer.bias ?? batchNorm?.beta;
    if (!biasKey) throw new Unsupported(`${layer.name}: no bias to carry the folded one`);
    folded.push({ layer, biasKey, batchNorm });
    out.push({ ...layer, bias: biasKey });
    const relu = layers[i + 1]?.kind === 'relu';
    out.push({ kind: 'fakeQuant', name: `${layer.name}/quant`, point: ++point, relu, pool: false });
    if (relu) i++;
  }
  return { layers: out, folded, points: point + 1 };
}

/**
 * Rounds `x` in place to its point's quantisation (int8, saturated to the layer's clamp: a ReLU
 * is the clamp's lower end at the zero point). A weighted layer requantises and then adds the
 * zero point, so it rounds x / step; the average pool divides the sum of the stored values, zero
 * point included, so it rounds their mean x / step + zeroPoint (snapped to a multiple of
 * 1 / pixels, which it is exactly). Backward passes the gradient where the quantised value is
 * inside the clamp: the straight-through estimator with TensorFlow's fake_quant clipping.
 */
export function buildFakeQuant(
  ctx: BuildContext,
  layer: FakeQuantLayer,
  x: Activation,
  points: QuantPoints,
  /** For the pool's point: how many values each of its outputs averages. */
  pooledPixels: number,
): { op: Op; output: Activation } {
  const { arena } = ctx;
  const k = arena.kernels;
  const vectors = (x.batch * x.height * x.width * x.stride) / 4;
  const { point, relu, pool } = layer;
  // fakeQuant's constants, written before each pass; then four lanes of the smallest x and four of the largest.
  const constants = arena.alloc(FAKE_QUANT_CONSTANTS);
  const range = arena.alloc(8);
  const setConstants = ({ step, zeroPoint }: PointQuantization): void => {
    const offset = pool ? zeroPoint : 0;
    const low = relu ? Math.max(zeroPoint, -128) : -128;
    arena
      .floats(constants, FAKE_QUANT_CONSTANTS)
      .set([1 / step, step, low - zeroPoint + offset, 127 - zeroPoint + offset, offset, pooledPixels]);
  };
  const op: Op = {
    layer: layer.name,
    kind: 'fake quant',
    forward() {
      k.valueRange(x.at, vectors, range);
      const lanes = arena.floats(range, 8);
      points.minima[point] = Math.min(...lanes.subarray(0, 4));
      points.maxima[point] = Math.max(...lanes.subarray(4));
      const quantization = points.quantizations[point] ?? null;
      if (quantization === null) {
        if (relu) k.relu(x.at, vectors);
        return;
      }
      setConstants(quantization);
      k.fakeQuant(x.at, vectors, constants, pool ? points.rounding.pool : points.rounding.output, pool ? 1 : 0);
    },
    backward(dy) {
      const quantization = points.quantizations[point] ?? null;
      if (quantization !== null) {
        setConstants(quantization);
        k.fakeQuantMask(dy, x.at, vectors, constants);
      } else if (relu) k.reluMask(dy, x.at, vectors);
      return dy;
    },
  };
  return { op, output: x };
}
