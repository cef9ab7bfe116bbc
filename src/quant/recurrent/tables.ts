/**
 * The q15 sigmoid and tanh tables of legacy CMSIS-NN (`sigmoidTable_q15`, `tanhTable_q15` in
 * arm_nntables.c), generated from their definition: entry i holds f(x) for x = (int8) i / 16,
 * i.e. the input in Q3.4 read as a byte, rounded to the nearest Q0.15 value and saturated to
 * [−32768, 32767]. ARM ships them as data; these are the same 256 values each (test/quant/recurrent).
 */

export type ActivationKind = 'sigmoid' | 'tanh';

const ENTRIES = 256;
const Q15_ONE = 32768;

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function generate(f: (x: number) => number): Int16Array {
  const table = new Int16Array(ENTRIES);
  for (let i = 0; i < ENTRIES; i++) {
    const x = ((i << 24) >> 24) / 16;
    const v = Math.round(f(x) * Q15_ONE);
    table[i] = v > Q15_ONE - 1 ? Q15_ONE - 1 : v < -Q15_ONE ? -Q15_ONE : v;
  }
  return table;
}

export const SIGMOID_TABLE_Q15: Readonly<Int16Array> = generate(sigmoid);
export const TANH_TABLE_Q15: Readonly<Int16Array> = generate(Math.tanh);

export function activationTable(kind: ActivationKind): Readonly<Int16Array> {
  return kind === 'sigmoid' ? SIGMOID_TABLE_Q15 : TANH_TABLE_Q15;
}
