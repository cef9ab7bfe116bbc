/**
 * The q15 tables and CMSIS-NN functions of the recurrent networks: the generated sigmoid/tanh
 * tables equal ARM's arm_nntables.c and the portable kernels' copy, and the TypeScript kernels
 * give what the C gives — the portable kernels always, ARM's legacy ones when ../shared has them —
 * for every q15 input of the activations and for extreme values and shifts of the products.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ActivationKind, SIGMOID_TABLE_Q15, TANH_TABLE_Q15 } from '../../../src/quant/recurrent/tables.js';
import {
  activationsDirectQ15,
  fullyConnectedMatQ7VecQ15,
  multQ15,
  q7ToQ15NoShift,
} from '../../../src/quant/recurrent/kernels.js';
import { Random } from '../../../src/random.js';
import { CMSIS_DIR, compilePortable, skipWithoutGcc } from '../../cmsis/host.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { ARM_LEGACY, armLegacyPresent, compileAgainstArm } from './c-host.js';

const workDir = tempDir('recurrent-kernels');

/** A `const q15_t name[256] = {…};` table of a C file, as numbers (hex or decimal). */
function cTable(source: string, name: string): number[] {
  const match = new RegExp(`${name}\\[256\\] = \\{([^}]*)\\}`).exec(source);
  if (!match) throw new Error(`${name} not found`);
  return match[1]!
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean)
    .map((v) => (v.startsWith('0x') ? (parseInt(v, 16) << 16) >> 16 : Number(v)));
}

describe('q15 activation tables', () => {
  it('hold ARM values at spot entries: x = (int8) i / 16, nearest Q0.15, saturated', () => {
    // The values of arm_nntables.c, written as there (hex, two's complement).
    const spots = (table: Readonly<Int16Array>) => [0, 1, 2, 64, 127, 128, 192, 255].map((i) => table[i]! & 0xffff);
    expect(spots(SIGMOID_TABLE_Q15)).toEqual([0x4000, 0x4200, 0x43ff, 0x7db3, 0x7ff4, 0x000b, 0x024d, 0x3e00]);
    expect(spots(TANH_TABLE_Q15)).toEqual([0x0000, 0x07fd, 0x0feb, 0x7fea, 0x7fff, 0x8000, 0x8016, 0xf803]);
  });

  it.skipIf(!armLegacyPresent)("equal ARM's arm_nntables.c entry for entry", () => {
    const source = fs.readFileSync(path.join(ARM_LEGACY, 'Source/NNSupportFunctions/arm_nntables.c'), 'utf8');
    expect(Array.from(SIGMOID_TABLE_Q15)).toEqual(cTable(source, 'sigmoidTable_q15'));
    expect(Array.from(TANH_TABLE_Q15)).toEqual(cTable(source, 'tanhTable_q15'));
  });

  it("equal the portable kernels' copy", () => {
    const source = fs.readFileSync(path.join(CMSIS_DIR, 'arm_nnfunctions.c'), 'utf8');
    expect(Array.from(SIGMOID_TABLE_Q15)).toEqual(cTable(source, 'sigmoidTable_q15'));
    expect(Array.from(TANH_TABLE_Q15)).toEqual(cTable(source, 'tanhTable_q15'));
  });
});

const DIM = 13;
const ROWS = 5;
const PAIRS = 64;
/** (bias shift, out shift): none, large, wrapping bias, the largest allowed. */
const FC_SHIFTS: Array<[number, number]> = [
  [0, 0],
  [0, 15],
  [7, 11],
  [24, 30],
  [30, 30],
  [3, 22],
];
const KINDS: ActivationKind[] = ['sigmoid', 'tanh'];

const random = new Random(77);
const extremesQ15 = [-32768, -32767, -1, 0, 1, 32767];
const q15Values = (n: number) => Int16Array.from({ length: n }, (_, i) => extremesQ15[i] ?? random.int(-32768, 32768));
const q7Values = (n: number) => Int8Array.from({ length: n }, (_, i) => [-128, 127, 0][i] ?? random.int(-128, 128));
const a = q15Values(PAIRS);
const b = Int16Array.from(q15Values(PAIRS)).reverse();
const vector = q15Values(DIM);
const vector7 = q7Values(DIM);
const matrix = q7Values(ROWS * DIM);
const bias = q7Values(ROWS);

const list = (values: ArrayLike<number>) => Array.from(values).join(', ');

