/**
 * DS-CNN: a regular SAME convolution, then N-1 depthwise-separable blocks (depthwise 3-D
 * kernel + 1×1 pointwise), each convolution followed by slim-style batch norm (β only) and
 * ReLU; global average pooling over what is left of [time, frequency]; one logits layer.
 */
import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors.js';
import { convCost, type FeatureMap } from './conv.js';
import { SlimBatchNorm } from './slim-batch-norm.js';
import { applyLayers, denseCost, requireSizeInfo, sameOutput, type ArchitectureFamily, type LayerCost, type ModelSpec } from './spec.js';

const HELP =
  '1 + 5·N numbers: N (the layer count), then N groups of c kt kf st sf (output channels, kernel time and frequency, stride time and frequency); the first group is a regular convolution, the others depthwise-separable';

interface DsLayer {
  channels: number;
  kernel: [number, number];
  strides: [number, number];
  input: FeatureMap;
  output: FeatureMap;
}

function shape(spec: ModelSpec): DsLayer[] {
  const layers: DsLayer[] = [];
  let input: FeatureMap = { time: spec.frames, frequency: spec.coefficients, channels: 1 };
  for (let i = 0; i < spec.modelSizeInfo[0]; i++) {
    const [channels, kt, kf, st, sf] = spec.modelSizeInfo.slice(1 + 5 * i, 6 + 5 * i);
    const output: FeatureMap = { time: sameOutput(input.time, st), frequency: sameOutput(input.frequency, sf), channels: channels };
    layers.push({ channels: channels, kernel: [kt, kf], strides: [st, sf], input, output });
    input = output;
  }
  return layers;
}

/** slim.batch_norm as the reference configures it: centre only (γ ≡ 1), ε 1e-3, decay 0.96. */
function batchNorm(name: string): tf.layers.Layer {
  return new SlimBatchNorm({ name, epsilon: 1e-3, momentum: 0.96 });
}

export const dsCnn: ArchitectureFamily = {
  name: 'ds_cnn',
  sizeInfoHelp: HELP,

  validate(sizeInfo) {
    const count = sizeInfo[0];
    if (count === undefined || !Number.isInteger(count) || count < 1) {
      throw new UsageError(`ds_cnn takes ${HELP}; the first number must be a layer count of at least 1 (got ${count ?? 'nothing'})`);
    }
    requireSizeInfo('ds_cnn', `${HELP} — with N = ${count}, ${1 + 5 * count} numbers`, sizeInfo, 1 + 5 * count);
  },

  costs(spec): LayerCost[] {
    const [first, ...blocks] = shape(spec);
    const costs = [convCost('conv_1', first.input, first.output, first.kernel, { batchNormParams: first.channels })];
    blocks.forEach((block, i) => {
      const depthwiseOut: FeatureMap = { ...block.output, channels: block.input.channels };
      costs.push(
        convCost(`conv_ds_${i + 1}_dw`, block.input, depthwiseOut, block.kernel, { depthwise: true, batchNormParams: block.input.channels }),
        convCost(`conv_ds_${i + 1}_pw`, depthwiseOut, block.output, [1, 1], { batchNormParams: block.channels }),
      );
    });
    const channels = (blocks.at(-1) ?? first).channels;
    costs.push({ name: 'avg_pool', params: 0, weights: 0, macs: 0, activations: channels });
    costs.push(denseCost('fc1', channels, spec.labelCount));
    return costs;
  },

  build(spec, init) {
    const [first, ...blocks] = shape(spec);
    const input = tf.input({ shape: [spec.frames * spec.coefficients], name: 'fingerprint' });
    const layers: tf.layers.Layer[] = [
      tf.layers.reshape({ targetShape: [spec.frames, spec.coefficients, 1], name: 'reshape' }),
      tf.layers.conv2d({
        name: 'conv_1',
        filters: first.channels,
        kernelSize: first.kernel,
        strides: first.strides,
        padding: 'same',
        kernelInitializer: init.glorotUniform(),
      }),
      batchNorm('conv_1_bn'),
      tf.layers.reLU({ name: 'conv_1_relu' }),
    ];
    blocks.forEach((block, i) => {
      const prefix = `conv_ds_${i + 1}`;
      layers.push(
        tf.layers.depthwiseConv2d({
          name: `${prefix}_dw`,
          kernelSize: block.kernel,
          strides: block.strides,
          padding: 'same',
          depthMultiplier: 1,
          depthwiseInitializer: init.glorotUniform(),
        }),
        batchNorm(`${prefix}_dw_bn`),
        tf.layers.reLU({ name: `${prefix}_dw_relu` }),
        tf.layers.conv2d({ name: `${prefix}_pw`, filters: block.channels, kernelSize: [1, 1], padding: 'same', kernelInitializer: init.glorotUniform() }),
        batchNorm(`${prefix}_pw_bn`),
        tf.layers.reLU({ name: `${prefix}_pw_relu` }),
      );
    });
    layers.push(
      tf.layers.globalAveragePooling2d({ name: 'avg_pool' }),
      tf.layers.dense({ units: spec.labelCount, name: 'fc1', kernelInitializer: init.glorotUniform() }),
    );
    return tf.model({ inputs: input, outputs: applyLayers(input, layers), name: 'ds_cnn' });
  },
};
