/**
 * The integer recurrent network (basic_lstm, lstm, gru, crnn) as the emitted C computes it, read by
 * the simulator, the emitter and quant.json alike. Weights are q7 in CMSIS-NN order, one power-of-two
 * format per tensor; what runs between the products is q15, because 8 bits lose too much there:
 *
 * - gate pre-activations, the LSTM cell state c and the LSTM projection m: q15 in calibrated formats;
 * - gate outputs, the hidden state h and r⊙h: Q0.15 (|value| < 1).
 *
 * Input features, the CRNN convolution and the fully connected head stay q7 as in the q7 networks;
 * the first head layer reads the q15 state (arm_fully_connected_mat_q7_vec_q15) and saturates its
 * q15 result to q7. Gate rows are in TF1's order (LSTM i, j, f, o; GRU r, u, c), whatever order
 * tfjs keeps them in.
 *
 * A step's gate pre-activations are the sum of two products, W·x + b and U·s (x the step input, s
 * the recurrent state), each computed by one arm_fully_connected_mat_q7_vec_q15 call into q15 in
 * the finer of its accumulator's format and the pre-activation format, then shifted left into the
 * latter and added with saturation (`add_q15`); LSTM peepholes are added in that format too. Only
 * then are the values brought to what arm_nn_activations_direct_q15 reads — at most Q3.12, so
 * larger ones saturate at ±8, where sigmoid and tanh are flat (`shift_q15`); tanh(c) likewise.
 * All shifts are derived here, from the formats.
 */
import type { FeatureConfig } from '../../features/config.js';
import { type ConvLayer, type DenseLayer, mapSize } from '../ir.js';

export type RecurrentArchitecture = 'basic_lstm' | 'lstm' | 'gru' | 'crnn';

export const RECURRENT_ARCHITECTURES: readonly RecurrentArchitecture[] = ['basic_lstm', 'lstm', 'gru', 'crnn'];

export function isRecurrentArchitecture(name: string): name is RecurrentArchitecture {
  return (RECURRENT_ARCHITECTURES as readonly string[]).includes(name);
}

/** Fractional bits of a Q0.15 value: gate outputs and the hidden state h. */
export const Q15_FRAC = 15;
/** arm_nn_activations_direct_q15 takes int_width 0…3: its input has 12–15 fractional bits. */
export const MIN_ACTIVATION_FRAC = 12;
/** Left shifts the emitted C applies to q15 values (add_q15, shift_q15) keep q31 sums from overflowing. */
export const MAX_ALIGN_SHIFT = 15;
/**
 * Right and bias shifts stay ≤ 30: ARM's NN_ROUND(31), `(0x1 << 31) >> 1`, overflows int, and its
 * kernels then round differently from their documented arithmetic (and from the portable ones).
 */
export const MAX_SHIFT = 30;

interface CellBase {
  /** C macro prefix: `LSTM`, `GRU_1`, `GRU_2`. */
  name: string;
  /** tfjs layer it came from. */
  source: string;
  inputSize: number;
  units: number;
  /** Fractional bits of the step input: q7 features or conv output widened to q15, or a q15 hidden state. */
  inFrac: number;
  /** `[gates][inputSize]`. */
  kernel: Int8Array;
  kernelFrac: number;
  /** `[gates][stateSize]`. */
  recurrentKernel: Int8Array;
  recurrentFrac: number;
  bias: Int8Array;
  biasFrac: number;
}

export interface LstmPeepholes {
  input: Int8Array;
  forget: Int8Array;
  output: Int8Array;
  inputFrac: number;
  forgetFrac: number;
  outputFrac: number;
}

/** TF1 BasicLSTMCell (no peepholes, no projection) or LSTMCell(use_peepholes, num_proj). */
export interface LstmCell extends CellBase {
  kind: 'lstm';
  /** The projected output width (the recurrent state), or null for a basic LSTM. */
  projection: number | null;
  peepholes: LstmPeepholes | null;
  /** `[projection][units]`, no bias. */
  projectionKernel: Int8Array | null;
  projectionFrac: number;
  /** Gate pre-activations (all four gates). */
  gateFrac: number;
  cellFrac: number;
  /** The recurrent state: Q0.15 h, or the projection m in its calibrated format. */
  stateFrac: number;
}

/** TF1 GRUCell: the reset gate scales the state before the candidate's recurrent product. */
export interface GruCell extends CellBase {
  kind: 'gru';
  /** Reset and update gate pre-activations. */
  gateFrac: number;
  candidateFrac: number;
}

export type RecurrentCell = LstmCell | GruCell;

