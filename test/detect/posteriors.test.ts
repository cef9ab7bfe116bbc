import { describe, expect, it } from 'vitest';
import {
  DetectionGate,
  PosteriorSmoother,
  bestKeyword,
  keywordIndices,
  windowsAveraged,
} from '../../src/detect/posteriors.js';

describe('posterior smoothing (tflite-micro RecognizeCommands semantics)', () => {
  it('averages the windows ending within the averaging window, inclusive of both ends', () => {
    expect(windowsAveraged(1000, 20)).toBe(51);
    expect(windowsAveraged(60, 20)).toBe(4);
    expect(windowsAveraged(59, 20)).toBe(3);
    expect(windowsAveraged(0, 20)).toBe(1);
    expect(windowsAveraged(300, 100)).toBe(4);
  });

  it('is the mean of the last n score vectors, of fewer at the start', () => {
    const smoother = new PosteriorSmoother(2, 3);
    const means = [
      [1, 0],
      [0, 1],
      [1, 1],
      [0, 0],
      [0, 0],
      [0, 0],
    ].map((row) => Array.from(smoother.add(Float32Array.from(row))));
    expect(means[0]).toEqual([1, 0]);
    expect(means[1]).toEqual([0.5, 0.5]);
    expect(means[2]!.map((v) => v * 3)).toEqual([2, 2].map((v) => expect.closeTo(v, 6)));
    expect(means[3]!.map((v) => v * 3)).toEqual([1, 2].map((v) => expect.closeTo(v, 6)));
    expect(means[4]!.map((v) => v * 3)).toEqual([1, 1].map((v) => expect.closeTo(v, 6)));
    expect(means[5]).toEqual([0, 0]);
  });

  it('reads a row out of a batch at an offset', () => {
    const smoother = new PosteriorSmoother(3, 1);
    expect(Array.from(smoother.add(Float32Array.from([9, 9, 9, 0.25, 0.5, 0.25]), 3))).toEqual([0.25, 0.5, 0.25]);
  });
});

describe('detection gate', () => {
  it('fires at or above the threshold only', () => {
    const gate = new DetectionGate(0.9, 0);
    expect([0.89, 0.9, 0.95].map((score, i) => gate.offer(i, score))).toEqual([false, true, true]);
  });

  it('lets at most one detection through per suppression interval, whatever the label', () => {
    const gate = new DetectionGate(0.5, 1.5);
    const times = [0, 0.5, 1.0, 1.48, 1.5, 2.0, 2.99, 3.0, 4.6];
    const fired = times.filter((t) => gate.offer(t, 1));
    expect(fired).toEqual([0, 1.5, 3.0, 4.6]);
  });

  it('an interval of 0.02 s steps lands exactly on the suppression time despite rounding', () => {
    const gate = new DetectionGate(0.5, 1.5);
    const fired: number[] = [];
    for (let k = 0; k < 200; k++) {
      const t = 1 + k * 0.02;
      if (gate.offer(t, 1)) fired.push(k);
    }
    expect(fired).toEqual([0, 75, 150]);
  });
});

describe('keywords', () => {
  it('never include _silence_ or _unknown_', () => {
    const labels = ['_silence_', '_unknown_', 'yes', 'no'];
    expect(keywordIndices(labels)).toEqual([2, 3]);
    // _unknown_ has the highest score, yet only a keyword can be the candidate.
    expect(bestKeyword([0.05, 0.8, 0.05, 0.1], keywordIndices(labels))).toEqual({
      index: 3,
      score: expect.closeTo(0.1, 9),
    });
  });
});
