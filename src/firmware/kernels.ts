/**
 * The project's portable implementation of the legacy CMSIS-NN q7 functions the emitted C calls
 * (C sources shipped with the package), for host builds and for firmware built without
 * `--cmsis-nn`: same names, signatures and arithmetic as ARM's, no SIMD.
 */
import { fileURLToPath } from 'node:url';

// The C files sit in src/firmware/cmsis-nn, found the same way from src/ (tests) and dist/ (the CLI).
export const PORTABLE_KERNELS_DIR = fileURLToPath(new URL('../../src/firmware/cmsis-nn/', import.meta.url));

/** Its sources and header folder, as a firmware build takes them. */
export const PORTABLE_KERNELS = {
  sources: [`${PORTABLE_KERNELS_DIR}arm_nnfunctions.c`],
  includeDirs: [PORTABLE_KERNELS_DIR],
};
