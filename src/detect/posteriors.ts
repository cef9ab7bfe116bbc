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
 * Float scores go through float means and times (FloatPosteriors). The integer network's scores
 * are kws_softmax's Q15 probabilities / 32768, and IntegerPosteriors handles them in integers, as
 * the device's kws_stream.c does (src/device/stream-c.ts), so both give the same detections bit
 * for bit.
 */
import { SILENCE_LABEL, UNKNOWN_LABEL } from '../data/dataset-index.js';
import { PROBABILITY_ONE } from '../quant/softmax.js';

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

/** The false alarms per hour a run's operating point is chosen for by default: one every half hour. */
export const DEFAULT_TARGET_FALSE_ALARMS_PER_HOUR = 2;

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

/** Keeps a detection exactly one suppression interval later from being lost to rounding. */
const SUPPRESSION_EPSILON_S = 1e-9;

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
    if (score < this.threshold || timeS - this.lastFired < this.suppressionS - SUPPRESSION_EPSILON_S) return false;
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

/** Where a stream's windows end: window k at sample k · hopSamples + clipSamples. */
export interface WindowTiming {
  hopSamples: number;
  clipSamples: number;
  sampleRate: number;
}

/** What posterior handling made of one window. */
export interface WindowOutcome {
  /** The best keyword's label index. */
  keyword: number;
  /** Its smoothed score. */
  score: number;
  /** The end of the window, in seconds from the start of the stream. */
  timeS: number;
  fires: boolean;
}

/** Smoothing, candidate and gate over one stream's windows, offered in order. */
export interface PosteriorHandler {
  /** Window `window`'s scores are `scores[offset … offset + classes)`. */
  offer(scores: Float32Array, offset: number, window: number): WindowOutcome;
}

/** Any classifier's scores: float32 means, a float threshold, float times. */
export class FloatPosteriors implements PosteriorHandler {
  private readonly smoother: PosteriorSmoother;
  private readonly gate: DetectionGate;
  private readonly firstTimeS: number;
  private readonly hopS: number;

  constructor(
    classes: number,
    private readonly keywords: readonly number[],
    timing: WindowTiming,
    settings: Required<PosteriorSettings>,
  ) {
    this.smoother = new PosteriorSmoother(classes, windowsAveraged(settings.averageWindowMs, settings.hopMs));
    this.gate = new DetectionGate(settings.threshold, settings.suppressionMs / 1000);
    this.firstTimeS = timing.clipSamples / timing.sampleRate;
    this.hopS = timing.hopSamples / timing.sampleRate;
  }

  offer(scores: Float32Array, offset: number, window: number): WindowOutcome {
    const best = bestKeyword(this.smoother.add(scores, offset), this.keywords);
    const timeS = this.firstTimeS + window * this.hopS;
    return { keyword: best.index, score: best.score, timeS, fires: this.gate.offer(timeS, best.score) };
  }
}

/** The integer path takes thresholds in millionths (KWS_THRESHOLD_PPM): 0.99999 is 999990. */
export const PPM_PER_ONE = 1_000_000;

/** The threshold in millionths, as the integer path and KWS_THRESHOLD_PPM take it (0.9 → 900000). */
export function thresholdPpm(threshold: number): number {
  return Math.round(threshold * PPM_PER_ONE);
}

/**
 * The suppression interval in samples: the fewest samples d with d / sampleRate ≥ suppression −
 * the float gate's epsilon, so that both gates block the same windows (1500 ms at 16 kHz: 24000).
 */
export function suppressionSamples(suppressionMs: number, sampleRate: number): number {
  return Math.max(0, Math.ceil((suppressionMs / 1000 - SUPPRESSION_EPSILON_S) * sampleRate));
}

/**
 * The integer network's scores (kws_softmax's Q15 probabilities / 32768) in integers, exactly as
 * kws_stream.c: per label the sum of the Q15 probabilities of the last `windowsAveraged` windows
 * (fewer at the start); the keyword with the largest sum (the first on a tie); it fires when
 * sum · 10^6 ≥ thresholdPpm · 32768 · windows and at least `suppressionSamples` lie between the
 * ends of its window and of the last detection's. Scores are reported as sum / (32768 · windows),
 * times as window end / sample rate.
 */
export class IntegerPosteriors implements PosteriorHandler {
  private readonly history: Uint16Array;
  private readonly sums: Float64Array;
  private readonly count: number;
  private readonly threshold: number;
  private readonly suppression: number;
  private filled = 0;
  private next = 0;
  private lastFiredSample = -Infinity;

  constructor(
    private readonly classes: number,
    private readonly keywords: readonly number[],
    private readonly timing: WindowTiming,
    settings: Required<PosteriorSettings>,
  ) {
    this.count = windowsAveraged(settings.averageWindowMs, settings.hopMs);
    this.history = new Uint16Array(classes * this.count);
    this.sums = new Float64Array(classes);
    this.threshold = thresholdPpm(settings.threshold);
    this.suppression = suppressionSamples(settings.suppressionMs, timing.sampleRate);
  }

  offer(scores: Float32Array, offset: number, window: number): WindowOutcome {
    const { classes, history, sums, keywords } = this;
    const slot = this.next * classes;
    const full = this.filled === this.count;
    for (let c = 0; c < classes; c++) {
      const probability = Math.round(scores[offset + c]! * PROBABILITY_ONE);
      if (full) sums[c]! -= history[slot + c]!;
      sums[c]! += probability;
      history[slot + c] = probability;
    }
    if (!full) this.filled++;
    this.next = (this.next + 1) % this.count;
    let keyword = keywords[0]!;
    for (const k of keywords) if (sums[k]! > sums[keyword]!) keyword = k;
    const sum = sums[keyword]!;
    const endSample = window * this.timing.hopSamples + this.timing.clipSamples;
    const fires =
      sum * PPM_PER_ONE >= this.threshold * PROBABILITY_ONE * this.filled &&
      endSample - this.lastFiredSample >= this.suppression;
    if (fires) this.lastFiredSample = endSample;
    return {
      keyword,
      score: sum / (PROBABILITY_ONE * this.filled),
      timeS: endSample / this.timing.sampleRate,
      fires,
    };
  }
}
