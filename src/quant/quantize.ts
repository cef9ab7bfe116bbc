/**
 * The integer network from a folded float network and per-point activation formats, and the
 * whole flow from a trained tfjs model: fold → calibrate → quantise → measure (float,
 * ARM-style fake-quantised, and bit-exact integer accuracy on the calibration set).
 *
 * Per weighted layer: weights and bias each get their own power-of-two format (quant_test.py's
 * rule). The kernels cannot shift left by a negative amount, so where the bias is more precise
 * than the product (n_b > n_in + n_w) the bias is re-quantised with n_in + n_w fractional bits,
 * and where the output format is more precise than the product the output is lowered to it
 * (the next layer then reads that format). Shifts above 31 (undefined in C) lower the weights'
 * precision. Every such change is recorded in the report.
 */
import type * as tf from '@tensorflow/tfjs';
import {
  type CalibrationSet,
  type RangeMethod,
  accuracyOf,
  calibrationExamples,
  chooseRanges,
  collectPointStats,
} from './calibrate.js';
import {
  type FloatLayer,
  type FloatNetwork,
  type FloatWeightedLayer,
  createFloatForward,
  pointNames,
} from './float-network.js';
import { type ModelDescription, foldModel } from './fold.js';
import {
  type AvgPoolLayer,
  type QuantLayer,
  type QuantizedNetwork,
  type WeightedLayer,
  fixedPoint,
  networkHeader,
  validateNetwork,
} from './ir.js';
import { dequantize, quantizeTensor, quantizeWithFrac } from './qformat.js';
import type { PointReport, QuantReport, QuantizedModel, TensorReport } from './report.js';
import { createIntegerClassifier } from './integer-classifier.js';

const MAX_SHIFT = 31;

export interface IntegerBuild {
  network: QuantizedNetwork;
  /** Fractional bits per point after adjustments (what the integer network really uses). */
  pointFracs: number[];
  tensors: TensorReport[];
  adjustments: string[];
}

function tensorReport(
  layer: string,
  tensor: 'weights' | 'bias',
  q: { frac: number; maxAbs: number; saturated: number; values: Int8Array },
): TensorReport {
  return { layer, tensor, frac: q.frac, maxAbs: q.maxAbs, saturated: q.saturated, count: q.values.length };
}

interface BuildLog {
  tensors: TensorReport[];
  adjustments: string[];
}

function quantizeWeighted(
  layer: FloatWeightedLayer,
  inFrac: number,
  requestedOutFrac: number,
  log: BuildLog,
): WeightedLayer {
  let weights = quantizeTensor(layer.weights);
  let bias = quantizeTensor(layer.bias);
  let outFrac = requestedOutFrac;
  const shiftLimit = Math.min(MAX_SHIFT + bias.frac, MAX_SHIFT + outFrac) - inFrac;
  if (weights.frac > shiftLimit) {
    log.adjustments.push(
      `${layer.name}: weights lowered from ${weights.frac} to ${shiftLimit} fractional bits to keep shifts ≤ ${MAX_SHIFT}`,
    );
    weights = quantizeWithFrac(layer.weights, shiftLimit);
  }
  const productFrac = inFrac + weights.frac;
  if (bias.frac > productFrac) {
    log.adjustments.push(
      `${layer.name}: bias lowered from ${bias.frac} to ${productFrac} fractional bits (bias shift would be negative)`,
    );
    bias = quantizeWithFrac(layer.bias, productFrac);
  }
  if (outFrac > productFrac) {
    log.adjustments.push(
      `${layer.name}: output lowered from ${outFrac} to ${productFrac} fractional bits (output shift would be negative)`,
    );
    outFrac = productFrac;
  }
  log.tensors.push(tensorReport(layer.name, 'weights', weights), tensorReport(layer.name, 'bias', bias));
  return {
    ...layer,
    weights: weights.values,
    bias: bias.values,
    ...fixedPoint(inFrac, weights.frac, bias.frac, outFrac),
  };
}

/** Largest left shift for which `sum · 2^k` of a `count`-value int8 average fits 32 bits. */
function maxPoolShift(count: number): number {
  return Math.floor(Math.log2((2 ** 31 - 1) / (128 * count)));
}

/** Integer network from the folded float network and one format per quantisation point. */
export function buildIntegerNetwork(float: FloatNetwork, pointFracs: readonly number[]): IntegerBuild {
  const names = pointNames(float);
  if (pointFracs.length !== names.length)
    throw new Error(`buildIntegerNetwork: ${pointFracs.length} formats for ${names.length} points`);
  const log: BuildLog = { tensors: [], adjustments: [] };
  // ARM's mfcc.cpp scales by (1 << MFCC_DEC_BITS): a negative value would be undefined there.
  const inputFrac = Math.max(0, pointFracs[0]!);
  if (inputFrac !== pointFracs[0]) {
    log.adjustments.push(
      `input: range ${2 ** (7 - pointFracs[0]!)} needs MFCC_DEC_BITS ${pointFracs[0]}; the device code needs ≥ 0, so features beyond ±128 saturate`,
    );
  }
  const effectiveFracs = [inputFrac];
  const layers: QuantLayer[] = [];
  let frac = inputFrac;
  let point = 0;
  for (const layer of float.layers) {
    if (layer.kind === 'relu') {
      layers.push(layer);
      continue;
    }
    point++;
    const requested = pointFracs[point]!;
    if (layer.kind === 'avgpool') {
      const limit = maxPoolShift(layer.input.height * layer.input.width);
      let outLshift = requested - frac;
      if (outLshift < 0 || outLshift > limit) {
        const clamped = Math.min(Math.max(outLshift, 0), limit);
        log.adjustments.push(
          `${layer.name}: output format ${requested} → ${frac + clamped} fractional bits (left shift must be in [0, ${limit}])`,
        );
        outLshift = clamped;
      }
      const pool: AvgPoolLayer = {
        kind: 'avgpool',
        name: layer.name,
        input: layer.input,
        inFrac: frac,
        outFrac: frac + outLshift,
        outLshift,
      };
      layers.push(pool);
      frac = pool.outFrac;
    } else {
      const q = quantizeWeighted(layer, frac, requested, log);
      layers.push(q);
      frac = q.outFrac;
    }
    effectiveFracs.push(frac);
  }
  const network: QuantizedNetwork = { ...networkHeader(float, inputFrac), layers };
  validateNetwork(network);
  return { network, pointFracs: effectiveFracs, ...log };
}