/** A head layer; the first reads the q15 state and saturates its q15 result to q7. */
export interface HeadLayer extends DenseLayer {
  inputQ15: boolean;
  relu: boolean;
}

export interface RecurrentNetwork {
  architecture: RecurrentArchitecture;
  feature: FeatureConfig;
  frames: number;
  coefficients: number;
  /** Fractional bits of the int8 input features (`MFCC_DEC_BITS`). */
  inputFrac: number;
  labels: string[];
  /** CRNN's convolution (followed by ReLU); its output rows are the steps. */
  conv: ConvLayer | null;
  steps: number;
  cells: RecurrentCell[];
  head: HeadLayer[];
}

export function gateCount(cell: { kind: 'lstm' | 'gru' }): number {
  return cell.kind === 'lstm' ? 4 : 3;
}

export function stateSize(cell: { kind: 'lstm' | 'gru'; units: number; projection?: number | null }): number {
  return cell.kind === 'lstm' && cell.projection !== null && cell.projection !== undefined
    ? cell.projection
    : cell.units;
}

export function stateFrac(cell: RecurrentCell): number {
  return cell.kind === 'lstm' ? cell.stateFrac : Q15_FRAC;
}

/** One arm_fully_connected_mat_q7_vec_q15 call into q15, then the left shift add_q15 applies. */
export interface ProductShifts {
  /** Bias into the accumulator (0 for the bias-free recurrent products). */
  biasShift: number;
  /** Accumulator to the call's q15 output. */
  outShift: number;
  /** The call's q15 output to the target format. */
  alignShift: number;
}

function productShifts(accumulatorFrac: number, targetFrac: number, biasFrac?: number): ProductShifts {
  const outFrac = Math.min(targetFrac, accumulatorFrac);
  return {
    biasShift: biasFrac === undefined ? 0 : accumulatorFrac - biasFrac,
    outShift: accumulatorFrac - outFrac,
    alignShift: targetFrac - outFrac,
  };
}

/** A q15 value brought to the activation tables: shifted left (saturating) by `shift`, read with `intWidth`. */
export interface ActivationInput {
  shift: number;
  intWidth: number;
}

export function activationInput(frac: number): ActivationInput {
  return {
    shift: Math.max(0, MIN_ACTIVATION_FRAC - frac),
    intWidth: Math.min(Q15_FRAC - MIN_ACTIVATION_FRAC, Q15_FRAC - frac),
  };
}

export interface LstmShifts {
  input: ProductShifts;
  recurrent: ProductShifts;
  gates: ActivationInput;
  /** Peephole products w·c into the gate format, input / forget / output gate. */
  peephole: { input: number; forget: number; output: number } | null;
  /** f·c (Q0.15 × cell) back to the cell format: 15. */
  forgetShift: number;
  /** i·j (Q0.15 × Q0.15) to the cell format: 30 − cellFrac. */
  candidateShift: number;
  /** The cell state into tanh. */
  tanh: ActivationInput;
  /** o·tanh(c) to Q0.15: 15. */
  outputShift: number;
  /** h (Q0.15) times the projection to the state format. */
  projectionShift: number | null;
}

export function lstmShifts(cell: LstmCell): LstmShifts {
  const peepholes = cell.peepholes;
  const peephole = (frac: number) => frac + cell.cellFrac - cell.gateFrac;
  return {
    input: productShifts(cell.inFrac + cell.kernelFrac, cell.gateFrac, cell.biasFrac),
    recurrent: productShifts(cell.stateFrac + cell.recurrentFrac, cell.gateFrac),
    gates: activationInput(cell.gateFrac),
    peephole: peepholes && {
      input: peephole(peepholes.inputFrac),
      forget: peephole(peepholes.forgetFrac),
      output: peephole(peepholes.outputFrac),
    },
    forgetShift: Q15_FRAC,
    candidateShift: 2 * Q15_FRAC - cell.cellFrac,
    tanh: activationInput(cell.cellFrac),
    outputShift: Q15_FRAC,
    projectionShift: cell.projection === null ? null : Q15_FRAC + cell.projectionFrac - cell.stateFrac,
  };
}

export interface GruShifts {
  gatesInput: ProductShifts;
  candidateInput: ProductShifts;
  gatesRecurrent: ProductShifts;
  candidateRecurrent: ProductShifts;
  gates: ActivationInput;
  candidate: ActivationInput;
  /** r·h (Q0.15 × Q0.15) to Q0.15: 15. */
  resetShift: number;
}

