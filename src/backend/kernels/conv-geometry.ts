/**
 * Convolution geometry for the gradient kernels, from tfjs's own `computeConv2DInfo` so that
 * output sizes and SAME/VALID/explicit padding match the forward pass exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { KwsError } from '../../errors.js';

type Rank4 = [number, number, number, number];
type Padding = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

export interface ConvAttrs {
  strides: [number, number] | number;
  pad: Padding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export interface BackpropFilterAttrs extends ConvAttrs {
  filterShape: Rank4;
}

export interface BackpropInputAttrs extends ConvAttrs {
  inputShape: Rank4;
}

export type ConvGeometry = tf.backend_util.Conv2DInfo;

/** Geometry of a convolution of `inShape` by `filterShape`; rejects what the kernels do not implement. */
export function convGeometry(
  kernelName: string,
  inShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
  depthwise: boolean,
): ConvGeometry {
  if (attrs.dataFormat === 'NCHW') {
    throw new KwsError(`${kernelName}: the wasm training kernels support only channels-last (NHWC) tensors`);
  }
  const dilations = attrs.dilations ?? 1;
  const [dilationHeight, dilationWidth] = typeof dilations === 'number' ? [dilations, dilations] : dilations;
  if (dilationHeight !== 1 || dilationWidth !== 1) {
    throw new KwsError(
      `${kernelName}: the wasm training kernels support only dilation 1 (got ${dilationHeight}×${dilationWidth})`,
    );
  }
  return tf.backend_util.computeConv2DInfo(
    inShape as Rank4,
    filterShape as Rank4,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    'channelsLast',
  );
}

/** A 1×1, stride-1, unpadded convolution is a plain matrix multiply over pixels. */
export function isPointwise(g: ConvGeometry): boolean {
  return (
    g.filterHeight === 1 &&
    g.filterWidth === 1 &&
    g.strideHeight === 1 &&
    g.strideWidth === 1 &&
    g.padInfo.top === 0 &&
    g.padInfo.left === 0 &&
    g.outHeight === g.inHeight &&
    g.outWidth === g.inWidth
  );
}

/**
 * Calls `visit` for every (output pixel, filter tap) pair whose tap lands inside the input, with
 * the flat indices of the output pixel (n, oh, ow), of the input pixel under the tap (n, ih, iw)
 * and of the tap (i, j).
 */
export function forEachTap(g: ConvGeometry, visit: (outPixel: number, inPixel: number, tap: number) => void): void {
  const { batchSize, inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = g;
  const padTop = g.padInfo.top;
  const padLeft = g.padInfo.left;
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const outPixel = (n * outHeight + oh) * outWidth + ow;
        for (let i = 0; i < filterHeight; i++) {
          const ih = oh * strideHeight - padTop + i;
          if (ih < 0 || ih >= inHeight) continue;
          for (let j = 0; j < filterWidth; j++) {
            const iw = ow * strideWidth - padLeft + j;
            if (iw < 0 || iw >= inWidth) continue;
            visit(outPixel, (n * inHeight + ih) * inWidth + iw, i * filterWidth + j);
          }
        }
      }
    }
  }
}
