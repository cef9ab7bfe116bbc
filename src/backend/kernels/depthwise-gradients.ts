/**
 * DepthwiseConv2dNative gradients on wasm (the stock backend has neither).
 *
 * Input gradient, channel multiplier 1 (every DS-CNN depthwise layer): a forward stride-1
 * depthwise convolution of dY (spread out with zeros for strided layers) by the 180°-rotated
 * filter, run by XNNPACK. Other multipliers (and explicit padding wider than the filter) use a
 * direct loop.
 * Filter gradient: SIMD multiply-accumulate over the channels of strided pixel rectangles when
 * the multiplier is 1 and channels come in fours, else a direct loop.
 */
import * as tf from '@tensorflow/tfjs';
import {
  convGeometry,
  forEachTap,
  type BackpropFilterAttrs,
  type BackpropInputAttrs,
  type ConvGeometry,
} from './conv-geometry.js';
import { WasmContext, wasmKernel, type ExplicitPadding, type KernelArgs } from './wasm-context.js';

/** dW[i, j, c, q] = Σ x[n, ih, iw, c] · dY[n, oh, ow, c·mult + q] over all pixels. */
export function depthwiseFilterGradient(x: Float32Array, dy: Float32Array, g: ConvGeometry, dw: Float32Array): void {
  const { inChannels, outChannels } = g;
  const multiplier = outChannels / inChannels;
  dw.fill(0);
  forEachTap(g, (outPixel, inPixel, tap) => {
    const dyBase = outPixel * outChannels;
    const xBase = inPixel * inChannels;
    const wBase = tap * outChannels;
    if (multiplier === 1) {
      for (let c = 0; c < inChannels; c++) dw[wBase + c] = dw[wBase + c]! + x[xBase + c]! * dy[dyBase + c]!;
    } else {
      for (let c = 0; c < inChannels; c++) {
        const xv = x[xBase + c]!;
        for (let q = 0; q < multiplier; q++)
          dw[wBase + c * multiplier + q] = dw[wBase + c * multiplier + q]! + xv * dy[dyBase + c * multiplier + q]!;
      }
    }
  });
}

/** dX[n, ih, iw, c] = Σ dY[n, oh, ow, c·mult + q] · W[i, j, c, q] (general strides and multipliers). */
export function depthwiseInputGradient(dy: Float32Array, w: Float32Array, g: ConvGeometry, dx: Float32Array): void {
  const { inChannels, outChannels } = g;
  const multiplier = outChannels / inChannels;
  dx.fill(0);
  forEachTap(g, (outPixel, inPixel, tap) => {
    const dyBase = outPixel * outChannels;
    const xBase = inPixel * inChannels;
    const wBase = tap * outChannels;
    for (let c = 0; c < inChannels; c++) {
      let sum = 0;
      for (let q = 0; q < multiplier; q++) sum += dy[dyBase + c * multiplier + q]! * w[wBase + c * multiplier + q]!;
      dx[xBase + c] = dx[xBase + c]! + sum;
    }
  });
}

/** `filter` [fh, fw, C, 1] rotated by 180° in the spatial plane. */
function rotateFilter(w: Float32Array, g: ConvGeometry, rotated: Float32Array): void {
  const { filterHeight, filterWidth, outChannels } = g;
  for (let i = 0; i < filterHeight; i++) {
    for (let j = 0; j < filterWidth; j++) {
      const from = (i * filterWidth + j) * outChannels;
      const to = ((filterHeight - 1 - i) * filterWidth + (filterWidth - 1 - j)) * outChannels;
      rotated.set(w.subarray(from, from + outChannels), to);
    }
  }
}

/** dY's spatial size once strided outputs are spread back to stride 1 (zeros in between). */
function dilatedSize(g: ConvGeometry): [number, number] {
  return [(g.outHeight - 1) * g.strideHeight + 1, (g.outWidth - 1) * g.strideWidth + 1];
}

/**
 * Padding that makes a stride-1 correlation of the (dilated) dY with the rotated filter produce
 * the input size, or null when that would need negative padding (then the loop is used).
 */
function transposedPadding(g: ConvGeometry): ExplicitPadding | null {
  const [height, width] = dilatedSize(g);
  const top = g.filterHeight - 1 - g.padInfo.top;
  const left = g.filterWidth - 1 - g.padInfo.left;
  const bottom = g.inHeight + g.filterHeight - 1 - height - top;
  const right = g.inWidth + g.filterWidth - 1 - width - left;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return null;
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

/** Copies each dY pixel to position (oh·sh, ow·sw) of a zeroed stride-1 grid. */
function dilate(dy: Float32Array, g: ConvGeometry, out: Float32Array): void {
  const [height, width] = dilatedSize(g);
  const channels = g.outChannels;
  out.fill(0);
  let from = 0;
  for (let n = 0; n < g.batchSize; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++, from += channels) {
        out.set(
          dy.subarray(from, from + channels),
          ((n * height + oh * g.strideHeight) * width + ow * g.strideWidth) * channels,
        );
      }
    }
  }
}

