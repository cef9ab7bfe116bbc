import { describe, expect, it } from 'vitest';
import { argmaxRows, computeMetrics, confusionMatrix, formatConfusion } from '../src/metrics.js';

describe('classification metrics', () => {
  // Hand-worked example, 3 classes, 8 samples.
  const truth = [0, 0, 0, 1, 1, 2, 2, 2];
  const predicted = [0, 0, 1, 1, 2, 2, 2, 0];

  it('counts rows = truth, columns = prediction', () => {
    expect(confusionMatrix(truth, predicted, 3)).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [1, 0, 2],
    ]);
  });

  it('computes accuracy, precision, recall and F1 per class', () => {
    const m = computeMetrics(truth, predicted, 3);
    expect(m.n).toBe(8);
    expect(m.accuracy).toBeCloseTo(5 / 8, 12);
    // class 0: tp 2, predicted 3, support 3
    expect(m.perClass[0]!.precision).toBeCloseTo(2 / 3, 12);
    expect(m.perClass[0]!.recall).toBeCloseTo(2 / 3, 12);
    // class 1: tp 1, predicted 2, support 2
    expect(m.perClass[1]!.precision).toBeCloseTo(1 / 2, 12);
    expect(m.perClass[1]!.recall).toBeCloseTo(1 / 2, 12);
    // class 2: tp 2, predicted 3, support 3 → F1 = 2/3
    expect(m.perClass[2]!.f1).toBeCloseTo(2 / 3, 12);
    expect(m.perClass.map((c) => c.support)).toEqual([3, 2, 3]);
  });

  it('gives 0 rather than NaN for a class that is never predicted or never present', () => {
    const m = computeMetrics([0, 0], [0, 0], 2);
    expect(m.perClass[1]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
  });

  it('takes the first maximum in argmax, as the device does', () => {
    expect(Array.from(argmaxRows([1, 3, 3, 0, -1, -2, -1, 5], 4))).toEqual([1, 3]);
  });

  it('formats an aligned labelled matrix', () => {
    const text = formatConfusion(
      [
        [12, 0],
        [3, 100],
      ],
      ['_silence_', 'yes'],
    ).split('\n');
    expect(text).toHaveLength(3);
    expect(new Set(text.map((line) => line.length)).size).toBe(1);
    expect(text[2]).toMatch(/^yes\s+3\s+100$/);
  });
});
