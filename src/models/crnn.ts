/**
 * CRNN: one VALID convolution with ReLU (no batch norm), its [time, frequency·channels] rows fed
 * to a GRU stack, then a fully connected ReLU layer and the logits layer.
 */
import * as tf from '@tensorflow/tfjs';
import { convCost, type FeatureMap } from './conv.js';
import { gruCost, gruStack, setGruGateBias } from './recurrent.js';
import { applyLayers, denseCost, requireSizeInfo, validOutput, type ArchitectureFamily, type LayerCost, type ModelSpec } from './spec.js';

const HELP =
  '8 numbers: c kt kf st sf gru_layers gru_units fc (filters, kernel time and frequency, stride time and frequency of a VALID convolution; stacked GRU layers and their units; fc layer width)';

function convOutput(spec: ModelSpec): FeatureMap {
  const [channels, kt, kf, st, sf] = spec.modelSizeInfo;
  return {
    time: validOutput('crnn conv1', 'time', spec.frames, kt, st),
    frequency: validOutput('crnn conv1', 'frequency', spec.coefficients, kf, sf),
    channels,
  };
}

export const crnn: ArchitectureFamily = {
  name: 'crnn',
  sizeInfoHelp: HELP,

  validate(sizeInfo) {
    requireSizeInfo('crnn', HELP, sizeInfo, 8);
  },

  costs(spec): LayerCost[] {
    const [, kt, kf, , , gruLayers, units, fc] = spec.modelSizeInfo;
    const conv = convOutput(spec);
    const costs = [convCost('conv1', { time: spec.frames, frequency: spec.coefficients, channels: 1 }, conv, [kt, kf])];
    for (let i = 0; i < gruLayers; i++) {
      costs.push(gruCost(`gru_${i + 1}`, i === 0 ? conv.frequency * conv.channels : units, units, conv.time));
    }
    costs.push(denseCost('fc', units, fc), denseCost('final_fc', fc, spec.labelCount));
    return costs;
  },

  build(spec, init) {
    const [channels, kt, kf, st, sf, gruLayers, units, fc] = spec.modelSizeInfo;
    const conv = convOutput(spec);
    const input = tf.input({ shape: [spec.frames * spec.coefficients], name: 'fingerprint' });
    const layers = [
      tf.layers.reshape({ targetShape: [spec.frames, spec.coefficients, 1], name: 'reshape' }),
      tf.layers.conv2d({ name: 'conv1', filters: channels, kernelSize: [kt, kf], strides: [st, sf], padding: 'valid', kernelInitializer: init.glorotUniform() }),
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
  },
};
