/**
 * Quantisation-aware training for dnn, cnn and ds_cnn, for either CMSIS-NN target (qat-targets.ts).
 * Each step:
 *   1. fold batch norm into the layer before it with the frozen moving statistics (fold.ts) and
 *      quantise the result exactly as `kws quantize` does for the target, from the tracked
 *      ranges — so the forward pass sees the int8 weights the device will hold;
 *   2. run the training plan's folded graph on those weights with every quantisation point
 *      fake-quantised as the target's kernels compute it (backend/plan/fake-quant.ts), the input
 *      as the front end quantises it;
 *   3. pass the folded weights' gradients straight through the rounding and back through the
 *      fold to the model's kernels, biases, γ and β;
 *   4. move each point's range (an exponential average of what the batch showed) toward this batch.
 * The first step trains in float (batch norm already frozen) to measure the ranges to start from.
 * `kws quantize` then builds the integer network from the ranges saved with the checkpoint.
 */
import type * as tf from '@tensorflow/tfjs';
import { TrainingPlan, type QuantizeAwarePlan } from '../backend/plan/plan.js';
import type { FoldedLayer, PointQuantization } from '../backend/plan/fake-quant.js';
import { KwsError } from '../errors.js';
import { quantizeFeaturesAs } from '../features/quantize.js';
import { inputQuantizationOf, type DeployedNetwork } from '../quant/deployed.js';
import type { FloatNetwork } from '../quant/float-network.js';
import { foldModel, type ModelDescription } from '../quant/fold.js';
import { fromCmsisOrder } from '../quant/layout.js';
import type { TargetName } from '../targets.js';
import type { QatRange } from '../run/trainer-state.js';
import { qatTarget, type LayerValues, type QatTarget } from './qat-targets.js';
import type { GradientSource } from './step.js';

export class QuantizeAwareTraining {
  private constructor(
    private readonly model: tf.LayersModel,
    private readonly description: ModelDescription,
    private readonly qat: QuantizeAwarePlan,
    private readonly scheme: QatTarget<QatRange>,
    /** Tracked range per quantisation point; undefined until the first step measures them. */
    public ranges: QatRange[] | undefined,
  ) {}

  /** Throws a KwsError when the model is not one the training plan runs, or the ranges are not the target's. */
  static for(
    model: tf.LayersModel,
    description: ModelDescription,
    target: TargetName,
    ranges: QatRange[] | undefined,
  ): QuantizeAwareTraining {
    const scheme = qatTarget(target);
    const qat = TrainingPlan.quantizeAware(model, scheme.rounding);
    if (!qat)
      throw new KwsError(
        `--quantize-aware supports dnn, cnn and ds_cnn (their integer pipeline runs on the training plan); not ${description.architecture}`,
      );
    const points = qat.points.quantizations.length;
    if (ranges && ranges.length !== points)
      throw new KwsError(`the checkpoint's ${ranges.length} QAT ranges do not fit this model's ${points} points`);
    if (ranges && !ranges.every((range) => scheme.isRange(range)))
      throw new KwsError(`the checkpoint's QAT ranges are not ${target}'s`);
    return new QuantizeAwareTraining(model, description, qat, scheme, ranges);
  }

  get target(): TargetName {
    return this.scheme.name;
  }

  /** The integer network `kws quantize` builds from the model and the tracked ranges. */
  integerNetwork(): DeployedNetwork {
    if (!this.ranges) throw new Error('QAT: no ranges yet');
    return this.scheme.quantize(foldModel(this.model, this.description), this.ranges).network;
  }

  /** Gradients of one batch through the fake-quantised network, in `model.trainableWeights` order. */
  readonly gradients: GradientSource = (x, y, labelCount) => {
    const { plan, points, folded } = this.qat;
    const { scheme } = this;
    // The plan is the model's, whichever target trains it.
    points.rounding = scheme.rounding;
    const variables = new Map(this.model.trainableWeights.map((w) => [w, w.read().dataSync() as Float32Array]));
    const float = foldModel(this.model, this.description);
    let result;
    if (!this.ranges) {
      points.quantizations.fill(null);
      result = plan.gradients(foldedWeights(folded, floatValues(float)), x, y, labelCount);
    } else {
      const pass = scheme.quantize(float, this.ranges);
      points.quantizations.splice(0, pass.points.length, ...pass.points);
      const input = dequantizedInput(x, pass.network, pass.points[0]!);
      result = plan.gradients(foldedWeights(folded, pass.layers), input, y, labelCount);
    }
    // What this batch showed: the input as given, every other point before its quantisation.
    const observed = Array.from(points.maxima, (max, point) =>
      point === 0 ? scheme.observed(...extremes(x)) : scheme.observed(points.minima[point]!, max),
    );
    const previous = this.ranges;
    this.ranges = previous ? previous.map((range, point) => scheme.tracked(range, observed[point]!)) : observed;
    const grads = unfoldGradients(folded, result.grads, variables);
    return {
      grads: this.model.trainableWeights.map((w) => grads.get(w)!),
      loss: result.loss,
      logits: result.logits,
    };
  };
}

