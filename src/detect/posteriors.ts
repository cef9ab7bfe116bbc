/**
 * Posterior handling after the classifier, as tflite-micro's RecognizeCommands does it (ARM's
 * device code is the same idea with a fixed count of 3 inferences):
 * - smoothing: the score of a window is the mean of the class scores of every window whose end
 *   lies in [t − averageWindow, t] (tflite-micro keeps results with time ≥ now − window), so
 *   1000 ms at a 20 ms hop averages 51 windows, and 0 ms means no smoothing;
 * - candidate: the keyword (never `_silence_` or `_unknown_`) with the highest smoothed score;
 *   for thresholds ≥ 0.5 this is ARM's "top class, if a keyword, above the threshold";
 * - gate: the candidate fires when its score ≥ threshold and no detection of any label happened
 *   in the last suppression interval (t − last < suppression blocks it).
 */
import { SILENCE_LABEL, UNKNOWN_LABEL } from '../data/dataset-index.js';

export interface PosteriorSettings {
  /** How far the window moves per inference; default the model's feature stride (every new frame). */
  hopMs?: number;
  averageWindowMs: number;
  threshold: number;
  suppressionMs: number;
}

export const DEFAULT_POSTERIOR_SETTINGS: Readonly<Required<Omit<PosteriorSettings, 'hopMs'>>> = Object.freeze({
  averageWindowMs: 1000,
  threshold: 0.9,
  suppressionMs: 1500,
});

export interface Detection {
  /** When it fires: the end of the window, in seconds from the start of the stream. */
  timeS: number;
  label: string;
  /** The smoothed score that crossed the threshold. */
  score: number;
}

/** Label indices that may fire: everything but `_silence_` and `_unknown_`. */
export function keywordIndices(labels: readonly string[]): number[] {
  return labels.flatMap((label, index) => (label === SILENCE_LABEL || label === UNKNOWN_LABEL ? [] : [index]));
}

/** Windows averaged at a full history: those ending within `averageWindowMs` (inclusive) of the newest. */
export function windowsAveraged(averageWindowMs: number, hopMs: number): number {
  // The small epsilon keeps 1000/20 at 50 despite binary fractions.
  return Math.floor(averageWindowMs / hopMs + 1e-9) + 1;
}

/** Running mean of the last `count` score vectors (fewer at the start of a stream). */
export class PosteriorSmoother {
  private readonly history: Float32Array;
  private readonly sums: Float64Array;
  private readonly mean: Float32Array;
  private filled = 0;
  private next = 0;

  constructor(
    private readonly classes: number,
    private readonly count: number,
  ) {
    if (!Number.isInteger(count) || count < 1)
      throw new RangeError(`PosteriorSmoother: count must be a whole number ≥ 1 (got ${count})`);
    this.history = new Float32Array(classes * count);
    this.sums = new Float64Array(classes);
    this.mean = new Float32Array(classes);
  }

  /** Adds one window's scores (`scores[offset … offset + classes)`); returns the smoothed scores (reused array). */
  add(scores: Float32Array, offset = 0): Float32Array {
    const { classes, history, sums } = this;
    const slot = this.next * classes;
    const full = this.filled === this.count;
    for (let c = 0; c < classes; c++) {
      const value = scores[offset + c]!;
      if (full) sums[c]! -= history[slot + c]!;
      sums[c]! += value;
      history[slot + c] = value;
    }
    if (!full) this.filled++;
    this.next = (this.next + 1) % this.count;
    for (let c = 0; c < classes; c++) this.mean[c] = sums[c]! / this.filled;
    return this.mean;
  }
}

/** Threshold plus suppression over a sequence of (time, candidate) in time order. */
export class DetectionGate {
  private lastFired = -Infinity;

  constructor(
    private readonly threshold: number,
    private readonly suppressionS: number,
  ) {}

  /** True when the candidate fires now. */
  offer(timeS: number, score: number): boolean {
    // The epsilon keeps a detection exactly one suppression interval later from being lost to rounding.
    if (score < this.threshold || timeS - this.lastFired < this.suppressionS - 1e-9) return false;
    this.lastFired = timeS;
    return true;
  }
}

/** The best keyword of one smoothed score vector: its label index and score. */
export function bestKeyword(
  smoothed: ArrayLike<number>,
  keywords: readonly number[],
): { index: number; score: number } {
  let index = keywords[0]!;
  let score = -Infinity;
  for (const k of keywords) {
    if (smoothed[k]! > score) {
      score = smoothed[k]!;
      index = k;
    }
  }
  return { index, score };
}
