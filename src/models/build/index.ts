/** The model zoo's tfjs graphs: one builder per architecture, after registry.ts's checks. */
import type * as tf from '@tensorflow/tfjs';
import { Initializers } from '../init.js';
import { validateModelSpec } from '../registry.js';
import type { Architecture, ModelSpec } from '../spec.js';
import { buildBasicLstm } from './basic-lstm.js';
import { buildCnn } from './cnn.js';
import { buildCrnn } from './crnn.js';
import { buildDnn } from './dnn.js';
import { buildDsCnn } from './ds-cnn.js';
import { buildGru } from './gru.js';
import { buildLstm } from './lstm.js';

const BUILDERS: Readonly<Record<Architecture, (spec: ModelSpec, init: Initializers) => tf.LayersModel>> = {
  dnn: buildDnn,
  cnn: buildCnn,
  basic_lstm: buildBasicLstm,
  lstm: buildLstm,
  gru: buildGru,
  crnn: buildCrnn,
  ds_cnn: buildDsCnn,
};

/** Builds the tfjs model for `spec` (checked first); the same `seed` gives identical initial weights. */
export function buildModel(spec: ModelSpec, seed?: number): tf.LayersModel {
  validateModelSpec(spec);
  return BUILDERS[spec.architecture](spec, new Initializers(seed));
}
