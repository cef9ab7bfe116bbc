/**
 * Asymmetric activation ranges at the quantisation points (see float-network.ts) for the s8
 * target, by the same three methods as the q7 target:
 *   max         the smallest and largest value seen;
 *   percentile  per side, the value beyond which at most (100 − p) % of the point's values lie
 *               (from a histogram with 16 buckets per octave, so at most 6.25 % above the exact one);
 *   search      greedy from the input on the integer network itself: each point tries its max
 *               range scaled by 1, 0.75, 0.5, 0.35 and 0.25 (earlier points as chosen, later ones
 *               at their max ranges) and keeps the one with the most correct calibration clips;
 *               each candidate reruns only the layers from that point on, from cached int8 values.
 */
import { UsageError } from '../../errors.js';
import { argmax } from '../../metrics.js';
import type { CalibrationSet, RangeMethod } from '../calibrate.js';
import { type FloatForward, type FloatNetwork, pointNames } from '../float-network.js';
import { type ActivationRange, type S8BuildOptions, buildS8Network } from './build.js';
import { s8InputSize, s8OutputSize } from './ir.js';
import { quantizeFeaturesAffine } from '../../features/quantize.js';
import { createS8Simulator } from './simulate.js';

/** Buckets by a float32's exponent and top four mantissa bits: 16 per octave, [2^e · (1 + k/16), 2^e · (1 + (k+1)/16)). */
const BUCKETS = 1 << 12;
const MAGNITUDE_BITS = 0x7fffffff;
const BUCKET_SHIFT = 19;

export interface RangeStats {
  min: number;
  max: number;
  count: number;
  /** Histograms of |v| for the positive and the negative values (bucket b ends at bucketEnd(b)). */
  positive: Float64Array;
  negative: Float64Array;
}

function bucketEnd(bucket: number): number {
  const exponent = bucket >> 4;
  return 2 ** (exponent - 127) * (1 + ((bucket & 15) + 1) / 16);
}

/** One float pass over the calibration set recording every point. */
export function collectRangeStats(forward: FloatForward, x: Float32Array): RangeStats[] {
  const stats = pointNames(forward.network).map(() => ({
    min: Infinity,
    max: -Infinity,
    count: 0,
    positive: new Float64Array(BUCKETS),
    negative: new Float64Array(BUCKETS),
  }));
  const inputSize = forward.network.frames * forward.network.coefficients;
  for (let offset = 0; offset < x.length; offset += inputSize) {
    forward.run(x.subarray(offset, offset + inputSize), {
      record(point, values, length) {
        const s = stats[point]!;
        const bits = new Int32Array(values.buffer, values.byteOffset, length);
        s.count += length;
        for (let i = 0; i < length; i++) {
          const v = values[i]!;
          if (v < s.min) s.min = v;
          if (v > s.max) s.max = v;
          if (v > 0) s.positive[bits[i]! >>> BUCKET_SHIFT]!++;
          else if (v < 0) s.negative[(bits[i]! & MAGNITUDE_BITS) >>> BUCKET_SHIFT]!++;
        }
      },
    });
  }
  return stats;
}

export function maxRange(stats: RangeStats): ActivationRange {
  return { min: stats.min, max: stats.max };
}

/** The magnitude on one side beyond which at most `allowed` values lie (bucket ends, capped by the extreme). */
function tail(histogram: Float64Array, extreme: number, allowed: number): number {
  let beyond = 0;
  for (let b = BUCKETS - 1; b >= 0; b--) {
    if (beyond + histogram[b]! > allowed) return Math.min(bucketEnd(b), extreme);
    beyond += histogram[b]!;
  }
  return 0;
}

export function percentileRange(stats: RangeStats, percentile: number): ActivationRange {
  const allowed = ((100 - percentile) / 100) * stats.count;
  return {
    min: -tail(stats.negative, -Math.min(stats.min, 0), allowed),
    max: tail(stats.positive, Math.max(stats.max, 0), allowed),
  };
}

/** Candidate ranges in `search`, as fractions of a point's max range; ties keep the earlier (wider). */
const SEARCH_FACTORS = [1, 0.75, 0.5, 0.35, 0.25];

const scaled = (range: ActivationRange, factor: number): ActivationRange => ({
  min: range.min * factor,
  max: range.max * factor,
});

