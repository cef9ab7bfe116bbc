/** Edge cases of the fixed-point arithmetic, with values worked out by hand from the C semantics. */
import { describe, expect, it } from 'vitest';
import { type PointStats, percentileFrac } from '../../src/quant/calibrate.js';
import { type AvgPoolLayer, type DenseLayer, fixedPoint } from '../../src/quant/ir.js';
import {
  fracBitsFor,
  quantizeWithFrac,
  quantizeTensor,
  roundHalfAway,
  roundHalfEven,
} from '../../src/quant/qformat.js';
import { averagePool, fullyConnected, relu } from '../../src/quant/simulate.js';
import { kwsSoftmax, q7ExpTable, softmaxExpTable } from '../../src/quant/softmax.js';
import { Random } from '../../src/random.js';

/** One-input, one-output FC: out = sat8(((b << bs) + round + x·w) >> os). */
function fc(
  x: number,
  w: number,
  b: number,
  biasShift: number,
  outShift: number,
): { value: number; saturated: number } {
  const layer: DenseLayer = {
    kind: 'dense',
    name: 'T',
    source: 't',
    inputSize: 1,
    outputSize: 1,
    weights: Int8Array.of(w),
    bias: Int8Array.of(b),
    ...fixedPoint(0, 0, 0, 0),
    biasShift,
    outShift,
  };
  const out = new Int8Array(1);
  const counts = new Float64Array(1);
  fullyConnected(layer, Int8Array.of(x), out, counts, 0);
  return { value: out[0]!, saturated: counts[0]! };
}

describe('CMSIS-NN q7 requantisation', () => {
  it('rounds with NN_ROUND: +2^(s−1) then arithmetic shift (halves go up, also for negatives)', () => {
    expect(fc(1, 3, 0, 0, 1).value).toBe(2); // 1.5 → 2
    expect(fc(1, -3, 0, 0, 1).value).toBe(-1); // −1.5 → −1
    expect(fc(1, -5, 0, 0, 1).value).toBe(-2); // −2.5 → −2
    expect(fc(1, -7, 0, 0, 2).value).toBe(-2); // (−7 + 2) >> 2 = floor(−1.25)
    expect(fc(1, 7, 0, 0, 2).value).toBe(2); // (7 + 2) >> 2
  });

  it('adds no rounding constant when the output shift is 0', () => {
    expect(fc(1, 5, 0, 0, 0).value).toBe(5);
    expect(fc(-1, 5, 0, 0, 0).value).toBe(-5);
  });

  it('shifts the bias left into the accumulator', () => {
    expect(fc(0, 0, -3, 4, 0).value).toBe(-48);
    expect(fc(2, 3, 1, 3, 2).value).toBe(4); // (8 + 2 + 6) >> 2
  });

  it('saturates to [−128, 127] and counts it', () => {
    expect(fc(127, 127, 0, 0, 0)).toEqual({ value: 127, saturated: 1 });
    expect(fc(-128, 127, 0, 0, 0)).toEqual({ value: -128, saturated: 1 });
    expect(fc(127, 127, 0, 0, 7)).toEqual({ value: 126, saturated: 0 }); // (16129 + 64) >> 7
  });

  it('wraps the accumulator at 32 bits like the q31 C code', () => {
    // 1 << 31 wraps to −2^31; + 2^30 rounding; >> 31 → −1.
    expect(fc(0, 0, 1, 31, 31).value).toBe(-1);
    // 127 · 2^30 keeps the low 32 bits 0xC000_0000 = −2^30; (−2^30 + 2^23) >> 24 = −64.
    expect(fc(0, 0, 127, 30, 24).value).toBe(-64);
  });
});

describe('ReLU and average pool', () => {
  it('relu clears negatives in place, only within size', () => {
    const data = Int8Array.of(-5, 3, -128, -1);
    relu(data, 3);
    expect(Array.from(data)).toEqual([0, 3, 0, -1]);
  });

  function pool(values: number[], outLshift: number): number {
    const layer: AvgPoolLayer = {
      kind: 'avgpool',
      name: 'POOL',
      input: { height: 2, width: 2, channels: 1 },
      inFrac: 0,
      outFrac: outLshift,
      outLshift,
    };
    const out = new Int8Array(1);
    averagePool(layer, Int8Array.from(values), out);
    return out[0]!;
  }

  it('divides like C: truncation toward zero, after the left shift', () => {
    expect(pool([1, 2, 3, 1], 0)).toBe(1); // 7/4 = 1.75
    expect(pool([-1, -2, -3, -1], 0)).toBe(-1); // −1.75 → −1, not −2
    expect(pool([1, 2, 3, 1], 2)).toBe(7); // 28/4
    expect(pool([1, 1, 1, 0], 1)).toBe(1); // 6/4 = 1.5
  });

  it('saturates instead of wrapping', () => {
    expect(pool([127, 127, 127, 127], 1)).toBe(127);
    expect(pool([-128, -128, -128, -128], 2)).toBe(-128);
  });

  it('averages each channel of an HWC map separately', () => {
    const layer: AvgPoolLayer = {
      kind: 'avgpool',
      name: 'POOL',
      input: { height: 1, width: 3, channels: 2 },
      inFrac: 0,
      outFrac: 0,
      outLshift: 0,
    };
    const out = new Int8Array(2);
    averagePool(layer, Int8Array.of(3, -9, 6, 0, 9, 3), out);
    expect(Array.from(out)).toEqual([6, -2]);
  });
});

