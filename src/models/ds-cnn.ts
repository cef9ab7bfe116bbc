/**
 * DS-CNN: a regular SAME convolution, then N-1 depthwise-separable blocks (depthwise 3-D
 * kernel + 1×1 pointwise), each convolution followed by slim-style batch norm (β only) and
 * ReLU; global average pooling over what is left of [time, frequency]; one logits layer.
 */
import { UsageError } from '../errors.js';
import { convCost, type FeatureMap } from './conv.js';
import {
  denseCost,
  requireSizeInfo,
  sizeNumbers,
  sameOutput,
  type ArchitectureFamily,
  type LayerCost,
  type ModelSpec,
} from './spec.js';

const HELP =
  '1 + 5·N numbers: N (the layer count), then N groups of c kt kf st sf ' +
  '(output channels, kernel time and frequency, stride time and frequency); ' +
  'the first group is a regular convolution, the others depthwise-separable';

interface DsLayer {
  channels: number;
  kernel: [number, number];
  strides: [number, number];
  input: FeatureMap;
  output: FeatureMap;
}

/** The regular convolution first, then the depthwise-separable blocks. */
export function shape(spec: ModelSpec): [DsLayer, ...DsLayer[]] {
  const layers: DsLayer[] = [];
  let input: FeatureMap = { time: spec.frames, frequency: spec.coefficients, channels: 1 };
  const [layerCount] = sizeNumbers(spec.modelSizeInfo, 1);
  for (let i = 0; i < layerCount; i++) {
    const [channels, kt, kf, st, sf] = sizeNumbers(spec.modelSizeInfo, 5, 1 + 5 * i);
    const output: FeatureMap = {
      time: sameOutput(input.time, st),
      frequency: sameOutput(input.frequency, sf),
      channels: channels,
    };
    layers.push({ channels: channels, kernel: [kt, kf], strides: [st, sf], input, output });
    input = output;
  }
  const [first, ...blocks] = layers;
  if (!first) throw new Error('ds_cnn: model_size_info gives no layer');
  return [first, ...blocks];
}

export const dsCnn: ArchitectureFamily = {
  name: 'ds_cnn',
  sizeInfoHelp: HELP,

  validate(sizeInfo) {
    const count = sizeInfo[0];
    if (count === undefined || !Number.isInteger(count) || count < 1) {
      throw new UsageError(
        `ds_cnn takes ${HELP}; the first number must be a layer count of at least 1 (got ${count ?? 'nothing'})`,
      );
    }
    requireSizeInfo('ds_cnn', `${HELP} — with N = ${count}, ${1 + 5 * count} numbers`, sizeInfo, 1 + 5 * count);
  },

  costs(spec): LayerCost[] {
    const [first, ...blocks] = shape(spec);
    const costs = [convCost('conv_1', first.input, first.output, first.kernel, { batchNormParams: first.channels })];
    blocks.forEach((block, i) => {
      const depthwiseOut: FeatureMap = { ...block.output, channels: block.input.channels };
      costs.push(
        convCost(`conv_ds_${i + 1}_dw`, block.input, depthwiseOut, block.kernel, {
          depthwise: true,
          batchNormParams: block.input.channels,
        }),
        convCost(`conv_ds_${i + 1}_pw`, depthwiseOut, block.output, [1, 1], { batchNormParams: block.channels }),
      );
    });
    const channels = (blocks.at(-1) ?? first).channels;
    costs.push({ name: 'avg_pool', params: 0, weights: 0, macs: 0, activations: channels, scratch: 0 });
    costs.push(denseCost('fc1', channels, spec.labelCount));
    return costs;
  },
};
