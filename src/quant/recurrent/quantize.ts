/**
 * The integer recurrent network from its float network and one format per calibration point, and
 * the whole flow from a trained tfjs model: fold → calibrate → quantise → measure (float and
 * bit-exact integer accuracy on the calibration set).
 *
 * Every weight tensor gets its own power-of-two q7 format (quant_test.py's rule). Where a shift
 * would be negative the finer side is lowered, as the q7 path does: a bias more precise than its
 * accumulator, a peephole weight too precise for the gate format, an output or projection format
 * finer than its product. q15 formats have at most 15 fractional bits. Every change is recorded in
 * the report.
 */
import type * as tf from '@tensorflow/tfjs';
import { argmax } from '../../metrics.js';
import { type CalibrationSet, type RangeMethod, calibrationExamples } from '../calibrate.js';
import type { ModelDescription } from '../fold.js';
import { type ConvLayer, fixedPoint, networkHeader } from '../ir.js';
import { type QuantizedTensor, quantizeTensor, quantizeWithFrac } from '../qformat.js';
import { createRecurrentClassifier } from './classifier.js';
import { collectRecurrentStats, initialFracs, searchFracs } from './calibrate.js';
import { foldRecurrentModel } from './fold.js';
import {
  type FloatCell,
  type FloatGruCell,
  type FloatLstmCell,
  type FloatRecurrentNetwork,
  createRecurrentFloatForward,
} from './float-network.js';
import {
  type GruCell,
  type HeadLayer,
  type LstmCell,
  type RecurrentCell,
  type RecurrentNetwork,
  MAX_SHIFT,
  Q15_FRAC,
  recurrentPoints,
  validateRecurrentNetwork,
} from './ir.js';
import type { RecurrentPointReport, RecurrentQuantReport, RecurrentTensorReport } from './report.js';

export interface RecurrentBuild {
  network: RecurrentNetwork;
  /** Fractional bits per point after adjustments (what the integer network really uses). */
  pointFracs: number[];
  tensors: RecurrentTensorReport[];
  adjustments: string[];
}

class BuildLog {
  readonly tensors: RecurrentTensorReport[] = [];
  readonly adjustments: string[] = [];

  tensor(name: string, source: string, q: QuantizedTensor): Int8Array {
    this.tensors.push({ name, source, frac: q.frac, maxAbs: q.maxAbs, saturated: q.saturated, count: q.values.length });
    return q.values;
  }
}

/** A tensor's own format, lowered to `limit` fractional bits where a shift needs it. */
function quantizeAtMost(
  values: Float32Array,
  limit: number,
  log: BuildLog,
  what: string,
  why: string,
): QuantizedTensor {
  const q = quantizeTensor(values);
  if (q.frac <= limit) return q;
  log.adjustments.push(`${what} lowered from ${q.frac} to ${limit} fractional bits (${why})`);
  return quantizeWithFrac(values, limit);
}

/** A requested format clamped into [min, max], saying why when it moves. */
function clampFrac(requested: number, min: number, max: number, log: BuildLog, what: string, why: string): number {
  const frac = Math.min(Math.max(requested, min), max);
  if (frac !== requested) log.adjustments.push(`${what}: ${requested} → ${frac} fractional bits (${why})`);
  return frac;
}

/** Weights and bias of a q7-output product (conv, head layer) and its shifts, as the q7 path derives them. */
function quantizeAffine(
  layer: { name: string; source: string; weights: Float32Array; bias: Float32Array },
  inFrac: number,
  requestedOutFrac: number,
  log: BuildLog,
) {
  const biasFrac = quantizeTensor(layer.bias).frac;
  const weights = quantizeAtMost(
    layer.weights,
    Math.min(MAX_SHIFT + biasFrac, MAX_SHIFT + requestedOutFrac) - inFrac,
    log,
    `${layer.name}: weights`,
    `to keep shifts ≤ ${MAX_SHIFT}`,
  );
  const productFrac = inFrac + weights.frac;
  const bias = quantizeAtMost(layer.bias, productFrac, log, `${layer.name}: bias`, 'bias shift would be negative');
  const outFrac = clampFrac(
    requestedOutFrac,
    -Infinity,
    productFrac,
    log,
    `${layer.name} output`,
    'output shift would be negative',
  );
  return {
    weights: log.tensor(`${layer.name}_WT`, `${layer.source}/kernel`, weights),
    bias: log.tensor(`${layer.name}_BIAS`, `${layer.source}/bias`, bias),
    ...fixedPoint(inFrac, weights.frac, bias.frac, outFrac),
  };
}

