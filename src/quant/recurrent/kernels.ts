/**
 * Bit-exact TypeScript of the q15 functions the recurrent networks' C calls: the legacy CMSIS-NN
 * ones (same arithmetic as ARM's reference C, checked against both kernel sets in
 * test/quant/recurrent) and the few the emitted C defines itself because CMSIS-NN lacks them.
 * Clamped outputs are counted in `counts[slot]`; accumulators wrap at 32 bits like the C's q31.
 */
import { type SaturationCounts, requantize, requantizeQ15, roundConstant } from '../requantize.js';
import { matrixVector } from '../simulate.js';
import { type ActivationKind, activationTable } from './tables.js';

/** A q15 value clamped (and counted) without a shift. */
function saturate16(v: number, counts: SaturationCounts, slot: number): number {
  return requantizeQ15(v, 0, counts, slot);
}

/**
 * arm_fully_connected_mat_q7_vec_q15: q15 vector times q7 `[rows][length]` weights, plus the q7
 * bias shifted left, rounded, shifted right and saturated to q15. Four rows at a time.
 */
export function fullyConnectedMatQ7VecQ15(
  vector: Int16Array,
  weights: Int8Array,
  bias: Int8Array,
  length: number,
  rows: number,
  biasShift: number,
  outShift: number,
  output: Int16Array,
  counts: SaturationCounts,
  slot: number,
): void {
  matrixVector(vector, 0, length, weights, bias, biasShift, outShift, output, 0, rows, counts, slot, requantizeQ15);
}

/** arm_q7_to_q15_no_shift: sign extension, the same fractional bits. */
export function q7ToQ15NoShift(source: Int8Array, target: Int16Array, size: number): void {
  for (let i = 0; i < size; i++) target[i] = source[i]!;
}

/** arm_nn_mult_q15: element-wise `ssat16((a·b + NN_ROUND(s)) >> s)`. */
export function multQ15(
  a: Int16Array,
  b: Int16Array,
  target: Int16Array,
  outShift: number,
  size: number,
  counts: SaturationCounts,
  slot: number,
): void {
  const rounding = roundConstant(outShift);
  for (let i = 0; i < size; i++) target[i] = requantizeQ15(a[i]! * b[i]! + rounding, outShift, counts, slot);
}

/**
 * arm_nn_activations_direct_q15, in place: the input in Q(intWidth).(15 − intWidth), intWidth ≤ 3,
 * indexes the table by its top 8 bits as Q3.4 and interpolates linearly with the rest; the
 * largest positive index has no right neighbour and is used as it is. Output Q0.15.
 */
export function activationsDirectQ15(data: Int16Array, size: number, intWidth: number, kind: ActivationKind): void {
  const table = activationTable(kind);
  const shift = 11 - intWidth;
  const mask = 0x7ff >> intWidth;
  const full = mask + 1;
  for (let i = 0; i < size; i++) {
    const input = data[i]!;
    const index = input >> shift;
    const value = table[index & 0xff]!;
    if (index === 0x7f) {
      data[i] = value;
      continue;
    }
    const next = table[(index + 1) & 0xff]!;
    const fraction = input & mask;
    data[i] = ((full - fraction) * value + next * fraction) >> shift;
  }
}

/** Emitted C `add_q15`: `ssat16(a·2^aShift + b·2^bShift)`, two q15 vectors brought to one format and summed. */
export function addQ15(
  a: Int16Array,
  aShift: number,
  b: Int16Array,
  bShift: number,
  target: Int16Array,
  size: number,
  counts: SaturationCounts,
  slot: number,
): void {
  const aScale = 1 << aShift;
  const bScale = 1 << bShift;
  for (let i = 0; i < size; i++) target[i] = saturate16(a[i]! * aScale + b[i]! * bScale, counts, slot);
}

/** Emitted C `shift_q15`: `ssat16(v·2^shift)`, the cell state brought into the range tanh's table reads. */
export function shiftQ15(
  source: Int16Array,
  shift: number,
  target: Int16Array,
  size: number,
  counts: SaturationCounts,
  slot: number,
): void {
  const scale = 1 << shift;
  for (let i = 0; i < size; i++) target[i] = saturate16(source[i]! * scale, counts, slot);
}

/** Emitted C `peephole_q15`: `gate += (w·c + NN_ROUND(s)) >> s`, saturated; q7 weights, q15 cell state. */
export function peepholeQ15(
  gate: Int16Array,
  weights: Int8Array,
  cell: Int16Array,
  shift: number,
  size: number,
  counts: SaturationCounts,
  slot: number,
): void {
  const rounding = roundConstant(shift);
  for (let i = 0; i < size; i++)
    gate[i] = saturate16(gate[i]! + ((weights[i]! * cell[i]! + rounding) >> shift), counts, slot);
}

/**
 * Emitted C `gru_update_q15`: `h = u·h + (1 − u)·c` in Q0.15, rounded half up. u is a sigmoid
 * table output (never negative), so the sum stays below 2^30 and cannot leave q15.
 */
export function gruUpdateQ15(state: Int16Array, update: Int16Array, candidate: Int16Array, size: number): void {
  for (let i = 0; i < size; i++) {
    const u = update[i]!;
    state[i] = (u * state[i]! + (32768 - u) * candidate[i]! + 16384) >> 15;
  }
}

/** Emitted C `q15_to_q7`: saturation to int8, the same fractional bits. */
export function q15ToQ7(
  source: Int16Array,
  target: Int8Array,
  size: number,
  counts: SaturationCounts,
  slot: number,
): void {
  for (let i = 0; i < size; i++) target[i] = requantize(source[i]!, 0, counts, slot);
}
