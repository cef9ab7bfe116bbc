/**
 * Quantisation-aware training for the q7 target (dnn, cnn, ds_cnn). Each step:
 *   1. fold batch norm into the layer before it with the frozen moving statistics (fold.ts) and
 *      quantise the result exactly as `kws quantize` does (buildIntegerNetwork) with the tracked
 *      activation formats — so the forward pass sees the int8 weights the device will hold;
 *   2. run the training plan's folded graph on those weights with every quantisation point
 *      fake-quantised to its format (backend/plan/fake-quant.ts), the input as the front end does;
 *   3. pass the folded weights' gradients straight through the rounding and back through the
 *      fold to the model's kernels, biases, γ and β;
 *   4. move each point's range (an exponential average of the batch's largest |value|) toward
 *      what this batch saw; a range r gives the power-of-two format 7 − ceil(log2 r).
 * `kws quantize` then builds the integer network from the ranges saved with the checkpoint.
 */
import type * as tf from '@tensorflow/tfjs';
import { TrainingPlan, type QuantizeAwarePlan } from '../backend/plan/plan.js';
import type { FoldedLayer } from '../backend/plan/fake-quant.js';
import { KwsError } from '../errors.js';
import { quantizeFeatures } from '../features/quantize.js';
import type { FloatNetwork } from '../quant/float-network.js';
import { foldModel, type ModelDescription } from '../quant/fold.js';
import { isWeighted, type QuantizedNetwork } from '../quant/ir.js';
import { fromCmsisOrder } from '../quant/layout.js';
import { dequantize, fracBitsFor, maxAbs } from '../quant/qformat.js';
import { buildIntegerNetwork } from '../quant/quantize.js';
import type { GradientSource } from './step.js';

/** Weight of the previous range in the moving average (TensorFlow's QAT uses 0.999 over far longer runs). */
export const RANGE_DECAY = 0.99;

export class QuantizeAwareTraining {
  private constructor(
    private readonly model: tf.LayersModel,
    private readonly description: ModelDescription,
    private readonly qat: QuantizeAwarePlan,
    /** Tracked range per quantisation point; undefined until the first step measures them. */
    public ranges: number[] | undefined,
  ) {}

  /** Throws a KwsError when the model is not one the training plan runs on this backend. */
  static for(
    model: tf.LayersModel,
    description: ModelDescription,
    ranges: number[] | undefined,
  ): QuantizeAwareTraining {
    const qat = TrainingPlan.quantizeAware(model);
    if (!qat)
      throw new KwsError(
        `--quantize-aware supports dnn, cnn and ds_cnn (their integer pipeline runs on the training plan); not ${description.architecture}`,
      );
    if (ranges && ranges.length !== qat.formats.fracs.length)
      throw new KwsError(
        `the checkpoint's ${ranges.length} QAT ranges do not fit this model's ${qat.formats.fracs.length} points`,
      );
    return new QuantizeAwareTraining(model, description, qat, ranges);
  }

  /** The integer network `kws quantize` builds from the model and the tracked ranges. */
  integerNetwork(): QuantizedNetwork {
    if (!this.ranges) throw new Error('QAT: no ranges yet');
    return buildIntegerNetwork(foldModel(this.model, this.description), this.ranges.map(fracBitsFor)).network;
  }

  /** Gradients of one batch through the fake-quantised network, in `model.trainableWeights` order. */
  readonly gradients: GradientSource = (x, y, labelCount) => {
    const { plan, formats, folded } = this.qat;
    const variables = new Map(this.model.trainableWeights.map((w) => [w, w.read().dataSync() as Float32Array]));
    const float = foldModel(this.model, this.description);
    let result;
    if (!this.ranges) {
      // The first step trains in float (batch norm already frozen) and measures the ranges to start from.
      formats.fracs.fill(null);
      result = plan.gradients(foldedWeights(folded, floatValues(float)), x, y, labelCount);
      this.ranges = [maxAbs(x), ...Array.from(formats.maxima).slice(1)];
    } else {
      const build = buildIntegerNetwork(float, this.ranges.map(fracBitsFor));
      formats.fracs.splice(0, formats.fracs.length, ...build.pointFracs);
      const input = dequantize(quantizeFeatures(x, build.network.inputFrac), build.network.inputFrac);
      result = plan.gradients(foldedWeights(folded, integerValues(build.network)), input, y, labelCount);
      const inputMax = maxAbs(x);
      this.ranges = this.ranges.map(
        (range, point) => RANGE_DECAY * range + (1 - RANGE_DECAY) * (point === 0 ? inputMax : formats.maxima[point]!),
      );
    }
    const grads = unfoldGradients(folded, result.grads, variables);
    return {
      grads: this.model.trainableWeights.map((w) => grads.get(w)!),
      loss: result.loss,
      logits: result.logits,
    };
  };
}

interface LayerValues {
  weights: Float32Array;
  bias: Float32Array;
}

function floatValues(network: FloatNetwork): LayerValues[] {
  return network.layers.flatMap((l) => (l.kind === 'relu' || l.kind === 'avgpool' ? [] : [l]));
}

/** What the integer layers' int8 weights and biases stand for. */
function integerValues(network: QuantizedNetwork): LayerValues[] {
  return network.layers
    .filter(isWeighted)
    .map((l) => ({ weights: dequantize(l.weights, l.weightFrac), bias: dequantize(l.bias, l.biasFrac) }));
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