/**
 * Kernel, recurrent kernel and bias of a cell: the bias no finer than the input product's
 * accumulator, the kernels no finer than keeps their products' shifts ≤ MAX_SHIFT down to the
 * coarsest pre-activation format, `lowestFrac`.
 */
function quantizeCellTensors(cell: FloatCell, inFrac: number, stateFrac: number, lowestFrac: number, log: BuildLog) {
  const why = `to keep shifts ≤ ${MAX_SHIFT}`;
  const naturalBias = quantizeTensor(cell.bias).frac;
  const kernel = quantizeAtMost(
    cell.kernel,
    MAX_SHIFT + Math.min(naturalBias, lowestFrac) - inFrac,
    log,
    `${cell.name}: kernel`,
    why,
  );
  const recurrent = quantizeAtMost(
    cell.recurrentKernel,
    MAX_SHIFT + lowestFrac - stateFrac,
    log,
    `${cell.name}: recurrent kernel`,
    why,
  );
  const bias = quantizeAtMost(
    cell.bias,
    inFrac + kernel.frac,
    log,
    `${cell.name}: bias`,
    'bias shift would be negative',
  );
  return {
    name: cell.name,
    source: cell.source,
    inputSize: cell.inputSize,
    units: cell.units,
    inFrac,
    kernel: log.tensor(`${cell.name}_WT`, `${cell.source}/kernel`, kernel),
    kernelFrac: kernel.frac,
    recurrentKernel: log.tensor(`${cell.name}_RECURRENT_WT`, `${cell.source}/recurrent_kernel`, recurrent),
    recurrentFrac: recurrent.frac,
    bias: log.tensor(`${cell.name}_BIAS`, `${cell.source}/bias`, bias),
    biasFrac: bias.frac,
  };
}

/** A calibrated q15 format: at most Q0.15, at least 0 fractional bits (shifts into it stay ≤ 30). */
function q15Format(requested: number, log: BuildLog, what: string): number {
  return clampFrac(requested, 0, Q15_FRAC, log, what, 'q15 formats here have 0–15 fractional bits');
}

function quantizeLstm(cell: FloatLstmCell, inFrac: number, fracs: Map<string, number>, log: BuildLog): LstmCell {
  const n = cell.name;
  let projection: QuantizedTensor | null = null;
  let stateFrac = Q15_FRAC;
  if (cell.projectionKernel) {
    projection = quantizeTensor(cell.projectionKernel);
    const limit = Math.min(Q15_FRAC, Q15_FRAC + projection.frac);
    stateFrac = clampFrac(
      fracs.get(`${n}_PROJECTION`)!,
      0,
      limit,
      log,
      `${n}_PROJECTION`,
      'q15 with 0–15 fractional bits, no finer than its product',
    );
  }
  const gateFrac = q15Format(fracs.get(`${n}_GATES`)!, log, `${n}_GATES`);
  const cellFrac = q15Format(fracs.get(`${n}_CELL`)!, log, `${n}_CELL`);
  const tensors = quantizeCellTensors(cell, inFrac, stateFrac, gateFrac, log);
  let peepholes: LstmCell['peepholes'] = null;
  if (cell.peepholes) {
    // w·c shifts right into the gate format by wFrac + cellFrac − gateFrac, which must lie in [0, MAX_SHIFT].
    const low = gateFrac - cellFrac;
    const peephole = (gate: 'input' | 'forget' | 'output') => {
      const name = `${n}_${gate.toUpperCase()}_PEEPHOLE`;
      const values = cell.peepholes![gate];
      let q = quantizeTensor(values);
      if (q.frac < low || q.frac > low + MAX_SHIFT) {
        const frac = Math.min(Math.max(q.frac, low), low + MAX_SHIFT);
        log.adjustments.push(
          `${name}: ${q.frac} → ${frac} fractional bits (peephole shift must be in [0, ${MAX_SHIFT}])`,
        );
        q = quantizeWithFrac(values, frac);
      }
      return { values: log.tensor(name, `${cell.source}/${gate}_peephole`, q), frac: q.frac };
    };
    const input = peephole('input');
    const forget = peephole('forget');
    const output = peephole('output');
    peepholes = {
      input: input.values,
      forget: forget.values,
      output: output.values,
      inputFrac: input.frac,
      forgetFrac: forget.frac,
      outputFrac: output.frac,
    };
  }
  return {
    kind: 'lstm',
    ...tensors,
    projection: cell.projection,
    peepholes,
    projectionKernel: projection && log.tensor(`${n}_PROJECTION_WT`, `${cell.source}/projection_kernel`, projection),
    projectionFrac: projection ? projection.frac : 0,
    gateFrac,
    cellFrac,
    stateFrac,
  };
}

