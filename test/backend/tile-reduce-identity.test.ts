import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { tileInPlace } from '../../src/backend/kernels/tile.js';
import { Random } from '../../src/random.js';
import { onCpuAndWasm, randomArray, worstDifference } from './helpers.js';

const TOLERANCE = 1e-4;

describe('Tile on wasm', () => {
  const cases: Array<{ shape: number[]; reps: number[] }> = [
    { shape: [1, 1, 1, 64], reps: [5, 3, 2, 1] }, // the batch-norm gradient broadcast
    { shape: [2, 3], reps: [3, 1] },
    { shape: [4, 1], reps: [2, 40] }, // short rows (element loop)
    { shape: [2, 3, 40], reps: [2, 2, 2] }, // long rows (copyWithin)
    { shape: [3], reps: [1] },
  ];
  cases.forEach(({ shape, reps }, i) => {
    it(`tiles [${shape}] by [${reps}] like the cpu backend`, async () => {
      const values = randomArray(new Random(300 + i), tf.util.sizeFromShape(shape));
      const results = await onCpuAndWasm(() => tf.tile(tf.tensor(values, shape), reps));
      expect(worstDifference(results)).toBe(0);
    });
  });

  it('tiles int32 tensors and keeps their type', async () => {
    await initBackend('wasm');
    const tiled = tf.tile(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), [2, 3]);
    expect(tiled.dtype).toBe('int32');
    expect(tiled.arraySync()).toEqual([
      [1, 2, 1, 2, 1, 2],
      [3, 4, 3, 4, 3, 4],
      [1, 2, 1, 2, 1, 2],
      [3, 4, 3, 4, 3, 4],
    ]);
    tiled.dispose();
  });

  it('tileInPlace replicates rows without overwriting unread ones', () => {
    const out = new Float32Array(12);
    out.set([1, 2, 3]);
    tileInPlace(out, [3, 1], [2, 2]);
    expect(Array.from(out)).toEqual([1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
  });
});

describe('Sum and Mean on wasm', () => {
  const reductions: Array<{ axes: number[]; keepDims: boolean }> = [
    { axes: [0, 1, 2], keepDims: false }, // batch-norm statistics
    { axes: [0, 1, 2], keepDims: true },
    { axes: [1, 2], keepDims: false }, // global average pooling
    { axes: [3], keepDims: true }, // innermost
    { axes: [0], keepDims: false },
    { axes: [0, 2], keepDims: false }, // not contiguous: stock kernel
    { axes: [0, 1, 2, 3], keepDims: false },
  ];
  // 7 channels take the JavaScript loop, 8 the SIMD rows.
  for (const shape of [
    [6, 5, 4, 7],
    [5, 4, 3, 8],
  ]) {
    const values = randomArray(new Random(400 + shape[3]!), tf.util.sizeFromShape(shape));
    for (const { axes, keepDims } of reductions) {
      it(`reduces [${shape}] over axes [${axes}]${keepDims ? ' keeping dims' : ''} like the cpu backend`, async () => {
        const results = await onCpuAndWasm(() => {
          const x = tf.tensor(values, shape);
          const sum = tf.sum(x, axes, keepDims);
          const mean = tf.mean(x, axes, keepDims);
          return [sum, mean, tf.tensor1d(sum.shape), tf.tensor1d(mean.shape)];
        });
        expect(worstDifference(results)).toBeLessThanOrEqual(TOLERANCE);
      });
    }
  }

  it('still sums int32 tensors exactly', async () => {
    await initBackend('wasm');
    const total = tf.sum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), 0);
    expect(total.dtype).toBe('int32');
    expect(Array.from(total.dataSync())).toEqual([9, 12]);
    total.dispose();
  });
});

describe('Identity and Cast on wasm share memory safely', () => {
  it('a clone outlives its source and casts to another type still convert', async () => {
    await initBackend('wasm');
    const source = tf.tensor1d([1.5, -2.25, 3]);
    const clone = source.clone();
    const sameType = tf.cast(source, 'float32');
    const asInt = tf.cast(source, 'int32');
    source.dispose();
    expect(Array.from(clone.dataSync())).toEqual([1.5, -2.25, 3]);
    expect(Array.from(sameType.dataSync())).toEqual([1.5, -2.25, 3]);
    expect(asInt.dtype).toBe('int32');
    expect(Array.from(asInt.dataSync())).toEqual([1, -2, 3]);
    tf.dispose([clone, sameType, asInt]);
  });

  it('does not leak tensors through shared references', async () => {
    await initBackend('wasm');
    const before = tf.memory().numTensors;
    const bytesBefore = tf.memory().numBytes;
    tf.tidy(() => {
      const x = tf.ones([4, 4]);
      return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.cast(a, 'float32'), a.clone())))(x);
    }).dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.memory().numBytes).toBe(bytesBefore);
  });
});
