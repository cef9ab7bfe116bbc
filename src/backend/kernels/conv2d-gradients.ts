/**
 * Conv2D gradients on wasm as XNNPACK matrix multiplies:
 *   filter gradient  dW [K, Cout] = colsᵀ [K, M] × dY [M, Cout]
 *   input gradient   dX = col2im(dY [M, Cout] × Wᵀ [Cout, K])
 * with M = batch·outH·outW pixels and K = fh·fw·Cin taps. 1×1 stride-1 convolutions skip
 * im2col/col2im entirely; col2im adds whole filter rows with SIMD when Cin comes in fours. wasm has no Conv2DBackpropFilter, and its Conv2DBackpropInput is a
 * naive loop (~40 ms for one DS-CNN pointwise layer at batch 100).
 */
import * as tf from '@tensorflow/tfjs';
import {
  convGeometry,
  forEachTap,
  isPointwise,
  type BackpropFilterAttrs,
  type BackpropInputAttrs,
  type ConvGeometry,
} from './conv-geometry.js';
import { WasmContext, wasmKernel, type KernelArgs } from './wasm-context.js';

/** The im2col matrix is M pixels × K taps. */
function im2colSize(g: ConvGeometry): { pixels: number; taps: number } {
  return { pixels: g.batchSize * g.outHeight * g.outWidth, taps: g.filterHeight * g.filterWidth * g.inChannels };
}

/**
 * Writes the im2col matrix transposed, `cols[k][m]` with k = (i, j, ci) in filter order, so the
 * filter gradient needs no transposed multiply. Out-of-image taps are zero. One image at a time,
 * so the gather reads stay in cache while each tap writes a contiguous run of the image's pixels.
 */
export function im2colTransposed(x: Float32Array, g: ConvGeometry, cols: Float32Array): void {
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels,
    outHeight,
    outWidth,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
  } = g;
  const padTop = g.padInfo.top;
  const padLeft = g.padInfo.left;
  const imagePixels = outHeight * outWidth;
  const pixels = batchSize * imagePixels;
  for (let n = 0; n < batchSize; n++) {
    for (let i = 0; i < filterHeight; i++) {
      for (let j = 0; j < filterWidth; j++) {
        for (let ci = 0; ci < inChannels; ci++) {
          let m = ((i * filterWidth + j) * inChannels + ci) * pixels + n * imagePixels;
          for (let oh = 0; oh < outHeight; oh++) {
            const ih = oh * strideHeight - padTop + i;
            if (ih < 0 || ih >= inHeight) {
              cols.fill(0, m, m + outWidth);
              m += outWidth;
              continue;
            }
            const rowBase = (n * inHeight + ih) * inWidth;
            for (let ow = 0; ow < outWidth; ow++, m++) {
              const iw = ow * strideWidth - padLeft + j;
              cols[m] = iw >= 0 && iw < inWidth ? x[(rowBase + iw) * inChannels + ci]! : 0;
            }
          }
        }
      }
    }
  }
}

/** Valid filter columns [first, end) for an output column whose first tap lands on input column `iw0`. */
function validTaps(iw0: number, filterWidth: number, inWidth: number): [number, number] {
  return [Math.max(0, -iw0), Math.min(filterWidth, inWidth - iw0)];
}

/**
 * col2im with the SIMD row sum as "dx += run": each filter row's valid taps are one contiguous
 * run in both dcols and dX. Needs Cin a multiple of 4 (runs of whole f32x4 vectors).
 */
function col2imAddSimd(ctx: WasmContext, cols: tf.TensorInfo, g: ConvGeometry, dx: tf.TensorInfo): void {
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels,
    outHeight,
    outWidth,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
  } = g;
  const pixel = inChannels * 4;
  const loops = ctx.loops();
  const dxAt = ctx.address(dx);
  let src = ctx.address(cols);
  ctx.f32(dx).fill(0);
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const iw0 = ow * strideWidth - g.padInfo.left;
        const [first, end] = validTaps(iw0, filterWidth, inWidth);
        for (let i = 0; i < filterHeight; i++, src += filterWidth * pixel) {
          const ih = oh * strideHeight - g.padInfo.top + i;
          if (ih < 0 || ih >= inHeight || end <= first) continue;
          loops.sumRows(
            dxAt + ((n * inHeight + ih) * inWidth + iw0 + first) * pixel,
            src + first * pixel,
            1,
            (end - first) * pixel,
          );
        }
      }
    }
  }
}

/** Adds `cols[m][k]` (k = (i, j, ci)) back onto the image positions they were taken from. */
export function col2imAdd(cols: Float32Array, g: ConvGeometry, dx: Float32Array): void {
  const { inChannels } = g;
  const { taps } = im2colSize(g);
  dx.fill(0);
  forEachTap(g, (outPixel, inPixel, tap) => {
    const dst = inPixel * inChannels;
    const from = outPixel * taps + tap * inChannels;
    for (let ci = 0; ci < inChannels; ci++) dx[dst + ci] = dx[dst + ci]! + cols[from + ci]!;
  });
}

function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as BackpropFilterAttrs;
  const g = convGeometry(tf.Conv2DBackpropFilter, x.shape, a.filterShape, a, false);
  const { pixels, taps } = im2colSize(g);
  const ctx = new WasmContext(backend);
  try {
    let colsT: tf.TensorInfo;
    if (isPointwise(g)) {
      colsT = ctx.transpose2d(x, pixels, g.inChannels);
    } else {
      colsT = ctx.alloc([taps, pixels], true);
      im2colTransposed(ctx.f32(x), g, ctx.f32(colsT));
    }
    const dw = ctx.matMul(colsT, dy, taps, pixels, g.outChannels, true);
    return WasmContext.reshaped(dw, a.filterShape);
  } finally {
    ctx.release();
  }
}

function conv2DBackpropInput({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs as unknown as BackpropInputAttrs;
  const g = convGeometry(tf.Conv2DBackpropInput, a.inputShape, filter.shape, a, false);
  const { pixels, taps } = im2colSize(g);
  const ctx = new WasmContext(backend);
  try {
    const filterT = ctx.transpose2d(filter, taps, g.outChannels);
    if (isPointwise(g)) {
      const dx = ctx.matMul(dy, filterT, pixels, g.outChannels, taps, true);
      return WasmContext.reshaped(dx, a.inputShape);
    }
    const cols = ctx.matMul(dy, filterT, pixels, g.outChannels, taps);
    const dx = ctx.alloc(a.inputShape);
    if (g.inChannels % 4 === 0) col2imAddSimd(ctx, cols, g, dx);
    else col2imAdd(ctx.f32(cols), g, ctx.f32(dx));
    return dx;
  } finally {
    ctx.release();
  }
}

export const conv2DBackpropFilterConfig = wasmKernel(tf.Conv2DBackpropFilter, conv2DBackpropFilter);
export const conv2DBackpropInputConfig = wasmKernel(tf.Conv2DBackpropInput, conv2DBackpropInput);
