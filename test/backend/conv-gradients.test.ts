import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { KwsError } from '../../src/errors.js';
import { initBackend } from '../../src/backend/index.js';
import { Random } from '../../src/random.js';
import { onCpuAndWasm, randomArray, worstDifference } from './helpers.js';

type Rank4 = [number, number, number, number];
type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  name: string;
  x: Rank4;
  filter: Rank4;
  strides: number | [number, number];
  pad: Pad;
}

const TOLERANCE = 1e-4;

/** Gradients of Σ conv(x, filter)·r with respect to x and filter, r random (so dY is random). */
async function compareGradients(c: ConvCase, depthwise: boolean, seed: number): Promise<number> {
  const random = new Random(seed);
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad, undefined, depthwise);
  const xValues = randomArray(random, tf.util.sizeFromShape(c.x));
  const filterValues = randomArray(random, tf.util.sizeFromShape(c.filter));
  const rValues = randomArray(random, tf.util.sizeFromShape(info.outShape));
  const results = await onCpuAndWasm(() => {
    const x = tf.tensor4d(xValues, c.x);
    const filter = tf.tensor4d(filterValues, c.filter);
    const r = tf.tensor4d(rValues, info.outShape);
    const conv = (a: tf.Tensor4D, f: tf.Tensor4D) =>
      depthwise ? tf.depthwiseConv2d(a, f, c.strides, c.pad) : tf.conv2d(a, f, c.strides, c.pad);
    const [dx, dFilter] = tf.grads((a, f) => tf.sum(tf.mul(conv(a as tf.Tensor4D, f as tf.Tensor4D), r)))([x, filter]);
    return [conv(x, filter), dx!, dFilter!];
  });
  expect(results.wasm.map((values) => values.length)).toEqual(results.cpu.map((values) => values.length));
  return worstDifference(results);
}

describe('Conv2D gradients on wasm match the cpu backend', () => {
  const cases: ConvCase[] = [
    {
      name: 'DS-CNN first layer shape: 10×4, stride 2, SAME',
      x: [2, 13, 10, 1],
      filter: [10, 4, 1, 5],
      strides: 2,
      pad: 'same',
    },
    {
      name: 'non-square 3×2, stride 2×1, VALID, channels > 1',
      x: [3, 9, 6, 3],
      filter: [3, 2, 3, 4],
      strides: [2, 1],
      pad: 'valid',
    },
    { name: 'pointwise 1×1 (matrix-multiply path)', x: [2, 5, 4, 6], filter: [1, 1, 6, 7], strides: 1, pad: 'same' },
    { name: '1×1 with stride 2 (im2col path)', x: [2, 5, 5, 3], filter: [1, 1, 3, 4], strides: 2, pad: 'valid' },
    { name: 'stride 1 SAME, even kernel', x: [2, 6, 7, 2], filter: [4, 2, 2, 3], strides: 1, pad: 'same' },
    {
      name: 'wide filter rows, SIMD col2im (Cin 8), stride 2×1, SAME',
      x: [2, 9, 7, 8],
      filter: [3, 2, 8, 5],
      strides: [2, 1],
      pad: 'same',
    },
    {
      name: 'wide filter rows, VALID, channels not a multiple of 4',
      x: [2, 8, 9, 6],
      filter: [2, 3, 6, 4],
      strides: [1, 2],
      pad: 'valid',
    },
    {
      name: 'explicit padding',
      x: [2, 6, 5, 2],
      filter: [3, 3, 2, 3],
      strides: [1, 2],
      pad: [
        [0, 0],
        [2, 1],
        [0, 1],
        [0, 0],
      ],
    },
  ];
  cases.forEach((c, i) => {
    it(c.name, async () => {
      expect(await compareGradients(c, false, 100 + i)).toBeLessThanOrEqual(TOLERANCE);
    });
  });

  it('fused conv2d with bias (what tf.layers.conv2d runs) gets the same bias gradient', async () => {
    const random = new Random(7);
    const xValues = randomArray(random, 2 * 6 * 5 * 3);
    const filterValues = randomArray(random, 3 * 2 * 3 * 4);
    const biasValues = randomArray(random, 4);
    const results = await onCpuAndWasm(() => {
      const x = tf.tensor4d(xValues, [2, 6, 5, 3]);
      const filter = tf.tensor4d(filterValues, [3, 2, 3, 4]);
      const bias = tf.tensor1d(biasValues);
      const loss = (a: tf.Tensor, f: tf.Tensor, b: tf.Tensor) =>
        tf.sum(
          tf.square(
            tf.fused.conv2d({ x: a as tf.Tensor4D, filter: f as tf.Tensor4D, bias: b, strides: 2, pad: 'same' }),
          ),
        );
      return tf.grads(loss)([x, filter, bias]);
    });
    expect(worstDifference(results)).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('DepthwiseConv2dNative gradients on wasm match the cpu backend', () => {
  const cases: ConvCase[] = [
    {
      name: 'DS-CNN block shape: 3×3, stride 1, SAME (forward-kernel path)',
      x: [3, 7, 5, 8],
      filter: [3, 3, 8, 1],
      strides: 1,
      pad: 'same',
    },
    { name: 'stride 2, SAME', x: [2, 9, 6, 4], filter: [3, 3, 4, 1], strides: 2, pad: 'same' },
    { name: 'non-square 2×3, stride 2×1, VALID', x: [2, 7, 8, 3], filter: [2, 3, 3, 1], strides: [2, 1], pad: 'valid' },
    { name: 'stride 1 VALID, even kernel', x: [2, 6, 6, 5], filter: [4, 2, 5, 1], strides: 1, pad: 'valid' },
    { name: 'channel multiplier 2', x: [2, 6, 5, 3], filter: [3, 3, 3, 2], strides: 1, pad: 'same' },
    {
      name: 'explicit padding',
      x: [2, 6, 5, 2],
      filter: [3, 3, 2, 1],
      strides: 1,
      pad: [
        [0, 0],
        [2, 0],
        [1, 1],
        [0, 0],
      ],
    },
    {
      name: 'padding wider than the filter (direct loop)',
      x: [1, 5, 4, 4],
      filter: [2, 2, 4, 1],
      strides: 1,
      pad: [
        [0, 0],
        [2, 0],
        [0, 0],
        [0, 0],
      ],
    },
  ];
  cases.forEach((c, i) => {
    it(c.name, async () => {
      expect(await compareGradients(c, true, 200 + i)).toBeLessThanOrEqual(TOLERANCE);
    });
  });

  it('rejects dilation other than 1 with a clear message', async () => {
    await initBackend('wasm');
    const x = tf.zeros([1, 5, 5, 2]);
    const dy = tf.zeros([1, 5, 5, 2]);
    const run = () =>
      tf
        .engine()
        .runKernel(
          tf.DepthwiseConv2dNativeBackpropFilter,
          { x, dy },
          { strides: 1, pad: 'same', dilations: 2, filterShape: [3, 3, 2, 1] },
        );
    expect(run).toThrow(KwsError);
    expect(run).toThrow(/only dilation 1 \(got 2×2\)/);
    tf.dispose([x, dy]);
  });
});
