/**
 * The cmsis_nn_context buffer each layer's kernel asks for, computed at generation time from
 * CMSIS-NN's own formulas (Source/*Functions/*_get_buffer_sizes_s8.c) so the emitted C can
 * declare a static buffer; the C checks it against the *_get_buffer_size functions at run time
 * (kws_init). The answer depends on the build: plain C, the DSP extension (Cortex-M4/M7/M33)
 * or Helium (MVE, Cortex-M55/M85); where it also depends on the compiler, the larger is taken.
 */
import type { MapShape, Pair } from '../ir.js';
import type { S8Layer } from './ir.js';

export type KernelVariant = 'plain' | 'dsp' | 'mve';

/** In the order the emitted `#if` tests them. */
export const KERNEL_VARIANTS: readonly KernelVariant[] = ['mve', 'dsp', 'plain'];

/** Depthwise channels per block in the Helium kernel (CH_IN_BLOCK_MVE). */
const CH_IN_BLOCK_MVE = 124;

/** What arm_convolve_wrapper_s8_get_buffer_size reads (dilation 1, one group, one batch). */
export interface ConvGeometry {
  input: MapShape;
  output: MapShape;
  kernel: Pair;
  stride: Pair;
  padding: Pair;
}

const alignTo = (value: number, multiple: number): number => Math.ceil(value / multiple) * multiple;

/** arm_convolve_s8_get_buffer_size (two int16 im2col columns) and its Helium form (four int8 columns of 16 lanes). */
function convolveBytes(geometry: ConvGeometry, variant: KernelVariant): number {
  const columns = geometry.kernel.x * geometry.kernel.y * geometry.input.channels;
  return variant === 'mve' ? 4 * alignTo(columns, 16) : 2 * alignTo(columns, 4) * 2;
}

/** arm_convolve_1_x_n_s8_get_buffer_size_mve: the padded edge columns, unless the padding does not split that way. */
function convolve1xNBytesMve(geometry: ConvGeometry): number {
  const { input, output, kernel, stride, padding } = geometry;
  const totalPad = (output.width - 1) * stride.x + kernel.x - input.width;
  const asymmetric = totalPad % 2;
  const rightPadded =
    padding.x + asymmetric !== 0 ? Math.max(1, Math.trunc((padding.x + asymmetric + stride.x - 1) / stride.x)) : 0;
  const leftPadded = padding.x !== 0 ? Math.max(1, Math.trunc((padding.x + stride.x - 1) / stride.x)) : 0;
  const unpadded = Math.max(output.width - (rightPadded + leftPadded), 0);
  if (rightPadded + unpadded + leftPadded !== output.width) return convolveBytes(geometry, 'mve');
  const padLeft = padding.x * input.channels;
  const padRight = asymmetric ? rightPadded * input.channels : padLeft;
  const left = kernel.x * input.channels;
  return Math.max(left + padLeft, left - input.channels + padRight);
}

/** arm_convolve_wrapper_s8_get_buffer_size (and its _dsp and _mve forms). */
export function convolveWrapperBytes(geometry: ConvGeometry, variant: KernelVariant): number {
  const { input, kernel, stride, padding } = geometry;
  if (padding.x === 0 && padding.y === 0 && kernel.x === 1 && kernel.y === 1) {
    // arm_convolve_1x1_s8_fast: a buffer only for the DSP build of Arm's compiler (2 int16 columns).
    const fast = stride.x === 1 && stride.y === 1;
    return fast && variant === 'dsp' ? 2 * input.channels * 2 : 0;
  }
  if (input.height === 1 && kernel.y === 1 && (stride.x * input.channels) % 4 === 0)
    return variant === 'mve' ? convolve1xNBytesMve(geometry) : convolveBytes(geometry, variant);
  return convolveBytes(geometry, variant);
}

/**
 * arm_depthwise_conv_wrapper_s8_get_buffer_size for depth multiplier 1: nothing for the 3×3
 * kernel (padding ≤ 1, not on Helium); otherwise the _s8_opt kernel's int16 im2col (DSP) or
 * CH_IN_BLOCK_MVE-channel blocks (Helium), and nothing in plain C.
 */
export function depthwiseWrapperBytes(geometry: ConvGeometry, variant: KernelVariant): number {
  const { input, kernel, padding } = geometry;
  const taps = kernel.x * kernel.y;
  if (variant === 'mve') return 4 * CH_IN_BLOCK_MVE * taps;
  if (kernel.x === 3 && kernel.y === 3 && padding.x <= 1 && padding.y <= 1) return 0;
  return variant === 'dsp' ? input.channels * taps * 2 : 0;
}

/** arm_fully_connected_s8_get_buffer_size: Helium's kernel sums, one int32 per output. */
export function fullyConnectedBytes(outputs: number, variant: KernelVariant): number {
  return variant === 'mve' ? 4 * outputs : 0;
}

/** arm_avgpool_s8_get_buffer_size: the DSP kernel's int32 sum per channel. */
export function averagePoolBytes(channels: number, variant: KernelVariant): number {
  return variant === 'dsp' ? 4 * channels : 0;
}

export function scratchBytes(layer: S8Layer, variant: KernelVariant): number {
  switch (layer.kind) {
    case 'conv':
      return convolveWrapperBytes(layer, variant);
    case 'pointwise':
      return convolveWrapperBytes(
        { ...layer, kernel: { y: 1, x: 1 }, stride: { y: 1, x: 1 }, padding: { y: 0, x: 0 } },
        variant,
      );
    case 'depthwise':
      return depthwiseWrapperBytes(layer, variant);
    case 'dense':
      return fullyConnectedBytes(layer.outputSize, variant);
    case 'avgpool':
      return averagePoolBytes(layer.input.channels, variant);
  }
}

/** The largest buffer any layer asks for on `variant`. */
export function networkScratchBytes(layers: readonly S8Layer[], variant: KernelVariant): number {
  return Math.max(0, ...layers.map((layer) => scratchBytes(layer, variant)));
}