/** Correct predictions of the integer network from `point`'s layer on: `cache` holds the values entering it. */
function countCorrect(
  float: FloatNetwork,
  ranges: readonly ActivationRange[],
  options: S8BuildOptions,
  set: CalibrationSet,
  point: number,
  cache: Int8Array,
): number {
  const simulator = createS8Simulator(buildS8Network(float, ranges, options).network);
  const { network } = simulator;
  const inputSize = network.frames * network.coefficients;
  const input = new Int8Array(inputSize);
  const rowSize = point === 0 ? inputSize : s8InputSize(network.layers[point - 1]!);
  let correct = 0;
  for (let n = 0; n < set.y.length; n++) {
    const logits =
      point === 0
        ? simulator.run(
            quantizeFeaturesAffine(
              set.x.subarray(n * rowSize, (n + 1) * rowSize),
              network.inputScale,
              network.inputZeroPoint,
              input,
            ),
          )
        : simulator.runLayers(cache.subarray(n * rowSize, (n + 1) * rowSize), point - 1, network.layers.length);
    if (argmax(logits, 0, network.labels.length) === set.y[n]) correct++;
  }
  return correct;
}

/** The int8 values at `point` for every example, from those at `point − 1` (from the features for point 0). */
function advance(
  float: FloatNetwork,
  ranges: readonly ActivationRange[],
  options: S8BuildOptions,
  set: CalibrationSet,
  point: number,
  cache: Int8Array,
): Int8Array {
  const { network } = buildS8Network(float, ranges, options);
  if (point === 0) return quantizeFeaturesAffine(set.x, network.inputScale, network.inputZeroPoint);
  const simulator = createS8Simulator(network);
  const layer = network.layers[point - 1]!;
  const inSize = s8InputSize(layer);
  const outSize = s8OutputSize(layer);
  const next = new Int8Array(set.y.length * outSize);
  for (let n = 0; n < set.y.length; n++) {
    const values = simulator.runLayers(cache.subarray(n * inSize, (n + 1) * inSize), point - 1, point);
    next.set(values.subarray(0, outSize), n * outSize);
  }
  return next;
}

/** Greedy search (see the file comment), starting from and scaling `base` (the max ranges). */
export function searchRanges(
  float: FloatNetwork,
  set: CalibrationSet,
  base: readonly ActivationRange[],
  options: S8BuildOptions = {},
  onProgress?: (done: number, total: number) => void,
): ActivationRange[] {
  const chosen = [...base];
  // A pool's point keeps its input's quantisation: nothing to choose there.
  const kinds = float.layers.filter((l) => l.kind !== 'relu').map((l) => l.kind);
  const inherited = base.map((_, point) => point > 0 && kinds[point - 1] === 'avgpool');
  const total = inherited.filter((i) => !i).length * SEARCH_FACTORS.length;
  let done = 0;
  let cache: Int8Array = new Int8Array(0);
  for (let point = 0; point < base.length; point++) {
    if (!inherited[point]) {
      let best = SEARCH_FACTORS[0]!;
      let bestCorrect = -1;
      for (const factor of SEARCH_FACTORS) {
        chosen[point] = scaled(base[point]!, factor);
        const correct = countCorrect(float, chosen, options, set, point, cache);
        if (correct > bestCorrect) {
          bestCorrect = correct;
          best = factor;
        }
        onProgress?.(++done, total);
      }
      chosen[point] = scaled(base[point]!, best);
    }
    if (point + 1 < base.length) cache = advance(float, chosen, options, set, point, cache);
  }
  return chosen;
}

export interface RangeChoiceOptions {
  method: RangeMethod;
  /** For `percentile` (default 99.99). */
  percentile?: number;
  build?: S8BuildOptions;
  onSearchProgress?: (done: number, total: number) => void;
}

/** One range per point by `method`. */
export function chooseS8Ranges(
  float: FloatNetwork,
  set: CalibrationSet,
  stats: readonly RangeStats[],
  options: RangeChoiceOptions,
): ActivationRange[] {
  switch (options.method) {
    case 'max':
      return stats.map(maxRange);
    case 'percentile': {
      const p = options.percentile ?? 99.99;
      if (!(p > 0 && p <= 100)) throw new UsageError(`--percentile must be in (0, 100] (got ${p})`);
      return stats.map((s) => percentileRange(s, p));
    }
    case 'search':
      return searchRanges(float, set, stats.map(maxRange), options.build, options.onSearchProgress);
  }
}