export function gruShifts(cell: GruCell): GruShifts {
  const input = cell.inFrac + cell.kernelFrac;
  const recurrent = Q15_FRAC + cell.recurrentFrac;
  return {
    gatesInput: productShifts(input, cell.gateFrac, cell.biasFrac),
    candidateInput: productShifts(input, cell.candidateFrac, cell.biasFrac),
    gatesRecurrent: productShifts(recurrent, cell.gateFrac),
    candidateRecurrent: productShifts(recurrent, cell.candidateFrac),
    gates: activationInput(cell.gateFrac),
    candidate: activationInput(cell.candidateFrac),
    resetShift: Q15_FRAC,
  };
}

/** Where a format is chosen: q7 points as in the q7 networks, q15 points inside the cells. */
export interface PointSpec {
  name: string;
  type: 'q7' | 'q15';
}

/** The structure both the float and the integer networks share, enough to list their points. */
interface NetworkOutline {
  conv: { name: string } | null;
  cells: ReadonlyArray<{ kind: 'lstm' | 'gru'; name: string; projection?: number | null }>;
  head: ReadonlyArray<{ name: string }>;
}

/**
 * The calibration points, in data-flow order: `input`, the conv output, per LSTM its gate
 * pre-activations, cell state and projection, per GRU its gate and candidate pre-activations,
 * then each head layer's output (before its ReLU). The hidden state is Q0.15 and needs none.
 */
export function recurrentPoints(network: NetworkOutline): PointSpec[] {
  const points: PointSpec[] = [{ name: 'input', type: 'q7' }];
  if (network.conv) points.push({ name: network.conv.name, type: 'q7' });
  for (const cell of network.cells) {
    if (cell.kind === 'lstm') {
      points.push({ name: `${cell.name}_GATES`, type: 'q15' }, { name: `${cell.name}_CELL`, type: 'q15' });
      if (cell.projection) points.push({ name: `${cell.name}_PROJECTION`, type: 'q15' });
    } else {
      points.push({ name: `${cell.name}_GATES`, type: 'q15' }, { name: `${cell.name}_CANDIDATE`, type: 'q15' });
    }
  }
  for (const layer of network.head) points.push({ name: layer.name, type: 'q7' });
  return points;
}

/** Values the first cell reads per step. */
export function stepInputSize(network: { conv: { output: ConvLayer['output'] } | null; coefficients: number }): number {
  return network.conv ? network.conv.output.width * network.conv.output.channels : network.coefficients;
}

/**
 * Checks what the simulator and the C rely on, so a malformed network fails here naming the
 * layer: sizes chain, tensor lengths match, formats and shifts are in the kernels' ranges.
 */
export function validateRecurrentNetwork(network: RecurrentNetwork): void {
  const fail = (where: string, what: string): never => {
    throw new Error(`quantised recurrent network: ${where}: ${what}`);
  };
  const shift = (where: string, label: string, value: number, max = MAX_SHIFT) => {
    if (!Number.isInteger(value) || value < 0 || value > max) fail(where, `${label} ${value} outside [0, ${max}]`);
  };
  const length = (where: string, label: string, values: Int8Array, expected: number) => {
    if (values.length !== expected) fail(where, `${values.length} ${label} values, expected ${expected}`);
  };
  const { conv } = network;
  if (conv) {
    const input = { height: network.frames, width: network.coefficients, channels: 1 };
    if (mapSize(conv.input) !== mapSize(input)) fail(conv.name, 'does not read the input features');
    length(
      conv.name,
      'weight',
      conv.weights,
      conv.output.channels * conv.kernel.y * conv.kernel.x * conv.input.channels,
    );
    length(conv.name, 'bias', conv.bias, conv.output.channels);
    shift(conv.name, 'bias shift', conv.biasShift);
    shift(conv.name, 'output shift', conv.outShift);
  }
  const steps = conv ? conv.output.height : network.frames;
  if (network.steps !== steps) fail('network', `${network.steps} steps, but the input has ${steps}`);
  if (network.cells.length === 0) fail('network', 'no recurrent cell');
  let size = stepInputSize(network);
  let frac = conv ? conv.outFrac : network.inputFrac;
  network.cells.forEach((cell, index) => {
    const where = cell.name;
    if (cell.inputSize !== size) fail(where, `reads ${cell.inputSize} values per step but receives ${size}`);
    if (cell.inFrac !== frac) fail(where, `reads ${cell.inFrac} fractional bits but receives ${frac}`);
    const gates = gateCount(cell) * cell.units;
    const state = stateSize(cell);
    length(where, 'kernel', cell.kernel, gates * cell.inputSize);
    length(where, 'recurrent kernel', cell.recurrentKernel, gates * state);
    length(where, 'bias', cell.bias, gates);
    if (cell.kind === 'lstm') checkLstm(cell, shift, length, fail);
    else checkGru(cell, shift, fail);
    if (cell.kind === 'gru' && index < network.cells.length - 1 && network.cells[index + 1]!.kind !== 'gru')
      fail(where, 'only GRU layers stack');
    size = state;
    frac = stateFrac(cell);
  });
  if (network.head.length === 0) fail('network', 'no output layer');
  network.head.forEach((layer, index) => {
    const where = layer.name;
    if (layer.inputQ15 !== (index === 0)) fail(where, 'only the first head layer reads the q15 state');
    if (layer.inputSize !== size) fail(where, `reads ${layer.inputSize} values but receives ${size}`);
    if (layer.inFrac !== frac) fail(where, `reads ${layer.inFrac} fractional bits but receives ${frac}`);
    length(where, 'weight', layer.weights, layer.inputSize * layer.outputSize);
    length(where, 'bias', layer.bias, layer.outputSize);
    shift(where, 'bias shift', layer.biasShift);
    shift(where, 'output shift', layer.outShift);
    size = layer.outputSize;
    frac = layer.outFrac;
  });
  if (network.head[network.head.length - 1]!.relu) fail('network', 'the logits layer has a ReLU');
  if (size !== network.labels.length) fail('network', `${size} outputs for ${network.labels.length} labels`);
}

