/** The model zoo: one table from architecture name to its family file (shapes and costs; no TensorFlow.js). */
import { UsageError } from '../errors.js';
import { basicLstm } from './basic-lstm.js';
import { cnn } from './cnn.js';
import { crnn } from './crnn.js';
import { dnn } from './dnn.js';
import { dsCnn } from './ds-cnn.js';
import { gru } from './gru.js';
import { lstm } from './lstm.js';
import { ARCHITECTURE_NAMES, type Architecture, type ArchitectureFamily, type ModelSpec } from './spec.js';

export { ARCHITECTURE_NAMES, type Architecture, type LayerCost, type ModelSpec } from './spec.js';

export const ARCHITECTURES: Readonly<Record<Architecture, ArchitectureFamily>> = {
  dnn,
  cnn,
  basic_lstm: basicLstm,
  lstm,
  gru,
  crnn,
  ds_cnn: dsCnn,
};

export function isArchitecture(name: string): name is Architecture {
  return (ARCHITECTURE_NAMES as readonly string[]).includes(name);
}

export function architectureFamily(name: string): ArchitectureFamily {
  if (!isArchitecture(name)) {
    throw new UsageError(`unknown --model-architecture '${name}'; choose one of ${ARCHITECTURE_NAMES.join(', ')}`);
  }
  return ARCHITECTURES[name];
}

/** Checks the architecture name, the size numbers and the input/label geometry; returns the family. */
export function validateModelSpec(spec: ModelSpec): ArchitectureFamily {
  const family = architectureFamily(spec.architecture);
  family.validate(spec.modelSizeInfo);
  for (const [field, value] of [
    ['frames', spec.frames],
    ['coefficients', spec.coefficients],
    ['label count', spec.labelCount],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new UsageError(`model ${field} must be a whole number of at least 1 (got ${value})`);
  }
  // Computing the layer costs checks that every kernel fits its input.
  family.costs(spec);
  return family;
}