describe("kws_softmax: the logits' real softmax as Q15 probabilities (32768 = 1)", () => {
  it('tabulates exp(−d · step) in Q15 until it rounds to 0, at most 256 entries', () => {
    const q4 = q7ExpTable(4);
    expect(q4[0]).toBe(32768);
    expect(q4[16]).toBe(12055); // 32768 / e = 12054.7
    expect(q7ExpTable(0).length).toBe(12); // 32768 e^-11 = 0.55, e^-12 rounds to 0
    expect(q7ExpTable(7).length).toBe(256);
    expect(Array.from(softmaxExpTable(0.0625))).toEqual(Array.from(q4));
    expect(() => softmaxExpTable(0)).toThrow(RangeError);
  });

  it('gives equal shares for equal inputs', () => {
    // (32768 · 32768 + 65536) / 131072 = 8192.5, truncated
    expect(Array.from(kwsSoftmax(Int8Array.of(5, 5, 5, 5), q7ExpTable(4)))).toEqual([8192, 8192, 8192, 8192]);
  });

  it('computes (32768 e_i + sum / 2) / sum on the real logits', () => {
    // Q.4 logits 16 and 0 are 1.0 and 0.0: e = 32768, 12055, sum 44823 → 23955.6 and 8813.4, truncated.
    expect(Array.from(kwsSoftmax(Int8Array.of(16, 0), q7ExpTable(4)))).toEqual([23955, 8813]);
  });

  it('reaches 32768 only when every other logit is past the table', () => {
    expect(Array.from(kwsSoftmax(Int8Array.of(127, -128), q7ExpTable(0)))).toEqual([32768, 0]);
    // d = 10, 8, 9 are inside the 12-entry table: the winner keeps 16 units short of 1.
    expect(Array.from(kwsSoftmax(Int8Array.of(10, 0, 2, 1), q7ExpTable(0)))).toEqual([32752, 1, 11, 4]);
  });

  it('stays within 3/32768 of the float softmax of the real logits', () => {
    const random = new Random(7);
    for (const frac of [0, 2, 4, 5, 7]) {
      const table = q7ExpTable(frac);
      for (let trial = 0; trial < 200; trial++) {
        const logits = Int8Array.from({ length: 12 }, () => random.int(-128, 128));
        const real = Array.from(logits, (v) => Math.exp((v - Math.max(...logits)) / 2 ** frac));
        const total = real.reduce((a, b) => a + b, 0);
        const scores = kwsSoftmax(logits, table);
        real.forEach((value, i) => {
          expect(Math.abs(scores[i]! - (32768 * value) / total)).toBeLessThanOrEqual(3);
        });
      }
    }
  });
});

describe('Q formats', () => {
  it('frac = 7 − ceil(log2 max|v|), 7 for an all-zero tensor', () => {
    expect(fracBitsFor(1)).toBe(7);
    expect(fracBitsFor(0.3)).toBe(8);
    expect(fracBitsFor(0.5)).toBe(8);
    expect(fracBitsFor(200)).toBe(-1);
    expect(fracBitsFor(0)).toBe(7);
  });

  it('rounds weights half to even (numpy) and features half away from zero (C round)', () => {
    expect([2.5, 3.5, -2.5, -0.5, 0.5, 1.2].map(roundHalfEven)).toEqual([2, 4, -2, 0, 0, 1]);
    expect([2.5, -2.5, 0.4, -0.6].map(roundHalfAway)).toEqual([3, -3, 0, -1]);
  });

  it('saturates what rounds outside int8 and counts it (a max of exactly 2^k rounds to +128)', () => {
    const q = quantizeTensor(Float32Array.of(1, -1, 0.5, 0.25));
    expect(q.frac).toBe(7);
    expect(Array.from(q.values)).toEqual([127, -128, 64, 32]);
    expect(q.saturated).toBe(1);
    const coarse = quantizeWithFrac([300, -3.2], -1);
    expect(Array.from(coarse.values)).toEqual([127, -2]);
    expect(coarse.saturated).toBe(1);
  });

  it('percentile ranges ignore rare outliers that max ranges must cover', () => {
    const stats: PointStats = { maxAbs: 100, count: 1001, exponents: new Float64Array(100) };
    stats.exponents[0 + 40] = 1000; // 1000 values of magnitude 1 (ceil(log2 1) = 0)
    stats.exponents[7 + 40] = 1; // one of 100 (ceil(log2 100) = 7)
    expect(percentileFrac(stats, 99.9)).toBe(7);
    expect(percentileFrac(stats, 99.95)).toBe(0);
    expect(fracBitsFor(stats.maxAbs)).toBe(0);
  });
});
