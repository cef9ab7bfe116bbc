/**
 * quant.json of a recurrent network: every calibration point's type (q7 or q15), range and format,
 * every tensor's format, each cell's formats and derived shifts, the precision lowered anywhere,
 * accuracy on the calibration set, what it was made from — and where and why it uses q15.
 */
import type { QuantizedSource } from '../../run/provenance.js';
import type { RangeMethod } from '../calibrate.js';
import { layerSummary } from '../report.js';
import { type RecurrentNetwork, gruShifts, lstmShifts } from './ir.js';

export interface RecurrentPointReport {
  point: string;
  type: 'q7' | 'q15';
  /** Largest |value| seen on the calibration set (before any ReLU), over every step. */
  observedMaxAbs: number;
  frac: number;
  /** The range the format holds: 2^(7 − frac) for q7, 2^(15 − frac) for q15. */
  range: number;
  /** Calibration values clamped there by the integer network. */
  saturated: number;
  /** Values seen there (every step of every clip). */
  total: number;
}

export interface RecurrentTensorReport {
  /** weights.h macro name. */
  name: string;
  /** tfjs variable. */
  source: string;
  frac: number;
  maxAbs: number;
  saturated: number;
  count: number;
}

export interface RecurrentQuantReport {
  method: RangeMethod;
  calibrationSamples: number;
  points: RecurrentPointReport[];
  tensors: RecurrentTensorReport[];
  adjustments: string[];
  accuracy: { float: number; integer: number };
}

/** What is held in q15 and why, for quant.json and the C header. */
export const Q15_NOTE =
  'weights, input features, the convolution and the fully connected head are q7; inside the recurrent cells 8 bits lose too much, ' +
  'so gate pre-activations, the LSTM cell state and the LSTM projection (calibrated formats), gate outputs and the hidden state ' +
  '(Q0.15) are q15; values reach the q15 sigmoid/tanh tables as at most Q3.12, larger ones saturating at +-8 where both are flat';

function cellSummary(cell: RecurrentNetwork['cells'][number]) {
  const common = {
    name: cell.name,
    source: cell.source,
    kind: cell.kind,
    inputSize: cell.inputSize,
    units: cell.units,
    inFrac: cell.inFrac,
    kernelFrac: cell.kernelFrac,
    recurrentFrac: cell.recurrentFrac,
    biasFrac: cell.biasFrac,
  };
  if (cell.kind === 'gru') {
    return {
      ...common,
      gateOrder: 'r, u, c',
      gateFrac: cell.gateFrac,
      candidateFrac: cell.candidateFrac,
      shifts: gruShifts(cell),
    };
  }
  return {
    ...common,
    gateOrder: 'i, j, f, o',
    projection: cell.projection,
    peepholeFracs: cell.peepholes && {
      input: cell.peepholes.inputFrac,
      forget: cell.peepholes.forgetFrac,
      output: cell.peepholes.outputFrac,
    },
    projectionFrac: cell.projection === null ? null : cell.projectionFrac,
    gateFrac: cell.gateFrac,
    cellFrac: cell.cellFrac,
    stateFrac: cell.stateFrac,
    shifts: lstmShifts(cell),
  };
}

export function renderRecurrentQuantJson(
  model: { network: RecurrentNetwork; report?: RecurrentQuantReport },
  source?: QuantizedSource,
): string {
  const { network } = model;
  const summary = {
    architecture: network.architecture,
    labels: network.labels,
    feature: network.feature,
    inputFrac: network.inputFrac,
    q15: Q15_NOTE,
    source: source ?? null,
    conv: network.conv && { ...layerSummary(network.conv), relu: true },
    cells: network.cells.map(cellSummary),
    head: network.head.map((layer) => ({ ...layerSummary(layer), inputQ15: layer.inputQ15, relu: layer.relu })),
    calibration: model.report ?? null,
  };
  return `${JSON.stringify(summary, null, 2)}\n`;
}
