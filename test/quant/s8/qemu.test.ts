/**
 * The emitted s8 C with ARM's CMSIS-NN built for real cores under QEMU: the Cortex-M4 runs the
 * kernels' DSP paths (SMLAD, the buffered depthwise and average pool), the Cortex-M55 their
 * Helium (MVE) paths and the kernel sums the fully connected layers read from the context
 * buffer. Their logits, and kws_softmax's Q15 probabilities of them, must equal the simulator's
 * and kwsSoftmax's, bit for bit. Skipped without the
 * cross tools or without ../shared (see test/firmware/toolchain.ts and ./host.ts).
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BOARDS } from '../../../src/firmware/boards.js';
import { buildFirmware } from '../../../src/firmware/build.js';
import { writeFirmwareProject } from '../../../src/firmware/project.js';
import { runFirmware } from '../../../src/firmware/run.js';
import { emitS8C } from '../../../src/quant/s8/emit-c.js';
import { createS8Simulator } from '../../../src/quant/s8/simulate.js';
import { s8ExpTable } from '../../../src/quant/s8/ir.js';
import { kwsSoftmax } from '../../../src/quant/softmax.js';
import { assertToolsFor, skipCross, temporaryDirectory } from '../../firmware/toolchain.js';
import { CMSIS_NN_SOURCES, INCLUDE_DIR, cmsisNnAvailable } from './host.js';
import { quantizedS8, randomFloatNetwork, randomInt8Inputs } from './networks.js';

const INPUTS = 60;
const workDir = temporaryDirectory('kws-s8-qemu-');

const MAIN = `#include <stdio.h>

#include "ds_cnn.h"

int main(void) {
  static int8_t input[KWS_INPUT_SIZE];
  static int8_t logits[KWS_OUTPUT_SIZE];
  static uint16_t probs[KWS_OUTPUT_SIZE];
  if (kws_init() != ARM_CMSIS_NN_SUCCESS) return 2;
  while (fread(input, 1, sizeof input, stdin) == sizeof input) {
    kws_run(input, logits);
    kws_softmax(logits, probs);
    for (int i = 0; i < KWS_OUTPUT_SIZE; i++) printf("%d ", logits[i]);
    for (int i = 0; i < KWS_OUTPUT_SIZE; i++) printf("%u ", (unsigned)probs[i]);
    printf("\\n");
  }
  return 0;
}
`;

describe.skipIf(skipCross || !cmsisNnAvailable).each(['qemu-m4', 'qemu-m55'] as const)(
  'emitted s8 C on %s',
  (boardName) => {
    beforeAll(() => assertToolsFor(boardName));

    it('gives the simulator’s logits and softmax for a ds_cnn', async () => {
      const { network } = quantizedS8(randomFloatNetwork('ds_cnn', 81), 82);
      const outDir = path.join(workDir(), boardName);
      const files = emitS8C(network, path.join(outDir, 'model'));
      const board = BOARDS[boardName];
      const project = writeFirmwareProject({
        board,
        outDir: path.join(outDir, 'project'),
        mainSource: MAIN,
        sources: [files.modelSource, ...CMSIS_NN_SOURCES],
        includeDirs: [path.dirname(files.modelSource), INCLUDE_DIR],
      });
      const { elfPath } = await buildFirmware(project);
      const inputs = randomInt8Inputs(network, INPUTS, 83);
      const input = new Uint8Array(inputs.buffer, inputs.byteOffset, inputs.length);
      const result = await runFirmware(board, elfPath, { input, timeoutMs: 60_000 });
      expect(result.exitCode).toBe(0);
      const simulator = createS8Simulator(network);
      const table = s8ExpTable(network);
      const inputSize = network.frames * network.coefficients;
      const expected = Array.from({ length: INPUTS }, (_, n) => {
        const logits = simulator.run(inputs.subarray(n * inputSize, (n + 1) * inputSize));
        return [...logits, ...kwsSoftmax(logits, table)].join(' ');
      });
      expect(
        result.stdout
          .toString()
          .trimEnd()
          .split('\n')
          .map((line) => line.trimEnd()),
      ).toEqual(expected);
    });
  },
);