/** The float network with each weighted layer's tensors replaced by their int8 values' meaning. */
export function dequantizedNetwork(float: FloatNetwork, network: QuantizedNetwork): FloatNetwork {
  const integerLayers = network.layers;
  const layers = float.layers.map((layer, i): FloatLayer => {
    const q = integerLayers[i]!;
    if (layer.kind === 'relu' || layer.kind === 'avgpool' || q.kind === 'relu' || q.kind === 'avgpool') return layer;
    return { ...layer, weights: dequantize(q.weights, q.weightFrac), bias: dequantize(q.bias, q.biasFrac) };
  });
  return { ...float, layers };
}

/** The float network with weights and biases rounded to their own int8 formats (quant_test.py). */
export function weightQuantizedNetwork(float: FloatNetwork): FloatNetwork {
  const round = (values: Float32Array): Float32Array => {
    const q = quantizeTensor(values);
    return dequantize(q.values, q.frac);
  };
  const layers = float.layers.map((layer): FloatLayer =>
    layer.kind === 'relu' || layer.kind === 'avgpool'
      ? layer
      : { ...layer, weights: round(layer.weights), bias: round(layer.bias) },
  );
  return { ...float, layers };
}

export interface QuantizeModelOptions {
  model: tf.LayersModel;
  description: ModelDescription;
  calibration: CalibrationSet;
  method: RangeMethod;
  /** For `percentile` (default 99.99). */
  percentile?: number;
  /** ARM's `--act_max`, one value per point (overrides `method`). */
  actMax?: readonly number[];
  /** Ranges learned by quantisation-aware training, one per point (overrides `method`). */
  learnedRanges?: readonly number[];
  /** `search` only: candidates evaluated so far, of all. */
  onSearchProgress?: (done: number, total: number) => void;
}

export function quantizeModel(options: QuantizeModelOptions): QuantizedModel {
  const { calibration } = options;
  const float = foldModel(options.model, options.description);
  const inputSize = float.frames * float.coefficients;
  const examples = calibrationExamples(calibration, inputSize);
  const floatForward = createFloatForward(float);
  const stats = collectPointStats(floatForward, calibration.x);

  // Ranges are chosen with the weights already quantised, as ARM's quant_test.py evaluated them.
  const weightsForward = createFloatForward(weightQuantizedNetwork(float));
  const choice = chooseRanges(weightsForward, calibration, stats, options);
  const build = buildIntegerNetwork(float, choice.fracs);
  const fakeQuantForward = createFloatForward(dequantizedNetwork(float, build.network));
  const fakeQuantFracs = choice.fakeQuantFracs.map((f, i) => (f === null ? null : build.pointFracs[i]!));

  const integer = createIntegerClassifier(build.network);
  const predictions = integer.predict(calibration.x);
  const correct = predictions.reduce((sum, predicted, n) => sum + (predicted === calibration.y[n] ? 1 : 0), 0);
  const inputScale = 2 ** build.network.inputFrac;
  let inputSaturated = 0;
  // Values whose rounding lands outside [−128, 127] (C round: halves away from zero).
  for (const v of calibration.x) if (v * inputScale >= 127.5 || v * inputScale <= -128.5) inputSaturated++;

  const names = pointNames(float);
  const layerIndexOfPoint = build.network.layers.flatMap((layer, i) => (layer.kind === 'relu' ? [] : [i]));
  const points: PointReport[] = names.map((point, i) => ({
    point: i === 0 ? 'input' : `${point} (${sourceOf(float, point)})`,
    observedMaxAbs: stats[i]!.maxAbs,
    actMax: 2 ** (7 - build.pointFracs[i]!),
    frac: build.pointFracs[i]!,
    saturated: i === 0 ? inputSaturated : integer.simulator.saturations[layerIndexOfPoint[i - 1]!]!,
    total: stats[i]!.count,
  }));
  const report: QuantReport = {
    method: options.actMax ? 'act-max' : options.learnedRanges ? 'qat' : options.method,
    calibrationSamples: examples,
    points,
    tensors: build.tensors,
    adjustments: [...choice.notes, ...build.adjustments],
    accuracy: {
      float: accuracyOf(floatForward, calibration, []),
      fakeQuant: accuracyOf(fakeQuantForward, calibration, fakeQuantFracs),
      integer: correct / examples,
    },
  };
  return { network: build.network, report };
}

function sourceOf(float: FloatNetwork, name: string): string {
  const layer = float.layers.find((l) => l.kind !== 'relu' && l.name === name);
  return layer && 'source' in layer ? layer.source : 'avg_pool';
}
