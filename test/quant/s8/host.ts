/**
 * Builds and runs emitted s8 C on the host against ARM's own CMSIS-NN (the July 2026 snapshot in
 * ../shared/third_party/cmsis-nn, compiled as it is, plain C on x86). A user's clone has no
 * ../shared: the C tests skip there, and the project has no portable s8 kernels to fall back on.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HARNESS, skipWithoutGcc } from '../../cmsis/host.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const CMSIS_NN_DIR = path.resolve(HERE, '../../../../shared/third_party/cmsis-nn');
export const cmsisNnAvailable = fs.existsSync(path.join(CMSIS_NN_DIR, 'Include', 'arm_nnfunctions.h'));
/** C tests skip without gcc (see test/cmsis/host.ts) or without ARM's sources. */
export const skipWithoutCmsisNn = skipWithoutGcc || !cmsisNnAvailable;

/** The strict flags the emitted C must pass; ARM's sources pass them too. */
export const STRICT_FLAGS = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O1'];

/** The s8 kernels the emitted C calls (plain-C paths on x86) and the support functions they use. */
const SOURCES = [
  'ConvolutionFunctions/arm_convolve_wrapper_s8.c',
  'ConvolutionFunctions/arm_convolve_s8.c',
  'ConvolutionFunctions/arm_convolve_1x1_s8.c',
  'ConvolutionFunctions/arm_convolve_1x1_s8_fast.c',
  'ConvolutionFunctions/arm_convolve_1_x_n_s8.c',
  'ConvolutionFunctions/arm_convolve_get_buffer_sizes_s8.c',
  'ConvolutionFunctions/arm_depthwise_conv_wrapper_s8.c',
  'ConvolutionFunctions/arm_depthwise_conv_3x3_s8.c',
  'ConvolutionFunctions/arm_depthwise_conv_s8_opt.c',
  'ConvolutionFunctions/arm_depthwise_conv_s8.c',
  'ConvolutionFunctions/arm_depthwise_conv_get_buffer_sizes_s8.c',
  'ConvolutionFunctions/arm_nn_mat_mult_kernel_s8_s16.c',
  'ConvolutionFunctions/arm_nn_mat_mult_kernel_row_offset_s8_s16.c',
  'FullyConnectedFunctions/arm_fully_connected_s8.c',
  'FullyConnectedFunctions/arm_fully_connected_per_channel_s8.c',
  'FullyConnectedFunctions/arm_fully_connected_get_buffer_sizes_s8.c',
  'FullyConnectedFunctions/arm_vector_sum_s8.c',
  'PoolingFunctions/arm_avgpool_s8.c',
  'PoolingFunctions/arm_avgpool_get_buffer_sizes_s8.c',
  'NNSupportFunctions/arm_nn_mat_mult_nt_t_s8.c',
  'NNSupportFunctions/arm_nn_vec_mat_mult_t_s8.c',
  'NNSupportFunctions/arm_nn_vec_mat_mult_t_per_ch_s8.c',
  'NNSupportFunctions/arm_q7_to_q15_with_offset.c',
  'NNSupportFunctions/arm_s8_to_s16_unordered_with_offset.c',
  // Helium only: the depthwise kernel's core, and the transposition that turns a one-channel depthwise into a convolution.
  'NNSupportFunctions/arm_nn_depthwise_conv_nt_t_s8.c',
  'TransposeFunctions/arm_transpose_s8.c',
];

export const INCLUDE_DIR = path.join(CMSIS_NN_DIR, 'Include');
/** Their absolute paths, read in place. */
export const CMSIS_NN_SOURCES = SOURCES.map((source) => path.join(CMSIS_NN_DIR, 'Source', source));

/** Compiles the sources once into `dir` as a static library; returns its path. */
export function buildCmsisNnLibrary(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync(
    'gcc',
    [...STRICT_FLAGS, '-c', '-I', INCLUDE_DIR, ...SOURCES.map((s) => path.join(CMSIS_NN_DIR, 'Source', s))],
    {
      cwd: dir,
    },
  );
  const library = path.join(dir, 'libcmsis-nn-s8.a');
  const objects = SOURCES.map((s) => path.basename(s, '.c') + '.o');
  execFileSync('ar', ['rcs', library, ...objects], { cwd: dir });
  return library;
}

/** The emitted `<arch>.c` and the harness, compiled strictly and linked with the library; returns the binary. */
export function compileS8Harness(outDir: string, architecture: string, library: string): string {
  const binary = path.join(outDir, 'harness');
  execFileSync('gcc', [
    ...STRICT_FLAGS,
    `-DKWS_MODEL_HEADER="${architecture}.h"`,
    '-I',
    outDir,
    '-I',
    INCLUDE_DIR,
    path.join(outDir, `${architecture}.c`),
    HARNESS,
    library,
    '-o',
    binary,
  ]);
  return binary;
}
