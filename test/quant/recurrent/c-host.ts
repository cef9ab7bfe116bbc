/**
 * Host builds of the emitted recurrent C against ARM's real legacy CMSIS-NN kernels
 * (../shared/third_party/cmsis-nn-legacy, read in place): their sources compiled without
 * warnings-as-errors (they are ARM's), the emitted C and the harness with -Wall -Wextra -Werror.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { boardByName } from '../../../src/firmware/boards.js';
import { kernelBuild } from '../../../src/firmware/kernels.js';
import { HARNESS } from '../../cmsis/host.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ARM_LEGACY = path.resolve(HERE, '../../../../shared/third_party/cmsis-nn-legacy');
export const armLegacyPresent = fs.existsSync(path.join(ARM_LEGACY, 'Include', 'arm_nnfunctions.h'));

/** Every legacy function the emitted recurrent C can call. */
const ARM_SOURCES = [
  'ConvolutionFunctions/arm_convolve_HWC_q7_basic_nonsquare.c',
  'FullyConnectedFunctions/arm_fully_connected_q7.c',
  'FullyConnectedFunctions/arm_fully_connected_mat_q7_vec_q15.c',
  'ActivationFunctions/arm_nn_activations_q15.c',
  'ActivationFunctions/arm_relu_q7.c',
  'NNSupportFunctions/arm_nntables.c',
  'NNSupportFunctions/arm_nn_mult_q15.c',
  'NNSupportFunctions/arm_q7_to_q15_no_shift.c',
  'NNSupportFunctions/arm_q7_to_q15_reordered_no_shift.c',
];

/**
 * Flags of every compilation against ARM's kernels, as kws firmware builds them for the host (its
 * defines and intrinsics header, which goes to `objectDir`).
 */
function hostFlags(objectDir: string): string[] {
  const build = kernelBuild('cmsis-nn-q7', boardByName('host'), { cmsisNn: ARM_LEGACY });
  for (const [name, text] of Object.entries(build.headers)) {
    const file = path.join(objectDir, name);
    if (!fs.existsSync(file)) fs.writeFileSync(file, text);
  }
  return [
    '-std=c99',
    '-O1',
    ...build.defines.map((define) => `-D${define}`),
    ...build.cflags.flatMap((flag) => flag.split(' ')),
    '-I',
    objectDir,
    ...build.includeDirs.flatMap((dir) => ['-I', dir]),
  ];
}

/** ARM's kernels, compiled once into `objectDir` as ARM's code (no -Werror) and reused. */
function armObjects(objectDir: string): string[] {
  return ARM_SOURCES.map((source) => {
    const object = path.join(objectDir, `${path.basename(source, '.c')}.o`);
    if (!fs.existsSync(object))
      execFileSync('gcc', [...hostFlags(objectDir), '-w', '-c', path.join(ARM_LEGACY, 'Source', source), '-o', object]);
    return object;
  });
}

/** Compiles `sources` with -Wall -Wextra -Werror and links them with ARM's kernels into `binary`. */
export function compileAgainstArm(
  binary: string,
  sources: string[],
  options: { objectDir: string; defines?: string[]; includeDirs?: string[] },
): string {
  fs.mkdirSync(options.objectDir, { recursive: true });
  const include = (options.includeDirs ?? []).flatMap((dir) => ['-I', dir]);
  const strict = ['-Wall', '-Wextra', '-Werror', ...(options.defines ?? []), ...include];
  execFileSync('gcc', [
    ...hostFlags(options.objectDir),
    ...strict,
    ...sources,
    ...armObjects(options.objectDir),
    '-o',
    binary,
  ]);
  return binary;
}

/** The emitted `<architecture>.c` in `outDir` with the harness, against ARM's kernels. */
export function compileModelAgainstArm(outDir: string, architecture: string, objectDir: string): string {
  return compileAgainstArm(path.join(outDir, 'harness-arm'), [path.join(outDir, `${architecture}.c`), HARNESS], {
    objectDir,
    defines: [`-DKWS_MODEL_HEADER="${architecture}.h"`],
    includeDirs: [outDir],
  });
}
