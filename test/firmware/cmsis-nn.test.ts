/**
 * ARM's real legacy CMSIS-NN q7 kernels (../shared/third_party, read in place, never copied),
 * compiled through the project writer and run under QEMU: arm_relu_q7 and
 * arm_fully_connected_q7 must give the results of the kernels' reference arithmetic. On the
 * Cortex-M4 that exercises the DSP (__SMLAD) paths; on the Cortex-M55 the headers with MVE.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BOARDS } from '../../src/firmware/boards.js';
import { buildFirmware } from '../../src/firmware/build.js';
import { writeFirmwareProject } from '../../src/firmware/project.js';
import { runFirmware } from '../../src/firmware/run.js';
import { assertToolsFor, skipCross, temporaryDirectory } from './toolchain.js';

const THIRD_PARTY = path.resolve(fileURLToPath(import.meta.url), '../../../../shared/third_party');
const CMSIS_NN = path.join(THIRD_PARTY, 'cmsis-nn-legacy');
const CMSIS_CORE = path.join(THIRD_PARTY, 'cmsis-core');
const kernelsPresent = fs.existsSync(CMSIS_NN) && fs.existsSync(CMSIS_CORE);

const workDir = temporaryDirectory('kws-firmware-cmsis-');

// Odd sizes, so both the 4-at-a-time SIMD loops and their left-over loops run.
const DIM_VEC = 10;
const ROWS = 5;
const BIAS_SHIFT = 2;
const OUT_SHIFT = 5;
const RELU_SIZE = 11;

function int8Pattern(length: number, multiplier: number, offset: number): number[] {
  return Array.from({ length }, (_, i) => (((i * multiplier + offset) % 256) + 256) % 256).map((v) =>
    v > 127 ? v - 256 : v,
  );
}

const reluInput = int8Pattern(RELU_SIZE, 53, 100);
const vector = int8Pattern(DIM_VEC, 97, 13);
const weights = int8Pattern(DIM_VEC * ROWS, 71, 5);
const bias = int8Pattern(ROWS, 29, 120);

/** arm_fully_connected_q7's arithmetic: bias << bias_shift, rounding, dot product, >> out_shift, saturate. */
function fullyConnectedReference(): number[] {
  return Array.from({ length: ROWS }, (_, row) => {
    let sum = ((bias[row] ?? 0) << BIAS_SHIFT) + ((1 << OUT_SHIFT) >> 1);
    for (let j = 0; j < DIM_VEC; j++) sum += (vector[j] ?? 0) * (weights[row * DIM_VEC + j] ?? 0);
    return Math.max(-128, Math.min(127, sum >> OUT_SHIFT));
  });
}

const cArray = (values: number[]): string => `{${values.join(', ')}}`;

const MAIN = `#include <stdio.h>

#include "arm_nnfunctions.h"

static q7_t relu_data[${RELU_SIZE}] = ${cArray(reluInput)};
static const q7_t vector[${DIM_VEC}] = ${cArray(vector)};
static const q7_t weights[${ROWS * DIM_VEC}] = ${cArray(weights)};
static const q7_t bias[${ROWS}] = ${cArray(bias)};
static q7_t output[${ROWS}];
static q15_t vec_buffer[${DIM_VEC}];

static void print_q7(const char *name, const q7_t *values, int count)
{
    printf("%s", name);
    for (int i = 0; i < count; i++) printf(" %d", values[i]);
    printf("\\n");
}

int main(void)
{
    arm_relu_q7(relu_data, ${RELU_SIZE});
    print_q7("relu", relu_data, ${RELU_SIZE});
    arm_fully_connected_q7(vector, weights, ${DIM_VEC}, ${ROWS}, ${BIAS_SHIFT}, ${OUT_SHIFT}, bias, output, vec_buffer);
    print_q7("fc", output, ${ROWS});
    return 0;
}
`;

describe.skipIf(skipCross || !kernelsPresent).each(['qemu-m4', 'qemu-m55'] as const)(
  'legacy CMSIS-NN q7 kernels on %s',
  (boardName) => {
    beforeAll(() => assertToolsFor(boardName));

    it('arm_relu_q7 and arm_fully_connected_q7 give the reference results', async () => {
      const board = BOARDS[boardName];
      const project = writeFirmwareProject({
        board,
        outDir: path.join(workDir(), boardName),
        mainSource: MAIN,
        sources: [
          path.join(CMSIS_NN, 'Source/ActivationFunctions/arm_relu_q7.c'),
          path.join(CMSIS_NN, 'Source/FullyConnectedFunctions/arm_fully_connected_q7.c'),
          path.join(CMSIS_NN, 'Source/NNSupportFunctions/arm_q7_to_q15_reordered_no_shift.c'),
        ],
        includeDirs: [path.join(CMSIS_NN, 'Include'), path.join(CMSIS_CORE, 'Include')],
      });
      const { elfPath } = await buildFirmware(project);
      const result = await runFirmware(board, elfPath, { timeoutMs: 20_000 });
      expect(result.exitCode).toBe(0);
      expect(result.stdout.toString()).toBe(
        `relu ${reluInput.map((v) => Math.max(0, v)).join(' ')}\nfc ${fullyConnectedReference().join(' ')}\n`,
      );
      // The kernels stay where they are: the Makefile names them by absolute path.
      expect(fs.readFileSync(path.join(project.dir, 'Makefile'), 'utf8')).toContain(CMSIS_NN);
      expect(fs.readdirSync(project.dir).filter((name) => name.startsWith('arm_'))).toEqual([]);
    });
  },
);