/** Runs every kernel and writes the results to stdout, in the order `expected()` computes them. */
const PROGRAM = `#include <stdio.h>

#include "arm_nnfunctions.h"

void arm_q7_to_q15_no_shift(const q7_t *pSrc, q15_t *pDst, uint32_t blockSize);
void arm_nn_mult_q15(q15_t *pSrcA, q15_t *pSrcB, q15_t *pDst, const uint16_t out_shift, uint32_t blockSize);

static q15_t data[65536];
static q15_t a[${PAIRS}] = {${list(a)}};
static q15_t b[${PAIRS}] = {${list(b)}};
static const q15_t vector[${DIM}] = {${list(vector)}};
static const q7_t vector7[${DIM}] = {${list(vector7)}};
static const q7_t matrix[${ROWS * DIM}] = {${list(matrix)}};
static const q7_t bias[${ROWS}] = {${list(bias)}};
static const uint16_t fc_shifts[${FC_SHIFTS.length}][2] = {${FC_SHIFTS.map(([s, o]) => `{${s}, ${o}}`).join(', ')}};
static q15_t out[${PAIRS}];

int main(void) {
  for (int kind = 0; kind < 2; kind++) {
    for (uint16_t width = 0; width <= 3; width++) {
      for (int i = 0; i < 65536; i++) data[i] = (q15_t)(i - 32768);
      arm_nn_activations_direct_q15(data, 32768, width, kind == 0 ? ARM_SIGMOID : ARM_TANH);
      arm_nn_activations_direct_q15(data + 32768, 32768, width, kind == 0 ? ARM_SIGMOID : ARM_TANH);
      fwrite(data, sizeof data[0], 65536, stdout);
    }
  }
  for (uint16_t shift = 0; shift <= 30; shift++) {
    arm_nn_mult_q15(a, b, out, shift, ${PAIRS});
    fwrite(out, sizeof out[0], ${PAIRS}, stdout);
  }
  for (int s = 0; s < ${FC_SHIFTS.length}; s++) {
    arm_fully_connected_mat_q7_vec_q15(vector, matrix, ${DIM}, ${ROWS}, fc_shifts[s][0], fc_shifts[s][1], bias, out, NULL);
    fwrite(out, sizeof out[0], ${ROWS}, stdout);
  }
  arm_q7_to_q15_no_shift(vector7, out, ${DIM});
  fwrite(out, sizeof out[0], ${DIM}, stdout);
  return 0;
}
`;

function expected(): Int16Array {
  const parts: Int16Array[] = [];
  const counts = new Float64Array(1);
  for (const kind of KINDS) {
    for (let width = 0; width <= 3; width++) {
      const data = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
      activationsDirectQ15(data, data.length, width, kind);
      parts.push(data);
    }
  }
  for (let shift = 0; shift <= 30; shift++) {
    const out = new Int16Array(PAIRS);
    multQ15(a, b, out, shift, PAIRS, counts, 0);
    parts.push(out);
  }
  for (const [biasShift, outShift] of FC_SHIFTS) {
    const out = new Int16Array(ROWS);
    fullyConnectedMatQ7VecQ15(vector, matrix, bias, DIM, ROWS, biasShift, outShift, out, counts, 0);
    parts.push(out);
  }
  const widened = new Int16Array(DIM);
  q7ToQ15NoShift(vector7, widened, DIM);
  parts.push(widened);
  const all = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

function outputOf(binary: string): Int16Array {
  const bytes = execFileSync(binary, { maxBuffer: 1 << 24 });
  return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
}

/** Index and values of the first difference, or null. */
function firstDifference(got: Int16Array, want: Int16Array): [number, number, number] | null {
  if (got.length !== want.length) return [-1, got.length, want.length];
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) return [i, got[i]!, want[i]!];
  return null;
}

describe.skipIf(skipWithoutGcc)('q15 kernels: TypeScript against C', () => {
  const source = path.join(workDir, 'kernels.c');
  beforeAll(() => fs.writeFileSync(source, PROGRAM));
  const want = expected();

  it('portable kernels: every activation input, mult and fully connected shifts', () => {
    const binary = compilePortable(path.join(workDir, 'kernels-portable'), [source]);
    expect(firstDifference(outputOf(binary), want)).toBeNull();
  });

  it.skipIf(!armLegacyPresent)("ARM's legacy kernels: the same", () => {
    const binary = compileAgainstArm(path.join(workDir, 'kernels-arm'), [source], {
      objectDir: path.join(workDir, 'arm'),
    });
    expect(firstDifference(outputOf(binary), want)).toBeNull();
  });
});
