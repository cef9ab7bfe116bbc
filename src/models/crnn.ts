/**
 * CRNN: one VALID convolution with ReLU (no batch norm), its [time, frequency·channels] rows fed
 * to a GRU stack, then a fully connected ReLU layer and the logits layer.
 */
import { convCost, type FeatureMap } from './conv.js';
import { gruCost } from './recurrent.js';
import {
  denseCost,
  requireSizeInfo,
  sizeNumbers,
  validOutput,
  type ArchitectureFamily,
  type LayerCost,
  type ModelSpec,
} from './spec.js';

const HELP =
  '8 numbers: c kt kf st sf gru_layers gru_units fc ' +
  '(filters, kernel time and frequency, stride time and frequency of a VALID convolution; stacked GRU layers and their units; fc layer width)';

export function convOutput(spec: ModelSpec): FeatureMap {
  const [channels, kt, kf, st, sf] = sizeNumbers(spec.modelSizeInfo, 8);
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
    const [, kt, kf, , , gruLayers, units, fc] = sizeNumbers(spec.modelSizeInfo, 8);
    const conv = convOutput(spec);
    const costs = [convCost('conv1', { time: spec.frames, frequency: spec.coefficients, channels: 1 }, conv, [kt, kf])];
    for (let i = 0; i < gruLayers; i++) {
      costs.push(gruCost(`gru_${i + 1}`, i === 0 ? conv.frequency * conv.channels : units, units, conv.time));
    }
    costs.push(denseCost('fc', units, fc), denseCost('final_fc', fc, spec.labelCount));
    return costs;
  },
};
