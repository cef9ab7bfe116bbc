/**
 * Formats for the recurrent networks' calibration points (ir.ts), from the float network's values
 * on a calibration set, as power-of-two ranges like the q7 path (../calibrate.ts):
 *   q15 points (inside the cells) always take the range of their largest value — 16 bits leave
 *   room enough that clipping outliers buys nothing;
 *   q7 points (input, conv, head) take `max`, `percentile`, or `search`: greedy from the input,
 *   each point tries ranges around its max and keeps the one whose bit-exact integer network is
 *   closest to the float model on the calibration set (ties keep the earlier candidate, the max
 *   range first). Closest, not most accurate: these small models fit their training split almost
 *   perfectly, so the split's accuracy barely tells candidates apart (quantize.ts scores them).
 */
import { UsageError } from '../../errors.js';
import type { RangeMethod } from '../calibrate.js';
import type { RecurrentFloatForward } from './float-network.js';
import { type PointSpec, Q15_FRAC, recurrentPoints } from './ir.js';

export interface RecurrentPointStats {
  maxAbs: number;
  count: number;
  /** Values per ceil(log2 |v|), enough to place any power-of-two percentile exactly. */
  exponents: Map<number, number>;
}

/** One float pass over the calibration set, every step of every point. */
export function collectRecurrentStats(forward: RecurrentFloatForward, x: Float32Array): RecurrentPointStats[] {
  const points = recurrentPoints(forward.network).length;
  const stats = Array.from({ length: points }, () => ({ maxAbs: 0, count: 0, exponents: new Map<number, number>() }));
  const inputSize = forward.network.frames * forward.network.coefficients;
  for (let offset = 0; offset < x.length; offset += inputSize) {
    forward.run(x.subarray(offset, offset + inputSize), (point, values, length) => {
      const s = stats[point]!;
      s.count += length;
      for (let i = 0; i < length; i++) {
        const a = Math.abs(values[i]!);
        if (a > s.maxAbs) s.maxAbs = a;
        if (a > 0) {
          const e = Math.ceil(Math.log2(a));
          s.exponents.set(e, (s.exponents.get(e) ?? 0) + 1);
        }
      }
    });
  }
  return stats;
}

/** Integer bits of the value type: 7 for q7, 15 for q15. */
function valueBits(type: PointSpec['type']): number {
  return type === 'q7' ? 7 : Q15_FRAC;
}

/** The finest format holding |v| ≤ maxAbs: `bits − ceil(log2 maxAbs)` (all bits fractional for zero). */
export function fracForMax(maxAbs: number, type: PointSpec['type']): number {
  const bits = valueBits(type);
  return maxAbs > 0 && Number.isFinite(maxAbs) ? bits - Math.ceil(Math.log2(maxAbs)) : bits;
}

/** The finest format that at most (100 − percentile) % of the values exceed. */
export function percentileFrac(stats: RecurrentPointStats, percentile: number, type: PointSpec['type']): number {
  const allowed = ((100 - percentile) / 100) * stats.count;
  const exponents = [...stats.exponents.keys()].sort((a, b) => b - a);
  let above = 0;
  for (const e of exponents) {
    // Values with exponent e exceed 2^(e − 1): a range of 2^(e − 1) clips them all.
    const count = stats.exponents.get(e)!;
    if (above + count > allowed) return valueBits(type) - e;
    above += count;
  }
  return fracForMax(stats.maxAbs, type);
}

/** The first choice of every point: `max` or `percentile` for the q7 points, max for the q15 ones. */
export function initialFracs(
  points: readonly PointSpec[],
  stats: readonly RecurrentPointStats[],
  method: RangeMethod,
  percentile = 99.99,
): number[] {
  if (method === 'percentile' && !(percentile > 0 && percentile <= 100))
    throw new UsageError(`--percentile must be in (0, 100] (got ${percentile})`);
  return points.map((point, i) =>
    point.type === 'q7' && method === 'percentile'
      ? percentileFrac(stats[i]!, percentile, point.type)
      : fracForMax(stats[i]!.maxAbs, point.type),
  );
}

/** Ranges tried per q7 point in `search`, relative to its max range: 4× wider … 8× narrower. */
const SEARCH_OFFSETS = [0, -1, 1, 2, 3];

/** Greedy search over the q7 points, in order; `score(fracs)` rates the network those formats give (higher is better). */
export function searchFracs(
  points: readonly PointSpec[],
  start: readonly number[],
  score: (fracs: readonly number[]) => number,
  onProgress?: (done: number, total: number) => void,
): number[] {
  const chosen = [...start];
  const searched = points.flatMap((point, i) => (point.type === 'q7' ? [i] : []));
  const total = searched.length * SEARCH_OFFSETS.length;
  let done = 0;
  for (const point of searched) {
    const base = start[point]!;
    let best = base;
    let bestScore = -Infinity;
    for (const offset of SEARCH_OFFSETS) {
      chosen[point] = base + offset;
      const candidate = score(chosen);
      if (candidate > bestScore) {
        bestScore = candidate;
        best = base + offset;
      }
      onProgress?.(++done, total);
    }
    chosen[point] = best;
  }
  return chosen;
}
