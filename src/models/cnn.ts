/**
 * CNN: two VALID convolutions with batch norm (γ and β) and ReLU, a low-rank linear layer (no
 * activation), a fully connected layer with batch norm and ReLU, then the logits layer.
 */
import * as tf from '@tensorflow/tfjs';
import { convCost, mapSize, type FeatureMap } from './conv.js';
import { applyLayers, denseCost, requireSizeInfo, validOutput, type ArchitectureFamily, type LayerCost, type ModelSpec } from './spec.js';

const HELP =
  '12 numbers: c1 kt1 kf1 st1 sf1 c2 kt2 kf2 st2 sf2 linear fc (filters, kernel time and frequency, stride time and frequency of two VALID convolutions; then the linear and fc layer widths)';

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

function shape(spec: ModelSpec): CnnShape {
  const [c1, kt1, kf1, st1, sf1, c2, kt2, kf2, st2, sf2, linear, fc] = spec.modelSizeInfo;
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

/** tf.layers batch norm as the reference's `tf.layers.batch_normalization` (γ and β). */
function batchNorm(name: string): tf.layers.Layer {
  return tf.layers.batchNormalization({ name, epsilon: 1e-3, momentum: 0.99 });
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

  build(spec, init) {
    const s = shape(spec);
    const input = tf.input({ shape: [spec.frames * spec.coefficients], name: 'fingerprint' });
    const layers: tf.layers.Layer[] = [
      tf.layers.reshape({ targetShape: [spec.frames, spec.coefficients, 1], name: 'reshape' }),
    ];
    for (const [index, conv] of [s.conv1, s.conv2].entries()) {
      const n = index + 1;
      layers.push(
        tf.layers.conv2d({
          name: `conv${n}`,
          filters: conv.filters,
          kernelSize: conv.kernel,
          strides: conv.strides,
          padding: 'valid',
          kernelInitializer: init.truncatedNormal(0.01),
        }),
        batchNorm(`bn${n}`),
        tf.layers.reLU({ name: `relu${n}` }),
      );
    }
    layers.push(
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ units: s.linear, name: 'linear', kernelInitializer: init.glorotUniform() }),
      tf.layers.dense({ units: s.fc, name: 'fc', kernelInitializer: init.truncatedNormal(0.01) }),
      batchNorm('bn3'),
      tf.layers.reLU({ name: 'relu3' }),
      tf.layers.dense({ units: spec.labelCount, name: 'final_fc', kernelInitializer: init.truncatedNormal(0.01) }),
    );
    return tf.model({ inputs: input, outputs: applyLayers(input, layers), name: 'cnn' });
  },
};
