/**
 * What quantisation decided and measured, for quant.json and the CLI summary: the Q format and
 * calibration range of every activation point, the Q format and clamp count of every tensor,
 * each precision the quantiser had to lower to keep a shift legal, and what it was made from.
 */
import type { SetName } from '../data/split.js';
import type { QuantizedSource } from '../run/provenance.js';
import type { RangeMethod } from './calibrate.js';
import { type FixedPoint, type QuantizedNetwork, type WeightedLayer, isWeighted } from './ir.js';

export type CalibrationMethod = 'max' | 'percentile' | 'search' | 'act-max' | 'qat';

/** How `kws quantize` (and `kws demo`) calibrate unless told otherwise. */
export const DEFAULT_CALIBRATION: Readonly<{ method: RangeMethod; set: SetName; size: number }> = Object.freeze({
  method: 'search',
  set: 'training',
  size: 1000,
});

/** One of ARM's activation quantisation points (input, each conv/dense output, pool, logits). */
export interface PointReport {
  /** Where it sits: `input`, or the float layer whose output it is. */
  point: string;
  /** Largest |activation| seen on the calibration set (before the ReLU). */
  observedMaxAbs: number;
  /** The range chosen for it: ARM's `act_max` (a power of two; 0 = left in float). */
  actMax: number;
  frac: number;
  /** Calibration activations outside the int8 range of that format. */
  saturated: number;
  total: number;
}

export interface TensorReport {
  layer: string;
  tensor: 'weights' | 'bias';
  frac: number;
  maxAbs: number;
  saturated: number;
  count: number;
}

export interface QuantReport {
  method: CalibrationMethod;
  calibrationSamples: number;
  points: PointReport[];
  tensors: TensorReport[];
  /** Precision lowered so that no shift is negative, one sentence each. */
  adjustments: string[];
  /** Accuracy on the calibration set, where measured. */
  accuracy?: { float: number; fakeQuant?: number; integer?: number };
}

export interface QuantizedModel {
  network: QuantizedNetwork;
  report?: QuantReport;
}

/** A weighted layer's formats and shifts, for quant.json. */
export function layerSummary(layer: FixedPoint & Pick<WeightedLayer, 'name' | 'source' | 'kind'>) {
  return {
    name: layer.name,
    source: layer.source,
    kind: layer.kind,
    inFrac: layer.inFrac,
    weightFrac: layer.weightFrac,
    biasFrac: layer.biasFrac,
    outFrac: layer.outFrac,
    biasShift: layer.biasShift,
    outShift: layer.outShift,
  };
}

/** quant.json of an integer network: per-layer formats and shifts, the calibration report, the provenance. */
export function renderQuantJson(model: QuantizedModel, source?: QuantizedSource): string {
  const { network } = model;
  const layers = network.layers.flatMap((layer): Array<Record<string, unknown>> => {
    if (isWeighted(layer)) return [layerSummary(layer)];
    if (layer.kind === 'avgpool') {
      const { name, kind, inFrac, outFrac, outLshift } = layer;
      return [{ name, kind, inFrac, outFrac, outLshift }];
    }
    return [];
  });
  const summary = {
    architecture: network.architecture,
    labels: network.labels,
    feature: network.feature,
    inputFrac: network.inputFrac,
    source: source ?? null,
    layers,
    calibration: model.report ?? null,
  };
  return `${JSON.stringify(summary, null, 2)}\n`;
}

/**
 * `search` picks ranges by the clips each candidate gets right; on clips the float model gets all
 * right (an overfitted model's training clips) there is none to win back, so they say little about
 * which ranges cost accuracy elsewhere: the note says so and where to look, or is absent.
 */
export function searchBlindNote(method: string, floatAccuracy: number | undefined, set: string): string[] {
  if (method !== 'search' || floatAccuracy !== 1) return [];
  return [
    `the float model gets every ${set} clip here right, so these clips say little about which ranges cost accuracy; ` +
      "'kws eval --quantized --by-point --set validation' shows what each point costs on clips it can miss",
  ];
}