type ShiftCheck = (where: string, label: string, value: number, max?: number) => void;
type LengthCheck = (where: string, label: string, values: Int8Array, expected: number) => void;

function checkProduct(where: string, label: string, shifts: ProductShifts, shift: ShiftCheck): void {
  shift(where, `${label} bias shift`, shifts.biasShift);
  shift(where, `${label} output shift`, shifts.outShift);
  shift(where, `${label} alignment shift`, shifts.alignShift, MAX_ALIGN_SHIFT);
}

/** A q15 format the activation tables can be fed from: at most 15 fractional bits, reachable by a left shift. */
function checkActivationFrac(
  where: string,
  label: string,
  frac: number,
  fail: (where: string, what: string) => never,
): void {
  const lowest = MIN_ACTIVATION_FRAC - MAX_ALIGN_SHIFT;
  if (!Number.isInteger(frac) || frac < lowest || frac > Q15_FRAC)
    fail(where, `${label} has ${frac} fractional bits, outside [${lowest}, ${Q15_FRAC}]`);
}

function checkLstm(
  cell: LstmCell,
  shift: ShiftCheck,
  length: LengthCheck,
  fail: (where: string, what: string) => never,
): void {
  const where = cell.name;
  const shifts = lstmShifts(cell);
  checkActivationFrac(where, 'gate pre-activations', cell.gateFrac, fail);
  checkActivationFrac(where, 'cell state', cell.cellFrac, fail);
  checkProduct(where, 'input product', shifts.input, shift);
  checkProduct(where, 'recurrent product', shifts.recurrent, shift);
  shift(where, 'i·j shift', shifts.candidateShift);
  if ((cell.projection === null) !== (cell.projectionKernel === null))
    fail(where, 'projection width and projection weights disagree');
  if (cell.projection === null) {
    if (cell.stateFrac !== Q15_FRAC) fail(where, `hidden state has ${cell.stateFrac} fractional bits, not 15`);
  } else {
    length(where, 'projection', cell.projectionKernel!, cell.projection * cell.units);
    shift(where, 'projection shift', shifts.projectionShift!);
  }
  if (cell.peepholes) {
    for (const gate of ['input', 'forget', 'output'] as const) {
      length(where, `${gate} peephole`, cell.peepholes[gate], cell.units);
      shift(where, `${gate} peephole shift`, shifts.peephole![gate]);
    }
  }
}

function checkGru(cell: GruCell, shift: ShiftCheck, fail: (where: string, what: string) => never): void {
  const where = cell.name;
  const shifts = gruShifts(cell);
  checkActivationFrac(where, 'gate pre-activations', cell.gateFrac, fail);
  checkActivationFrac(where, 'candidate pre-activations', cell.candidateFrac, fail);
  checkProduct(where, 'gate input product', shifts.gatesInput, shift);
  checkProduct(where, 'candidate input product', shifts.candidateInput, shift);
  checkProduct(where, 'gate recurrent product', shifts.gatesRecurrent, shift);
  checkProduct(where, 'candidate recurrent product', shifts.candidateRecurrent, shift);
}
