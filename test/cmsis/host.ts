/** Builds and runs the emitted C on the host: `<arch>.c` + the portable CMSIS-NN kernels + harness.c. */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PORTABLE_KERNELS_DIR } from '../../src/firmware/kernels.js';

/** The portable CMSIS-NN q7 kernels the package ships (src/firmware/cmsis-nn). */
export const CMSIS_DIR = PORTABLE_KERNELS_DIR;
/** The one host harness of every integer target (q7, recurrent, s8). */
export const HARNESS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'harness.c');
export const gccAvailable = spawnSync('gcc', ['--version']).status === 0;
/** C tests skip without gcc on a user's machine; in CI (CI=true, where .ci/run installs it) they fail instead. */
export const skipWithoutGcc = !gccAvailable && process.env.CI !== 'true';

/**
 * Compiles `sources` with the portable kernels and the strict flags the issue asks for (plus
 * `flags`: defines, include folders) into `binary`; returns its path.
 */
export function compilePortable(binary: string, sources: string[], flags: string[] = []): string {
  execFileSync('gcc', [
    '-std=c99',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-O1',
    ...flags,
    '-I',
    CMSIS_DIR,
    ...sources,
    path.join(CMSIS_DIR, 'arm_nnfunctions.c'),
    '-o',
    binary,
  ]);
  return binary;
}

/** The emitted `<architecture>.c` in `outDir` with harness.c; returns the binary's path. */
export function compileHarness(outDir: string, architecture: string): string {
  return compilePortable(
    path.join(outDir, 'harness'),
    [path.join(outDir, `${architecture}.c`), HARNESS],
    [`-DKWS_MODEL_HEADER="${architecture}.h"`, '-I', outDir],
  );
}

/** What the harness writes for one input. */
export interface HarnessOutput {
  logits: Int8Array;
  /** kws_softmax's Q15 probabilities. */
  probabilities: Uint16Array;
}

/** Feeds int8 inputs (back to back) to the harness; returns, per input, its int8 logits and Q15 softmax. */
export function runHarness(binary: string, inputs: Int8Array, classes: number): HarnessOutput[] {
  const result = spawnSync(binary, { input: inputs, maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(`harness exited with ${result.status}: ${result.stderr.toString()}`);
  const stdout = result.stdout;
  const recordBytes = 3 * classes;
  if (stdout.length % recordBytes !== 0)
    throw new Error(`harness wrote ${stdout.length} bytes, not records of ${recordBytes}`);
  return Array.from({ length: stdout.length / recordBytes }, (_, n) => {
    const record = stdout.subarray(n * recordBytes, (n + 1) * recordBytes);
    return {
      logits: new Int8Array(record.buffer, record.byteOffset, classes),
      probabilities: Uint16Array.from({ length: classes }, (_, c) => record.readUInt16LE(classes + 2 * c)),
    };
  });
}