function depthwiseBackpropInput({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs as unknown as BackpropInputAttrs;
  const g = convGeometry(tf.DepthwiseConv2dNativeBackpropInput, a.inputShape, filter.shape, a, true);
  const ctx = new WasmContext(backend);
  try {
    const pad = g.outChannels === g.inChannels ? transposedPadding(g) : null;
    if (pad) {
      const rotated = ctx.alloc(filter.shape, true);
      let spread = dy;
      if (g.strideHeight > 1 || g.strideWidth > 1) {
        spread = ctx.alloc([g.batchSize, ...dilatedSize(g), g.outChannels], true);
        dilate(ctx.f32(dy), g, ctx.f32(spread));
      }
      rotateFilter(ctx.f32(filter), g, ctx.f32(rotated));
      return ctx.depthwiseConv(spread, rotated, pad, true);
    }
    const dx = ctx.alloc(a.inputShape);
    depthwiseInputGradient(ctx.f32(dy), ctx.f32(filter), g, ctx.f32(dx));
    return dx;
  } finally {
    ctx.release();
  }
}

/** Range of output positions whose tap `i` lands inside the input (one axis). */
function validOutputs(i: number, pad: number, stride: number, inSize: number, outSize: number): [number, number] {
  const first = Math.max(0, Math.ceil((pad - i) / stride));
  const last = Math.min(outSize - 1, Math.floor((inSize - 1 + pad - i) / stride));
  return [first, last + 1];
}

/**
 * Multiplier-1 filter gradient with the SIMD multiply-accumulate: for each tap and image, the
 * output pixels whose tap lands inside the input form a strided rectangle in both x and dY.
 */
function depthwiseFilterGradientSimd(
  ctx: WasmContext,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  g: ConvGeometry,
  dw: tf.TensorInfo,
): void {
  const { batchSize, inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = g;
  const pixel = g.inChannels * 4;
  const loops = ctx.loops();
  const xAt = ctx.address(x);
  const dyAt = ctx.address(dy);
  const dwAt = ctx.address(dw);
  ctx.f32(dw).fill(0);
  for (let i = 0; i < filterHeight; i++) {
    const [ohFirst, ohEnd] = validOutputs(i, g.padInfo.top, strideHeight, inHeight, outHeight);
    for (let j = 0; j < filterWidth; j++) {
      const [owFirst, owEnd] = validOutputs(j, g.padInfo.left, strideWidth, inWidth, outWidth);
      if (ohEnd <= ohFirst || owEnd <= owFirst) continue;
      const ih = ohFirst * strideHeight - g.padInfo.top + i;
      const iw = owFirst * strideWidth - g.padInfo.left + j;
      for (let n = 0; n < batchSize; n++) {
        loops.multiplyAccumulate(
          dwAt + (i * filterWidth + j) * pixel,
          xAt + ((n * inHeight + ih) * inWidth + iw) * pixel,
          dyAt + ((n * outHeight + ohFirst) * outWidth + owFirst) * pixel,
          ohEnd - ohFirst,
          owEnd - owFirst,
          strideHeight * inWidth * pixel,
          strideWidth * pixel,
          outWidth * pixel,
          pixel,
          pixel,
        );
      }
    }
  }
}

function depthwiseBackpropFilter({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as BackpropFilterAttrs;
  const g = convGeometry(tf.DepthwiseConv2dNativeBackpropFilter, x.shape, a.filterShape, a, true);
  const ctx = new WasmContext(backend);
  const dw = ctx.alloc(a.filterShape);
  if (g.outChannels === g.inChannels && g.inChannels % 4 === 0) depthwiseFilterGradientSimd(ctx, x, dy, g, dw);
  else depthwiseFilterGradient(ctx.f32(x), ctx.f32(dy), g, ctx.f32(dw));
  return dw;
}

export const depthwiseBackpropInputConfig = wasmKernel(tf.DepthwiseConv2dNativeBackpropInput, depthwiseBackpropInput);
export const depthwiseBackpropFilterConfig = wasmKernel(
  tf.DepthwiseConv2dNativeBackpropFilter,
  depthwiseBackpropFilter,
);
