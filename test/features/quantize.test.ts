import { describe, expect, it } from 'vitest';
import { quantizeFeatures } from '../../src/features/quantize.js';

describe('quantizeFeatures', () => {
  it('rounds c·2^decBits half away from zero, like C round()', () => {
    const q = quantizeFeatures(Float32Array.from([0.25, -0.25, 0.75, -0.75, 0.1, -0.1, 0]), 1);
    expect(Array.from(q)).toEqual([1, -1, 2, -2, 0, 0, 0]);
    expect(Array.from(quantizeFeatures(Float32Array.from([2.5, -2.5, 2.49, -2.51]), 0))).toEqual([3, -3, 2, -3]);
  });

  it('saturates to [-128, 127] and handles negative decBits', () => {
    const q = quantizeFeatures(Float32Array.from([-247.14, 15.9, 16, 100, -16.1]), 3);
    expect(Array.from(q)).toEqual([-128, 127, 127, 127, -128]);
    expect(Array.from(quantizeFeatures(Float32Array.from([-247.14, 6, -6]), -2))).toEqual([-62, 2, -2]);
  });

  it('writes into a given buffer', () => {
    const out = new Int8Array(3);
    expect(quantizeFeatures(Float32Array.from([1, 2, 3]), 2, out)).toBe(out);
    expect(Array.from(out)).toEqual([4, 8, 12]);
    expect(() => quantizeFeatures(Float32Array.from([1, 2]), 0.5)).toThrow(RangeError);
  });
});
