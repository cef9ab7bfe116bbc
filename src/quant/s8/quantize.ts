/**
 * The whole s8 flow from a trained tfjs model, the counterpart of the q7 target's quantizeModel:
 * fold batch norm → record every point's range on the calibration set → choose ranges (max,
 * percentile or search) → quantise (build.ts) → measure float and bit-exact integer accuracy on
 * the calibration set. The report says what was chosen per point and tensor and what was clamped.
 */
import type * as tf from '@tensorflow/tfjs';
import type { QuantizedSource } from '../../run/provenance.js';
import { type CalibrationSet, type RangeMethod, accuracyOf, calibrationExamples } from '../calibrate.js';
import { type FloatNetwork, createFloatForward, pointNames } from '../float-network.js';
import { type ModelDescription, foldModel } from '../fold.js';
import {
  type ActivationRange,
  type S8BuildOptions,
  type S8TensorReport,
  buildS8Network,
  representableRange,
} from './build.js';
import { chooseS8Ranges, collectRangeStats } from './calibrate.js';
import { createS8Classifier } from './classifier.js';
import { S8_TARGET } from '../../targets.js';
import { type S8Network, isS8Weighted } from './ir.js';

/** One quantisation point: the input, or a layer's output (after its folded ReLU). */
export interface S8PointReport {
  /** `input`, or the C name and float layer of the layer that writes it. */
  point: string;
  /** Smallest and largest float value seen there on the calibration set (before any ReLU). */
  observedMin: number;
  observedMax: number;
  /** The range the method chose for it. */
  chosenMin: number;
  chosenMax: number;
  scale: number;
  zeroPoint: number;
  /** The average pool's: its input's quantisation, not its own range. */
  inherited: boolean;
  /** Calibration values that fell outside the int8 range of this quantisation and were clamped. */
  saturated: number;
  total: number;
}

export interface S8QuantReport {
  target: typeof S8_TARGET;
  method: RangeMethod | 'qat';
  percentile?: number;
  calibrationSamples: number;
  points: S8PointReport[];
  tensors: S8TensorReport[];
  /** Decisions worth telling the user, one sentence each. */
  adjustments: string[];
  /** On the calibration set. */
  accuracy: { float: number; integer: number };
}

export interface S8QuantizedModel {
  network: S8Network;
  report: S8QuantReport;
}

export interface QuantizeS8Options extends S8BuildOptions {
  calibration: CalibrationSet;
  method: RangeMethod;
  /** For `percentile` (default 99.99). */
  percentile?: number;
  /** Ranges learned by quantisation-aware training, one per point (override `method`). */
  learnedRanges?: readonly ActivationRange[];
  /** `search` only: candidates evaluated so far, of all. */
  onSearchProgress?: (done: number, total: number) => void;
}

/** The s8 network and report of a folded float network. */
export function quantizeFloatNetworkS8(float: FloatNetwork, options: QuantizeS8Options): S8QuantizedModel {
  const { calibration } = options;
  const inputSize = float.frames * float.coefficients;
  const examples = calibrationExamples(calibration, inputSize);
  const buildOptions: S8BuildOptions = { denseQuantization: options.denseQuantization };
  const forward = createFloatForward(float);
  const stats = collectRangeStats(forward, calibration.x);
  const ranges =
    options.learnedRanges ??
    chooseS8Ranges(float, calibration, stats, {
      method: options.method,
      percentile: options.percentile,
      build: buildOptions,
      onSearchProgress: options.onSearchProgress,
    });
  const build = buildS8Network(float, ranges, buildOptions);
  const { network } = build;

  const classifier = createS8Classifier(network);
  const predictions = classifier.predict(calibration.x);
  const correct = predictions.reduce((sum, predicted, n) => sum + (predicted === calibration.y[n] ? 1 : 0), 0);
  const saturations = [inputSaturations(calibration.x, network), ...classifier.simulator.saturations];
  const points = pointReports(float, network, stats, ranges, build.points, saturations);
  return {
    network,
    report: {
      target: S8_TARGET,
      method: options.learnedRanges ? 'qat' : options.method,
      ...(options.method === 'percentile' && !options.learnedRanges ? { percentile: options.percentile ?? 99.99 } : {}),
      calibrationSamples: examples,
      points,
      tensors: build.tensors,
      adjustments: build.adjustments,
      accuracy: { float: accuracyOf(forward, calibration, []), integer: correct / examples },
    },
  };
}

export interface QuantizeModelS8Options extends QuantizeS8Options {
  model: tf.LayersModel;
  description: ModelDescription;
}

/** `kws quantize --target cmsis-nn-s8`: fold the tfjs model, then quantizeFloatNetworkS8. */
export function quantizeModelS8(options: QuantizeModelS8Options): S8QuantizedModel {
  return quantizeFloatNetworkS8(foldModel(options.model, options.description), options);
}

/** Features whose quantisation falls outside int8 (what quantizeInput clamps). */
function inputSaturations(x: Float32Array, network: S8Network): number {
  const { min, max } = representableRange({ scale: network.inputScale, zeroPoint: network.inputZeroPoint });
  const half = network.inputScale / 2;
  let count = 0;
  for (const v of x) if (v >= max + half || v <= min - half) count++;
  return count;
}

function pointReports(
  float: FloatNetwork,
  network: S8Network,
  stats: ReadonlyArray<{ min: number; max: number; count: number }>,
  ranges: readonly ActivationRange[],
  quantizations: ReadonlyArray<{ scale: number; zeroPoint: number }>,
  saturations: readonly number[],
): S8PointReport[] {
  return pointNames(float).map((name, point) => {
    const layer = point === 0 ? undefined : network.layers[point - 1]!;
    const s = stats[point]!;
    return {
      point: !layer ? 'input' : isS8Weighted(layer) ? `${name} (${layer.source})` : name,
      observedMin: s.min,
      observedMax: s.max,
      chosenMin: ranges[point]!.min,
      chosenMax: ranges[point]!.max,
      scale: quantizations[point]!.scale,
      zeroPoint: quantizations[point]!.zeroPoint,
      inherited: layer?.kind === 'avgpool',
      saturated: saturations[point]!,
      total: s.count,
    };
  });
}

/** quant.json of an s8 network: per-layer quantisation, the calibration report, the provenance. */
export function renderS8QuantJson(model: S8QuantizedModel, source?: QuantizedSource): string {
  const { network } = model;
  const layers = network.layers.map((layer) => {
    if (!isS8Weighted(layer)) {
      const { name, kind, scale, zeroPoint, activation } = layer;
      return { name, kind, scale, zeroPoint, activation };
    }
    return {
      name: layer.name,
      source: layer.source,
      kind: layer.kind,
      input: { scale: layer.inputScale, zeroPoint: layer.inputZeroPoint },
      output: { scale: layer.outputScale, zeroPoint: layer.outputZeroPoint },
      relu: layer.relu,
      activation: layer.activation,
      ...(layer.kind === 'dense' ? { perChannel: layer.perChannel } : {}),
      weightScales: Array.from(layer.weightScales),
      multipliers: Array.from(layer.multipliers),
      shifts: Array.from(layer.shifts),
    };
  });
  const summary = {
    target: network.target,
    architecture: network.architecture,
    labels: network.labels,
    feature: network.feature,
    input: { scale: network.inputScale, zeroPoint: network.inputZeroPoint },
    source: source ?? null,
    layers,
    calibration: model.report,
  };
  return `${JSON.stringify(summary, null, 2)}\n`;
}