function quantizeGru(cell: FloatGruCell, inFrac: number, fracs: Map<string, number>, log: BuildLog): GruCell {
  const gateFrac = q15Format(fracs.get(`${cell.name}_GATES`)!, log, `${cell.name}_GATES`);
  const candidateFrac = q15Format(fracs.get(`${cell.name}_CANDIDATE`)!, log, `${cell.name}_CANDIDATE`);
  return {
    kind: 'gru',
    ...quantizeCellTensors(cell, inFrac, Q15_FRAC, Math.min(gateFrac, candidateFrac), log),
    gateFrac,
    candidateFrac,
  };
}

/** Integer network from the float network and one format per point (see ir.ts's `recurrentPoints`). */
export function buildRecurrentNetwork(float: FloatRecurrentNetwork, pointFracs: readonly number[]): RecurrentBuild {
  const points = recurrentPoints(float);
  if (pointFracs.length !== points.length)
    throw new Error(`buildRecurrentNetwork: ${pointFracs.length} formats for ${points.length} points`);
  const requested = new Map(points.map((p, i) => [p.name, pointFracs[i]!]));
  const log = new BuildLog();
  // ARM's mfcc.cpp scales by (1 << MFCC_DEC_BITS): a negative value would be undefined there.
  const inputFrac = clampFrac(
    pointFracs[0]!,
    0,
    Infinity,
    log,
    'input',
    'MFCC_DEC_BITS must be ≥ 0; larger features saturate',
  );
  let frac = inputFrac;
  let conv: ConvLayer | null = null;
  if (float.conv) {
    conv = { ...float.conv, ...quantizeAffine(float.conv, frac, requested.get(float.conv.name)!, log) };
    frac = conv.outFrac;
  }
  const cells: RecurrentCell[] = float.cells.map((cell) => {
    const q = cell.kind === 'lstm' ? quantizeLstm(cell, frac, requested, log) : quantizeGru(cell, frac, requested, log);
    frac = q.kind === 'lstm' ? q.stateFrac : Q15_FRAC;
    return q;
  });
  const head: HeadLayer[] = float.head.map((layer, i) => {
    const q = { ...layer, inputQ15: i === 0, ...quantizeAffine(layer, frac, requested.get(layer.name)!, log) };
    frac = q.outFrac;
    return q;
  });
  const network: RecurrentNetwork = {
    ...networkHeader(float, inputFrac),
    conv,
    steps: float.steps,
    cells,
    head,
  };
  validateRecurrentNetwork(network);
  return { network, pointFracs: effectiveFracs(network), tensors: log.tensors, adjustments: log.adjustments };
}

/** The format each point ends up with, in `recurrentPoints` order. */
export function effectiveFracs(network: RecurrentNetwork): number[] {
  const fracs = [network.inputFrac];
  if (network.conv) fracs.push(network.conv.outFrac);
  for (const cell of network.cells) {
    if (cell.kind === 'lstm') {
      fracs.push(cell.gateFrac, cell.cellFrac);
      if (cell.projection !== null) fracs.push(cell.stateFrac);
    } else fracs.push(cell.gateFrac, cell.candidateFrac);
  }
  for (const layer of network.head) fracs.push(layer.outFrac);
  return fracs;
}

export interface QuantizeRecurrentOptions {
  model: tf.LayersModel;
  description: ModelDescription;
  calibration: CalibrationSet;
  method: RangeMethod;
  /** For `percentile` (default 99.99). */
  percentile?: number;
  /** `search` only: candidates evaluated so far, of all. */
  onSearchProgress?: (done: number, total: number) => void;
}

export interface QuantizedRecurrentModel {
  network: RecurrentNetwork;
  report: RecurrentQuantReport;
}

function correctCount(predicted: Int32Array, truth: Int32Array): number {
  let correct = 0;
  for (let n = 0; n < truth.length; n++) if (predicted[n] === truth[n]) correct++;
  return correct;
}

