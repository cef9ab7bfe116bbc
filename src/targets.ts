/**
 * The CMSIS-NN APIs `kws quantize` writes C for: the legacy q7 functions with power-of-two
 * formats, the paper's scheme and the default, and today's s8 API with TFLite's per-channel int8
 * scheme. Named apart from their code, so that the CLI lists them without loading it, and at the
 * top so that a run's saved settings (run/) can name the target its QAT trained for.
 */
export const Q7_TARGET = 'cmsis-nn-q7';
export const S8_TARGET = 'cmsis-nn-s8';
export const TARGET_NAMES = [Q7_TARGET, S8_TARGET] as const;
export type TargetName = (typeof TARGET_NAMES)[number];
