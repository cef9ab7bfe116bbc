/** Cost of one 2-D convolution layer (regular or depthwise) over a [time, frequency, channels] map. */
import type { LayerCost } from './spec.js';

export interface FeatureMap {
  time: number;
  frequency: number;
  channels: number;
}

export function mapSize(map: FeatureMap): number {
  return map.time * map.frequency * map.channels;
}

/**
 * `kernel` is [time, frequency]; a depthwise layer has one filter per input channel. Batch norm
 * after the layer adds `batchNormParams` trainable values and nothing once folded.
 */
export function convCost(
  name: string,
  input: FeatureMap,
  output: FeatureMap,
  kernel: readonly [number, number],
  options: { depthwise?: boolean; batchNormParams?: number } = {},
): LayerCost {
  const taps = kernel[0] * kernel[1] * (options.depthwise ? 1 : input.channels);
  const weights = taps * output.channels + output.channels;
  return {
    name,
    params: weights + (options.batchNormParams ?? 0),
    weights,
    macs: output.time * output.frequency * output.channels * taps,
    activations: mapSize(output),
    scratch: convScratch(input.channels, kernel[0] * kernel[1]),
  };
}

/**
 * q15 values of im2col scratch a legacy CMSIS-NN q7 convolution (regular, depthwise or 1×1) needs:
 * two columns of the input patch. The emitted C sizes its `col_buffer` with this too.
 */
export function convScratch(inputChannels: number, kernelArea: number): number {
  return 2 * inputChannels * kernelArea;
}
