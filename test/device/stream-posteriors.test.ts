/**
 * The quantised path's posterior handling in integers (IntegerPosteriors, what kws_stream.c computes):
 * the same detections as the float path wherever float rounding cannot matter, and exact where
 * it can — a score exactly at the threshold fires.
 */
import { describe, expect, it } from 'vitest';
import {
  FloatPosteriors,
  IntegerPosteriors,
  suppressionSamples,
  thresholdPpm,
  type PosteriorHandler,
  type WindowOutcome,
} from '../../src/detect/posteriors.js';
import { PROBABILITY_ONE } from '../../src/quant/softmax.js';
import { Random } from '../../src/random.js';

const TIMING = { hopSamples: 320, clipSamples: 16000, sampleRate: 16000 };
const KEYWORDS = [2, 3, 4];
const CLASSES = 5;

/** Windows of Q15 probabilities (as the classifier reports them: / 32768) through `handler`. */
function run(handler: PosteriorHandler, windows: readonly number[][]): WindowOutcome[] {
  return windows.map((probabilities, w) =>
    handler.offer(
      Float32Array.from(probabilities, (p) => p / PROBABILITY_ONE),
      0,
      w,
    ),
  );
}

/** Seeded windows that drift between labels, so that scores cross thresholds often. */
function driftingWindows(seed: number, count: number): number[][] {
  const random = new Random(seed);
  let favourite = 0;
  return Array.from({ length: count }, () => {
    if (random.next() < 0.05) favourite = random.int(0, CLASSES);
    const peak = random.int(10000, PROBABILITY_ONE + 1);
    return Array.from({ length: CLASSES }, (_, c) =>
      c === favourite ? peak : random.int(0, PROBABILITY_ONE + 1 - peak),
    );
  });
}

describe('IntegerPosteriors', () => {
  it.each([
    [20, 0, 0.8123, 0],
    [20, 200, 0.6071, 1000],
    [60, 1000, 0.4337, 700],
    [20, 1000, 0.5519, 1500],
  ])(
    'hop %i ms, average %i ms, threshold %f, suppression %i ms: the float path’s detections',
    (hopMs, averageWindowMs, threshold, suppressionMs) => {
      const settings = { hopMs, averageWindowMs, threshold, suppressionMs };
      const timing = { ...TIMING, hopSamples: (hopMs * 16000) / 1000 };
      const windows = driftingWindows(hopMs + averageWindowMs, 3000);
      const integer = run(new IntegerPosteriors(CLASSES, KEYWORDS, timing, settings), windows);
      const float = run(new FloatPosteriors(CLASSES, KEYWORDS, timing, settings), windows);
      expect(integer.filter((o) => o.fires).length).toBeGreaterThan(10);
      expect(integer.map((o) => [o.fires, o.keyword])).toEqual(float.map((o) => [o.fires, o.keyword]));
      integer.forEach((o, i) => {
        expect(o.timeS).toBeCloseTo(float[i]!.timeS, 12);
        expect(o.score).toBeCloseTo(float[i]!.score, 6);
      });
    },
  );

  it('fires at exactly the threshold, where the float32 mean falls just below it', () => {
    // 5 windows of 80 ms averaging; 147456 / (32768 · 5) is 0.9 exactly, but float32(0.9) < 0.9.
    const settings = { hopMs: 20, averageWindowMs: 80, threshold: 0.9, suppressionMs: 0 };
    const windows = [29000, 29614, 29614, 29614, 29614].map((p) => [0, 0, p, 32767 - p, 0]);
    const integer = run(new IntegerPosteriors(CLASSES, KEYWORDS, TIMING, settings), windows);
    expect(integer.map((o) => o.fires)).toEqual([false, false, false, false, true]);
    expect(integer[4]!.score).toBe(0.9);
    const float = run(new FloatPosteriors(CLASSES, KEYWORDS, TIMING, settings), windows);
    expect(float[4]!.fires).toBe(false);
  });

  it('averages over the windows so far at the start, takes the first keyword on a tie, times windows by their end', () => {
    const settings = { hopMs: 20, averageWindowMs: 1000, threshold: 0.3, suppressionMs: 0 };
    const outcomes = run(new IntegerPosteriors(CLASSES, KEYWORDS, TIMING, settings), [
      [0, 0, 0, 0, 25600],
      [0, 0, 12800, 12800, 0],
      [0, 0, 12800, 12800, 0],
    ]);
    expect(outcomes).toEqual([
      { keyword: 4, score: 25600 / 32768, timeS: 1, fires: true },
      { keyword: 4, score: 25600 / 65536, timeS: 1.02, fires: true },
      { keyword: 2, score: 25600 / 98304, timeS: 1.04, fires: false },
    ]);
  });

  it('suppresses by samples between window ends: one interval later fires again', () => {
    const settings = { hopMs: 20, averageWindowMs: 0, threshold: 0.5, suppressionMs: 100 };
    const outcomes = run(
      new IntegerPosteriors(CLASSES, KEYWORDS, TIMING, settings),
      Array.from({ length: 12 }, () => [0, 0, 0, PROBABILITY_ONE, 0]),
    );
    expect(outcomes.flatMap((o, w) => (o.fires ? [w] : []))).toEqual([0, 5, 10]);
  });

  it('resolves thresholds up to 1 in steps of 1/32768: 0.99995 fires at 32767, 0.99999 and 1 only at 32768', () => {
    const settings = { hopMs: 20, averageWindowMs: 0, suppressionMs: 0 };
    const fires = (threshold: number, probability: number) =>
      run(new IntegerPosteriors(CLASSES, KEYWORDS, TIMING, { ...settings, threshold }), [[0, 0, 0, probability, 0]])[0]!
        .fires;
    expect(fires(0.99995, 32767)).toBe(true);
    expect(fires(0.99999, 32767)).toBe(false);
    expect(fires(0.99999, 32768)).toBe(true);
    expect(fires(1, 32768)).toBe(true);
  });

  it('takes thresholds in millionths and suppression in whole samples', () => {
    expect(thresholdPpm(0.9)).toBe(900000);
    expect(thresholdPpm(0.123456)).toBe(123456);
    expect(thresholdPpm(0.99999)).toBe(999990);
    expect(thresholdPpm(1)).toBe(1000000);
    expect(suppressionSamples(1500, 16000)).toBe(24000);
    expect(suppressionSamples(0, 16000)).toBe(0);
    expect(suppressionSamples(700.01, 16000)).toBe(11201);
    expect(suppressionSamples(1000 / 3, 16000)).toBe(5334);
  });
});
