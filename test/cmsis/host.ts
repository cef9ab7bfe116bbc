/** Builds and runs the emitted C on the host: `<arch>.c` + the portable CMSIS-NN kernels + harness.c. */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PORTABLE_KERNELS_DIR } from '../../src/firmware/kernels.js';

/** The portable CMSIS-NN q7 kernels the package ships (src/firmware/cmsis-nn). */
export const CMSIS_DIR = PORTABLE_KERNELS_DIR;
const HARNESS_DIR = path.dirname(fileURLToPath(import.meta.url));
export const gccAvailable = spawnSync('gcc', ['--version']).status === 0;
/** C tests skip without gcc on a user's machine; in CI (CI=true, where .ci/run installs it) they fail instead. */
export const skipWithoutGcc = !gccAvailable && process.env.CI !== 'true';

/** Compiles with the strict flags the issue asks for; returns the binary's path. */
export function compileHarness(outDir: string, architecture: string): string {
  const binary = path.join(outDir, 'harness');
  execFileSync('gcc', [
    '-std=c99',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-O1',
    `-DKWS_MODEL_HEADER="${architecture}.h"`,
    '-I',
    outDir,
    '-I',
    CMSIS_DIR,
    path.join(outDir, `${architecture}.c`),
    path.join(CMSIS_DIR, 'arm_nnfunctions.c'),
    path.join(HARNESS_DIR, 'harness.c'),
    '-o',
    binary,
  ]);
  return binary;
}

/** Feeds int8 inputs (back to back) to the harness; returns, per input, its int8 logits then its q7 softmax. */
export function runHarness(binary: string, inputs: Int8Array): Int8Array {
  const result = spawnSync(binary, { input: inputs, maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(`harness exited with ${result.status}: ${result.stderr.toString()}`);
  return new Int8Array(result.stdout.buffer, result.stdout.byteOffset, result.stdout.length);
}
