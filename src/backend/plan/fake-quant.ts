/**
 * Quantisation-aware training on the training plan: the model's layer list with batch norm
 * folded into the layer before it (frozen: its moving statistics stop updating), and a fake
 * quantisation after every layer the integer network quantises — the outputs of convolutions,
 * dense layers and the average pool, before their ReLU, as src/quant/float-network.ts names the
 * points. The weighted layers then take the folded, already-quantised weights each step; the
 * caller maps their gradients back to the model's variables (straight through the rounding).
 */
import type * as tf from '@tensorflow/tfjs';
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
  /** The average pool's integer division truncates; the kernels' output shift rounds half up. */
  truncate: boolean;
}

/** Formats the fake quantisations use in the next pass, and what they saw in the last one. */
export interface QuantFormats {
  /** Fractional bits per point; null passes the point through in float (range tracking only). */
  fracs: Array<number | null>;
  /** Largest |value| at each point in the last forward pass, before quantisation. */
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
      out.push({ kind: 'fakeQuant', name: `${layer.name}/quant`, point: ++point, relu, truncate: true });
      if (relu) i++;
      continue;
    }
    const batchNorm = layers[i + 1]?.kind === 'batchNorm' ? (layers[++i] as BatchNormLayer) : undefined;
    const biasKey = layer.bias ?? batchNorm?.beta;
    if (!biasKey) throw new Unsupported(`${layer.name}: no bias to carry the folded one`);
    folded.push({ layer, biasKey, batchNorm });
    out.push({ ...layer, bias: biasKey });
    const relu = layers[i + 1]?.kind === 'relu';
    out.push({ kind: 'fakeQuant', name: `${layer.name}/quant`, point: ++point, relu, truncate: false });
    if (relu) i++;
  }
  return { layers: out, folded, points: point + 1 };
}

/**
 * Rounds `x` in place to `formats.fracs[point]` fractional bits (int8, saturated), then ReLU.
 * Backward passes the gradient where the quantised value is inside the int8 range (and above
 * zero under a ReLU): the straight-through estimator with TensorFlow's fake_quant clipping.
 */
export function buildFakeQuant(
  ctx: BuildContext,
  layer: FakeQuantLayer,
  x: Activation,
  formats: QuantFormats,
): { op: Op; output: Activation } {
  const { arena } = ctx;
  const k = arena.kernels;
  const vectors = (x.batch * x.height * x.width * x.stride) / 4;
  const { point, relu, truncate } = layer;
  // scale, step, low and high (fakeQuant's constants), written before each pass; then the four lanes of the largest |x|.
  const constants = arena.alloc(4);
  const largest = arena.alloc(4);
  const setConstants = (frac: number): void =>
    arena.floats(constants, 4).set([2 ** frac, 2 ** -frac, relu ? 0 : -128, 127]);
  const op: Op = {
    layer: layer.name,
    kind: 'fake quant',
    forward() {
      k.largestMagnitudes(x.at, vectors, largest);
      formats.maxima[point] = Math.max(...arena.floats(largest, 4));
      const frac = formats.fracs[point] ?? null;
      if (frac === null) {
        if (relu) k.relu(x.at, vectors);
        return;
      }
      setConstants(frac);
      k.fakeQuant(x.at, vectors, constants, truncate ? 1 : 0);
    },
    backward(dy) {
      const frac = formats.fracs[point] ?? null;
      if (frac !== null) {
        setConstants(frac);
        k.fakeQuantMask(dy, x.at, vectors, constants);
      } else if (relu) k.reluMask(dy, x.at, vectors);
      return dy;
    },
  };
  return { op, output: x };
}
