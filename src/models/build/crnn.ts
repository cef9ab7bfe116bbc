/** The tfjs graph of `crnn` (its shape and costs are in ../crnn.ts). */
import * as tf from '@tensorflow/tfjs';
import type { Initializers } from '../init.js';
import { sizeNumbers, type ModelSpec } from '../spec.js';
import { convOutput } from '../crnn.js';
import { gruStack, setGruGateBias } from './recurrent.js';
import { applyLayers } from './chain.js';

export function buildCrnn(spec: ModelSpec, init: Initializers): tf.LayersModel {
  const [channels, kt, kf, st, sf, gruLayers, units, fc] = sizeNumbers(spec.modelSizeInfo, 8);
  const conv = convOutput(spec);
  const input = tf.input({ shape: [spec.frames * spec.coefficients], name: 'fingerprint' });
  const layers = [
    tf.layers.reshape({ targetShape: [spec.frames, spec.coefficients, 1], name: 'reshape' }),
    tf.layers.conv2d({
      name: 'conv1',
      filters: channels,
      kernelSize: [kt, kf],
      strides: [st, sf],
      padding: 'valid',
      kernelInitializer: init.glorotUniform(),
    }),
    tf.layers.reLU({ name: 'relu1' }),
    tf.layers.reshape({ targetShape: [conv.time, conv.frequency * conv.channels], name: 'reshape_rnn' }),
    ...gruStack(gruLayers, units, conv.frequency * conv.channels, init),
    tf.layers.dense({ units: fc, name: 'fc', kernelInitializer: init.glorotUniform() }),
    tf.layers.reLU({ name: 'fc_relu' }),
    tf.layers.dense({ units: spec.labelCount, name: 'final_fc', kernelInitializer: init.glorotUniform() }),
  ];
  const model = tf.model({ inputs: input, outputs: applyLayers(input, layers), name: 'crnn' });
  setGruGateBias(model);
  return model;
}
