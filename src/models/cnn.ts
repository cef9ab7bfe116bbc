/**
 * CNN: two VALID convolutions with batch norm (γ and β) and ReLU, a low-rank linear layer (no
 * activation), a fully connected layer with batch norm and ReLU, then the logits layer.
 */
import { convCost, mapSize, type FeatureMap } from './conv.js';
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
  '12 numbers: c1 kt1 kf1 st1 sf1 c2 kt2 kf2 st2 sf2 linear fc ' +
  '(filters, kernel time and frequency, stride time and frequency of two VALID convolutions; then the linear and fc layer widths)';

interface ConvShape {
  filters: number;
  kernel: [number, number];
  strides: [number, number];
  output: FeatureMap;
}

interface CnnShape {
  conv1: ConvShape;
  conv2: ConvShape;
  linear: number;
  fc: number;
}

export function shape(spec: ModelSpec): CnnShape {
  const [c1, kt1, kf1, st1, sf1, c2, kt2, kf2, st2, sf2, linear, fc] = sizeNumbers(spec.modelSizeInfo, 12);
  const out1: FeatureMap = {
    time: validOutput('cnn conv1', 'time', spec.frames, kt1, st1),
    frequency: validOutput('cnn conv1', 'frequency', spec.coefficients, kf1, sf1),
    channels: c1,
  };
  const out2: FeatureMap = {
    time: validOutput('cnn conv2', 'time', out1.time, kt2, st2),
    frequency: validOutput('cnn conv2', 'frequency', out1.frequency, kf2, sf2),
    channels: c2,
  };
  return {
    conv1: { filters: c1, kernel: [kt1, kf1], strides: [st1, sf1], output: out1 },
    conv2: { filters: c2, kernel: [kt2, kf2], strides: [st2, sf2], output: out2 },
    linear,
    fc,
  };
}

export const cnn: ArchitectureFamily = {
  name: 'cnn',
  sizeInfoHelp: HELP,

  validate(sizeInfo) {
    requireSizeInfo('cnn', HELP, sizeInfo, 12);
  },

  costs(spec): LayerCost[] {
    const s = shape(spec);
    const input: FeatureMap = { time: spec.frames, frequency: spec.coefficients, channels: 1 };
    return [
      convCost('conv1', input, s.conv1.output, s.conv1.kernel, { batchNormParams: 2 * s.conv1.filters }),
      convCost('conv2', s.conv1.output, s.conv2.output, s.conv2.kernel, { batchNormParams: 2 * s.conv2.filters }),
      denseCost('linear', mapSize(s.conv2.output), s.linear),
      denseCost('fc', s.linear, s.fc, 2 * s.fc),
      denseCost('final_fc', s.fc, spec.labelCount),
    ];
  },
};