/** log softmax of `scale · values` into `out`. */
function logSoftmax(values: ArrayLike<number>, scale: number, out: Float64Array): void {
  let max = -Infinity;
  for (let k = 0; k < out.length; k++) max = Math.max(max, values[k]! * scale);
  let sum = 0;
  for (let k = 0; k < out.length; k++) sum += Math.exp(values[k]! * scale - max);
  const log = max + Math.log(sum);
  for (let k = 0; k < out.length; k++) out[k] = values[k]! * scale - log;
}

/**
 * How far the integer network's outputs are from the float model's on the calibration set: the
 * mean KL divergence of its softmax (logits read in their format) from the float softmax.
 */
function divergence(network: RecurrentNetwork, x: Float32Array, floatLogProbs: Float64Array): number {
  const classifier = createRecurrentClassifier(network);
  const labels = network.labels.length;
  const scale = 2 ** -network.head[network.head.length - 1]!.outFrac;
  const logProbs = new Float64Array(labels);
  const examples = floatLogProbs.length / labels;
  let total = 0;
  for (let n = 0; n < examples; n++) {
    logSoftmax(
      classifier.logits(x.subarray(n * classifier.inputSize, (n + 1) * classifier.inputSize)),
      scale,
      logProbs,
    );
    for (let k = 0; k < labels; k++) {
      const p = floatLogProbs[n * labels + k]!;
      total += Math.exp(p) * (p - logProbs[k]!);
    }
  }
  return total / examples;
}

/** Quantises a trained recurrent model and measures it on its calibration set. */
export function quantizeRecurrentModel(options: QuantizeRecurrentOptions): QuantizedRecurrentModel {
  const { calibration } = options;
  const float = foldRecurrentModel(options.model, options.description);
  const inputSize = float.frames * float.coefficients;
  const labels = float.labels.length;
  const examples = calibrationExamples(calibration, inputSize);
  const forward = createRecurrentFloatForward(float);
  const stats = collectRecurrentStats(forward, calibration.x);
  let floatCorrect = 0;
  const floatLogProbs = new Float64Array(examples * labels);
  for (let n = 0; n < examples; n++) {
    const logits = forward.run(calibration.x.subarray(n * inputSize, (n + 1) * inputSize));
    if (argmax(logits) === calibration.y[n]) floatCorrect++;
    logSoftmax(logits, 1, floatLogProbs.subarray(n * labels, (n + 1) * labels));
  }
  const points = recurrentPoints(float);
  let fracs = initialFracs(points, stats, options.method, options.percentile);
  if (options.method === 'search') {
    // Candidates that clamp to the same formats (e.g. input ranges beyond MFCC_DEC_BITS 0) are one network.
    const scores = new Map<string, number>();
    fracs = searchFracs(
      points,
      fracs,
      (candidate) => {
        const { network, pointFracs } = buildRecurrentNetwork(float, candidate);
        const key = pointFracs.join(',');
        if (!scores.has(key)) scores.set(key, -divergence(network, calibration.x, floatLogProbs));
        return scores.get(key)!;
      },
      options.onSearchProgress,
    );
  }
  const build = buildRecurrentNetwork(float, fracs);
  const integer = createRecurrentClassifier(build.network);
  const integerCorrect = correctCount(integer.predict(calibration.x), calibration.y);

  const inputScale = 2 ** build.network.inputFrac;
  let inputSaturated = 0;
  // Values whose rounding lands outside [−128, 127] (C round: halves away from zero).
  for (const v of calibration.x) if (v * inputScale >= 127.5 || v * inputScale <= -128.5) inputSaturated++;
  const reports: RecurrentPointReport[] = points.map((point, i) => ({
    point: point.name,
    type: point.type,
    observedMaxAbs: stats[i]!.maxAbs,
    frac: build.pointFracs[i]!,
    range: 2 ** ((point.type === 'q7' ? 7 : Q15_FRAC) - build.pointFracs[i]!),
    saturated: i === 0 ? inputSaturated : integer.simulator.saturations[i]!,
    total: stats[i]!.count,
  }));
  return {
    network: build.network,
    report: {
      method: options.method,
      calibrationSamples: examples,
      points: reports,
      tensors: build.tensors,
      adjustments: build.adjustments,
      accuracy: { float: floatCorrect / examples, integer: integerCorrect / examples },
    },
  };
}
