import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/random.js';
import { onCpuAndWasm, randomArray, worstDifference } from './helpers.js';

describe('BatchMatMul with transposed operands on wasm', () => {
  const cases: Array<{ a: number[]; b: number[]; transposeA: boolean; transposeB: boolean }> = [
    { a: [7, 5], b: [5, 3], transposeA: false, transposeB: false },
    { a: [5, 7], b: [5, 3], transposeA: true, transposeB: false }, // dW = xᵀ·dy
    { a: [7, 5], b: [3, 5], transposeA: false, transposeB: true }, // dx = dy·Wᵀ
    { a: [5, 7], b: [3, 5], transposeA: true, transposeB: true },
    { a: [1, 6, 4], b: [1, 6, 9], transposeA: true, transposeB: false }, // rank 3, batch 1 (as tf.layers calls it)
    { a: [2, 6, 4], b: [2, 3, 4], transposeA: false, transposeB: true }, // batched: stock kernel
  ];
  cases.forEach(({ a, b, transposeA, transposeB }, i) => {
    it(`[${a}]${transposeA ? 'ᵀ' : ''} × [${b}]${transposeB ? 'ᵀ' : ''} matches the cpu backend`, async () => {
      const random = new Random(700 + i);
      const aValues = randomArray(random, tf.util.sizeFromShape(a));
      const bValues = randomArray(random, tf.util.sizeFromShape(b));
      const results = await onCpuAndWasm(() => {
        const product = tf.matMul(tf.tensor(aValues, a), tf.tensor(bValues, b), transposeA, transposeB);
        return [product, tf.tensor1d(product.shape)];
      });
      expect(worstDifference(results)).toBeLessThanOrEqual(1e-4);
    });
  });
});