/** The smallest and largest value, each widened to 0 as the plan's range kernel does. */
function extremes(values: Float32Array): [number, number] {
  let min = 0;
  let max = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/** The features as the front end quantises them for this network, as real values. */
function dequantizedInput(x: Float32Array, network: DeployedNetwork, { step, zeroPoint }: PointQuantization) {
  const quantized = quantizeFeaturesAs(inputQuantizationOf(network), x);
  const out = new Float32Array(quantized.length);
  for (let i = 0; i < out.length; i++) out[i] = (quantized[i]! - zeroPoint) * step;
  return out;
}

function floatValues(network: FloatNetwork): LayerValues[] {
  return network.layers.flatMap((l) => (l.kind === 'relu' || l.kind === 'avgpool' ? [] : [l]));
}

/** The plan's parameters (kernel in TF order, folded bias, per layer) from the folded layers' values (CMSIS order). */
function foldedWeights(folded: readonly FoldedLayer[], layers: readonly LayerValues[]): Float32Array[] {
  if (layers.length !== folded.length) throw new Error(`QAT: ${layers.length} weighted layers for ${folded.length}`);
  return folded.flatMap(({ layer }, i) => [
    fromCmsisOrder(layers[i]!.weights, layer.kernel.shape as number[]),
    layers[i]!.bias,
  ]);
}

/**
 * The model variables' gradients from the folded ones (W' = W·s, b' = (b − μ)·s + β with
 * s = γ/√(σ² + ε) per output channel, which is the last axis of every kernel here).
 */
function unfoldGradients(
  folded: readonly FoldedLayer[],
  grads: readonly Float32Array[],
  values: ReadonlyMap<tf.LayerVariable, Float32Array>,
): Map<tf.LayerVariable, Float32Array> {
  const out = new Map<tf.LayerVariable, Float32Array>();
  const read = (v: tf.LayerVariable) => values.get(v) ?? (v.read().dataSync() as Float32Array);
  folded.forEach(({ layer, batchNorm }, i) => {
    const dKernel = grads[2 * i]!;
    const dBias = grads[2 * i + 1]!;
    const channels = dBias.length;
    if (!batchNorm) {
      out.set(layer.kernel, dKernel);
      if (layer.bias) out.set(layer.bias, dBias);
      return;
    }
    const mean = read(batchNorm.movingMean);
    const variance = read(batchNorm.movingVariance);
    const gamma = batchNorm.gamma ? read(batchNorm.gamma) : undefined;
    const kernel = read(layer.kernel);
    const bias = layer.bias ? read(layer.bias) : new Float32Array(channels);
    const inverseStd = Float64Array.from(variance, (v) => 1 / Math.sqrt(v + batchNorm.epsilon));
    const scale = inverseStd.map((s, c) => s * (gamma ? gamma[c]! : 1));
    const dScale = new Float64Array(channels);
    const dW = new Float32Array(kernel.length);
    for (let j = 0; j < kernel.length; j++) {
      const c = j % channels;
      dW[j] = dKernel[j]! * scale[c]!;
      dScale[c]! += dKernel[j]! * kernel[j]!;
    }
    out.set(layer.kernel, dW);
    if (layer.bias)
      out.set(
        layer.bias,
        Float32Array.from(dBias, (g, c) => g * scale[c]!),
      );
    for (let c = 0; c < channels; c++) dScale[c]! += dBias[c]! * (bias[c]! - mean[c]!);
    if (batchNorm.gamma)
      out.set(
        batchNorm.gamma,
        Float32Array.from(dScale, (g, c) => g * inverseStd[c]!),
      );
    if (batchNorm.beta) out.set(batchNorm.beta, dBias);
  });
  return out;
}
