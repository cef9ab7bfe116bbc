/**
 * What quantisation decided and measured, for quant.json and the CLI summary: the Q format and
 * calibration range of every activation point, the Q format and clamp count of every tensor,
 * and each precision the quantiser had to lower to keep a shift legal.
 */
import type { QuantizedNetwork } from './ir.js';

export type CalibrationMethod = 'max' | 'percentile' | 'search' | 'act-max';

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
