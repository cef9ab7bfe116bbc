/** The tfjs graph of `gru` (its shape and costs are in ../gru.ts). */
import * as tf from '@tensorflow/tfjs';
import type { Initializers } from '../init.js';
import { sizeNumbers, type ModelSpec } from '../spec.js';
import { gruStack, setGruGateBias } from './recurrent.js';
import { applyLayers } from './chain.js';

export function buildGru(spec: ModelSpec, init: Initializers): tf.LayersModel {
  const [layerCount, units] = sizeNumbers(spec.modelSizeInfo, 2);
  const input = tf.input({ shape: [spec.frames * spec.coefficients], name: 'fingerprint' });
  const layers = [
    tf.layers.reshape({ targetShape: [spec.frames, spec.coefficients], name: 'reshape' }),
    ...gruStack(layerCount, units, spec.coefficients, init),
    tf.layers.dense({ units: spec.labelCount, name: 'final_fc', kernelInitializer: init.glorotUniform() }),
  ];
  const model = tf.model({ inputs: input, outputs: applyLayers(input, layers), name: 'gru' });
  setGruGateBias(model);
  return model;
}
