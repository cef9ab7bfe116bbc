/**
 * Activation ranges at ARM's quantisation points (see float-network.ts) from a calibration set,
 * as power-of-two formats, by one of:
 *   max         the largest |activation| seen (ARM's rule for weights, applied to activations);
 *   percentile  the smallest power of two that at most (100 − p) % of the values exceed;
 *   search      greedy from the input, as ARM's users tuned `--act_max` by hand: each point tries
 *               ranges around its max and keeps the one with the best fake-quantised accuracy,
 *               later points still in float;
 * or ARM's own `--act_max` list (0 = leave that point in float in the fake-quant evaluation).
 */
import { KwsError, UsageError } from '../errors.js';
import { argmax } from '../metrics.js';
import { type FloatForward, forwardPredictions, pointNames } from './float-network.js';
import { fracBitsFor } from './qformat.js';

export interface CalibrationSet {
  /** Frame-major float features, one row of frames × coefficients per example. */
  x: Float32Array;
  /** Label index per example. */
  y: Int32Array;
}

export type RangeMethod = 'max' | 'percentile' | 'search';

/** The number of examples of a calibration set for a network of `inputSize` inputs; throws if empty or misshapen. */
export function calibrationExamples(calibration: CalibrationSet, inputSize: number): number {
  const examples = calibration.y.length;
  if (examples === 0) throw new KwsError('the calibration set is empty');
  if (calibration.x.length !== examples * inputSize) {
    throw new KwsError(
      `calibration features hold ${calibration.x.length} values; ${examples} examples need ${examples * inputSize}`,
    );
  }
  return examples;
}

/** Values per power-of-two bucket: bucket b holds |v| in (2^(b−1+MIN_EXPONENT), 2^(b+MIN_EXPONENT)]. */
const MIN_EXPONENT = -40;
const BUCKETS = 100;

export interface PointStats {
  maxAbs: number;
  count: number;
  /** Histogram of ceil(log2 |v|), enough to place any power-of-two percentile exactly. */
  exponents: Float64Array;
}

function exponentBucket(a: number): number {
  if (a === 0) return 0;
  const e = Math.ceil(Math.log2(a)) - MIN_EXPONENT;
  return e < 0 ? 0 : e >= BUCKETS ? BUCKETS - 1 : e;
}

/** One float pass over the calibration set recording every point. */
export function collectPointStats(forward: FloatForward, x: Float32Array): PointStats[] {
  const points = pointNames(forward.network).length;
  const stats = Array.from({ length: points }, () => ({ maxAbs: 0, count: 0, exponents: new Float64Array(BUCKETS) }));
  const inputSize = forward.network.frames * forward.network.coefficients;
  for (let offset = 0; offset < x.length; offset += inputSize) {
    forward.run(x.subarray(offset, offset + inputSize), {
      record(point, values, length) {
        const s = stats[point]!;
        s.count += length;
        for (let i = 0; i < length; i++) {
          const a = Math.abs(values[i]!);
          if (a > s.maxAbs) s.maxAbs = a;
          s.exponents[exponentBucket(a)]!++;
        }
      },
    });
  }
  return stats;
}

/** Fractional bits whose range 2^(7−frac) at most (100 − percentile) % of the values exceed. */
export function percentileFrac(stats: PointStats, percentile: number): number {
  const allowed = ((100 - percentile) / 100) * stats.count;
  let above = 0;
  for (let b = BUCKETS - 1; b > 0; b--) {
    // Values in bucket b exceed 2^(b − 1 + MIN_EXPONENT); stop before that is too many.
    if (above + stats.exponents[b]! > allowed) return fracBitsFor(2 ** (b + MIN_EXPONENT));
    above += stats.exponents[b]!;
  }
  return fracBitsFor(stats.maxAbs);
}

export function accuracyOf(forward: FloatForward, set: CalibrationSet, fracs: ReadonlyArray<number | null>): number {
  const predictions = forwardPredictions(forward, set.x, { fracs });
  const correct = predictions.reduce((right, predicted, n) => right + (predicted === set.y[n] ? 1 : 0), 0);
  return set.y.length === 0 ? 0 : correct / set.y.length;
}

/** Ranges tried per point in `search`, relative to its max range: 4× wider … 8× narrower. */
const SEARCH_OFFSETS = [0, -1, 1, 2, 3];

/**
 * Greedy per-point search. Point k's candidates are evaluated with points < k fixed and > k in
 * float; the values at point k − 1 are cached so each candidate only runs the rest of the network.
 * Ties keep the earlier candidate (the max range first).
 */
