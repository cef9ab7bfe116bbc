import { describe, expect, it } from 'vitest';
import { comparePaired, newcombePairedInterval, wilsonInterval } from '../../src/eval/paired.js';
import { Random } from '../../src/random.js';

const Z = 1.959963984540054;

describe('wilsonInterval', () => {
  it('has the closed forms at the ends: [0, z²/(n + z²)] for no success', () => {
    const [low, high] = wilsonInterval(0, 10);
    expect(low).toBe(0);
    expect(high).toBeCloseTo((Z * Z) / (10 + Z * Z), 12);
    const [allLow, allHigh] = wilsonInterval(10, 10);
    expect(allLow).toBeCloseTo(10 / (10 + Z * Z), 12);
    expect(allHigh).toBeCloseTo(1, 12);
  });
});

describe('comparePaired', () => {
  it('counts the clips only one classifier gets right', () => {
    const truth = [0, 1, 2, 0, 1, 2, 0];
    const int8 = [0, 1, 2, 1, 1, 0, 2];
    const float = [0, 1, 0, 0, 2, 0, 2];
    const paired = comparePaired(truth, int8, float);
    expect(paired).toMatchObject({ n: 7, firstOnlyRight: 2, secondOnlyRight: 1 });
    expect(paired.difference).toBeCloseTo(1 / 7, 12);
    expect(paired.interval[0]).toBeLessThan(paired.difference);
    expect(paired.interval[1]).toBeGreaterThan(paired.difference);
    expect(() => comparePaired(truth, int8, float.slice(1))).toThrow(/7 labels, 7 and 6 predictions/);
  });

  it('still leaves about ±3/n when both classifiers agree on every clip (none seen is not none)', () => {
    const [low, high] = newcombePairedInterval(300, 0, 0, 29);
    expect(low).toBeLessThan(0);
    expect(high).toBeGreaterThan(0);
    // The rule of three: no event in n trials bounds its rate by about 3/n (0.91 points here).
    for (const bound of [-low, high]) {
      expect(bound).toBeGreaterThan(0.7 * (3 / 329));
      expect(bound).toBeLessThan(1.1 * (3 / 329));
    }
  });

  it('approaches the normal interval of paired differences on many clips', () => {
    // n = 100,000: both right 85%, first only 4%, second only 6%, both wrong 5%.
    const [a, b, c, d] = [85_000, 4_000, 6_000, 5_000];
    const n = a + b + c + d;
    const difference = (b - c) / n;
    const standardError = Math.sqrt(b + c - (b - c) ** 2 / n) / n;
    const [low, high] = newcombePairedInterval(a, b, c, d);
    expect(low).toBeCloseTo(difference - Z * standardError, 4);
    expect(high).toBeCloseTo(difference + Z * standardError, 4);
  });

  it('covers the true difference about 95% of the time on a test set of 329 clips', () => {
    // Cells as an int8 network beside its float model: both right 86%, int8 only 3%, float only 5%.
    const cells = [0.86, 0.03, 0.05, 0.06];
    const truthDifference = cells[1]! - cells[2]!;
    const random = new Random(17);
    const trials = 2000;
    let covered = 0;
    for (let trial = 0; trial < trials; trial++) {
      const counts = [0, 0, 0, 0];
      for (let clip = 0; clip < 329; clip++) {
        const u = random.next();
        counts[u < cells[0]! ? 0 : u < cells[0]! + cells[1]! ? 1 : u < 1 - cells[3]! ? 2 : 3]!++;
      }
      const [low, high] = newcombePairedInterval(counts[0]!, counts[1]!, counts[2]!, counts[3]!);
      if (low <= truthDifference && truthDifference <= high) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.93);
    expect(covered / trials).toBeLessThan(0.975);
  });
});