export function searchFracs(
  forward: FloatForward,
  set: CalibrationSet,
  stats: PointStats[],
  onProgress?: (done: number, total: number) => void,
): number[] {
  const points = stats.length;
  const inputSize = forward.network.frames * forward.network.coefficients;
  const examples = set.y.length;
  const chosen: Array<number | null> = new Array<number | null>(points).fill(null);
  let cache = set.x;
  let cacheSize = inputSize;
  for (let point = 0; point < points; point++) {
    const base = fracBitsFor(stats[point]!.maxAbs);
    let best = base;
    let bestAccuracy = -1;
    for (const offset of SEARCH_OFFSETS) {
      chosen[point] = base + offset;
      let correct = 0;
      for (let n = 0; n < examples; n++) {
        const input = cache.subarray(n * cacheSize, (n + 1) * cacheSize);
        const logits =
          point === 0
            ? forward.run(input, { fracs: chosen })
            : forward.run(input, { fracs: chosen, startPoint: point - 1 });
        if (argmax(logits) === set.y[n]) correct++;
      }
      if (correct > bestAccuracy) {
        bestAccuracy = correct;
        best = base + offset;
      }
      onProgress?.(point * SEARCH_OFFSETS.length + SEARCH_OFFSETS.indexOf(offset) + 1, points * SEARCH_OFFSETS.length);
    }
    chosen[point] = best;
    if (point + 1 < points) ({ cache, cacheSize } = advanceCache(forward, cache, cacheSize, examples, point, chosen));
  }
  return chosen as number[];
}

/** Values at `point` (fake-quantised) for every example, from the values at `point − 1`. */
function advanceCache(
  forward: FloatForward,
  cache: Float32Array,
  cacheSize: number,
  examples: number,
  point: number,
  fracs: ReadonlyArray<number | null>,
): { cache: Float32Array; cacheSize: number } {
  let next: Float32Array | undefined;
  let nextSize = 0;
  for (let n = 0; n < examples; n++) {
    const input = cache.subarray(n * cacheSize, (n + 1) * cacheSize);
    forward.run(input, {
      fracs,
      startPoint: point === 0 ? 0 : point - 1,
      endPoint: point,
      record(visited, values, length) {
        if (visited !== point) return;
        if (!next) {
          nextSize = length;
          next = new Float32Array(examples * length);
        }
        next.set(values.subarray(0, length), n * nextSize);
      },
    });
  }
  return { cache: next!, cacheSize: nextSize };
}

/** ARM's `--act_max` list → per-point fractional bits (null = float), checking its length. */
export function fracsFromActMax(actMax: readonly number[], names: readonly string[]): Array<number | null> {
  if (actMax.length !== names.length) {
    throw new UsageError(
      `--act-max needs ${names.length} values for this model (${names.join(', ')}); got ${actMax.length}`,
    );
  }
  return actMax.map((a, i) => {
    if (!Number.isFinite(a) || a < 0)
      throw new UsageError(`--act-max values must be 0 or positive (got ${a} for ${names[i]})`);
    return a === 0 ? null : fracBitsFor(a);
  });
}

export interface RangeChoice {
  /** Fractional bits per point for the integer network. */
  fracs: number[];
  /** Per point for ARM's fake-quantised evaluation (null = float; only with `--act-max` 0). */
  fakeQuantFracs: Array<number | null>;
  /** Decisions worth telling the user. */
  notes: string[];
}

export function chooseRanges(
  forward: FloatForward,
  set: CalibrationSet,
  stats: PointStats[],
  options: {
    method: RangeMethod;
    percentile?: number;
    actMax?: readonly number[];
    /** Ranges learned by quantisation-aware training, one per point (override `method`). */
    learnedRanges?: readonly number[];
    onSearchProgress?: (done: number, total: number) => void;
  },
): RangeChoice {
  const names = pointNames(forward.network);
  const maxFracs = stats.map((s) => fracBitsFor(s.maxAbs));
  if (options.learnedRanges) {
    if (options.learnedRanges.length !== names.length)
      throw new KwsError(
        `the checkpoint has ${options.learnedRanges.length} learned ranges; this model has ${names.length} points`,
      );
    const fracs = options.learnedRanges.map(fracBitsFor);
    return { fracs, fakeQuantFracs: [...fracs], notes: [] };
  }
  if (options.actMax) {
    const fakeQuantFracs = fracsFromActMax(options.actMax, names);
    const notes: string[] = [];
    const fracs = fakeQuantFracs.map((frac, i) => {
      const a = options.actMax![i]!;
      if (frac === null) {
        notes.push(
          `${names[i]}: --act-max 0 keeps it float in the fake-quant evaluation; the integer network uses its calibrated max range ${2 ** (7 - maxFracs[i]!)}`,
        );
        return maxFracs[i]!;
      }
      if (2 ** (7 - frac) !== a)
        notes.push(`${names[i]}: --act-max ${a} is not a power of two; using ${2 ** (7 - frac)}`);
      return frac;
    });
    return { fracs, fakeQuantFracs, notes };
  }
  let fracs: number[];
  switch (options.method) {
    case 'max':
      fracs = maxFracs;
      break;
    case 'percentile': {
      const p = options.percentile ?? 99.99;
      if (!(p > 0 && p <= 100)) throw new UsageError(`--percentile must be in (0, 100] (got ${p})`);
      fracs = stats.map((s) => percentileFrac(s, p));
      break;
    }
    case 'search':
      fracs = searchFracs(forward, set, stats, options.onSearchProgress);
      break;
  }
  return { fracs, fakeQuantFracs: [...fracs], notes: [] };
}
