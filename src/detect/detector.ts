/**
 * Streaming keyword detection: WAV bytes → sliding feature windows (frame reuse) → classifier
 * scores in batches → smoothing → threshold and suppression → detections. Memory does not grow
 * with the input's length, except for the optional per-hop trace the threshold sweep needs
 * (12 bytes per hop: about 2 MB for an hour at a 20 ms hop).
 */
import { performance } from 'node:perf_hooks';
import { KwsError } from '../errors.js';
import { featureGeometry } from '../features/config.js';
import { createFeatureExtractor } from '../features/extractor.js';
import type { Classifier } from '../eval/classifier.js';
import {
  FloatPosteriors,
  IntegerPosteriors,
  keywordIndices,
  type Detection,
  type PosteriorHandler,
  type PosteriorSettings,
} from './posteriors.js';
import { SlidingFeatures, hopSamplesFor } from './sliding-features.js';
import { WavStreamDecoder, type WavStreamFormat } from './wav-stream.js';

/**
 * What detection needs of a classifier (tests pass fakes). A `quantized` one's scores are
 * kws_softmax's Q15 probabilities / 32768, handled in integers as the device does (IntegerPosteriors).
 */
export type ScoringModel = Pick<Classifier, 'labels' | 'feature' | 'scores'> & Partial<Pick<Classifier, 'quantized'>>;

export interface DetectOptions extends PosteriorSettings {
  /** Windows per `scores` call; batching is what makes the float model fast (default 64). */
  batchWindows?: number;
  /** Keep each hop's best keyword and smoothed score, for `thresholdSweep`. */
  keepTrace?: boolean;
  /** Called as each detection fires. */
  onDetection?: (detection: Detection) => void;
}

/** Per hop: the best keyword's label index and smoothed score. Hop k ends at firstTimeS + k·hopS. */
export interface ScoreTrace {
  firstTimeS: number;
  hopS: number;
  length: number;
  keyword: Uint32Array;
  score: Float64Array;
}

export interface DetectionResult {
  detections: Detection[];
  windows: number;
  /** Stream duration (before any padding of a stream shorter than one clip). */
  audioSeconds: number;
  /** Time spent decoding, computing features, scoring and gating (not waiting for input). */
  computeSeconds: number;
  /** Feature frames computed; without frame reuse it would be windows × frames per window. */
  framesComputed: number;
  trace?: ScoreTrace;
}

class TraceBuilder {
  private keyword = new Uint32Array(1024);
  private score = new Float64Array(1024);
  length = 0;

  add(keyword: number, score: number): void {
    if (this.length === this.score.length) {
      const keywordGrown = new Uint32Array(this.length * 2);
      keywordGrown.set(this.keyword);
      this.keyword = keywordGrown;
      const scoreGrown = new Float64Array(this.length * 2);
      scoreGrown.set(this.score);
      this.score = scoreGrown;
    }
    this.keyword[this.length] = keyword;
    this.score[this.length] = score;
    this.length++;
  }

  build(firstTimeS: number, hopS: number): ScoreTrace {
    return {
      firstTimeS,
      hopS,
      length: this.length,
      keyword: this.keyword.slice(0, this.length),
      score: this.score.slice(0, this.length),
    };
  }
}

/** Detection over one stream of samples at the model's rate: push samples, then `finish`. */
export class KeywordDetector {
  readonly hopS: number;
  readonly firstTimeS: number;
  private readonly sliding: SlidingFeatures;
  private readonly posteriors: PosteriorHandler;
  private readonly batch: Float32Array;
  private readonly batchWindows: number;
  private readonly sampleRate: number;
  private readonly trace?: TraceBuilder;
  private batched = 0;
  private firstBatchedWindow = 0;
  private computeMs = 0;
  private readonly detections: Detection[] = [];
  private readonly sink = (features: Float32Array, index: number): void => {
    if (this.batched === 0) this.firstBatchedWindow = index;
    this.batch.set(features, this.batched * features.length);
    this.batched++;
    if (this.batched === this.batchWindows) this.scoreBatch();
  };

  constructor(
    private readonly model: ScoringModel,
    private readonly options: DetectOptions,
  ) {
    const feature = model.feature;
    const geometry = featureGeometry(feature);
    const hopMs = options.hopMs ?? feature.windowStrideMs;
    const hopSamples = hopSamplesFor(hopMs, geometry, feature.sampleRate, feature.windowStrideMs);
    if (!(options.averageWindowMs >= 0))
      throw new KwsError(`--average-window-ms must be at least 0 (got ${options.averageWindowMs})`);
    if (!(options.suppressionMs >= 0))
      throw new KwsError(`--suppression-ms must be at least 0 (got ${options.suppressionMs})`);
    const keywords = keywordIndices(model.labels);
    if (keywords.length === 0) throw new KwsError('the model has no keywords to detect (only _silence_ and _unknown_)');
    this.sampleRate = feature.sampleRate;
    this.sliding = new SlidingFeatures(createFeatureExtractor(feature), hopSamples);
    this.hopS = hopSamples / feature.sampleRate;
    this.firstTimeS = geometry.desiredSamples / feature.sampleRate;
    const timing = { hopSamples, clipSamples: geometry.desiredSamples, sampleRate: feature.sampleRate };
    const { averageWindowMs, threshold, suppressionMs } = options;
    const settings = { hopMs, averageWindowMs, threshold, suppressionMs };
    this.posteriors = model.quantized
      ? new IntegerPosteriors(model.labels.length, keywords, timing, settings)
      : new FloatPosteriors(model.labels.length, keywords, timing, settings);
    this.batchWindows = options.batchWindows ?? 64;
    this.batch = new Float32Array(this.batchWindows * this.sliding.windowSize);
    if (options.keepTrace) this.trace = new TraceBuilder();
  }

  push(samples: Float32Array): void {
    const started = performance.now();
    this.sliding.push(samples, this.sink);
    // Score what this chunk completed now, so a live stream's detections are not held back.
    if (this.batched > 0) this.scoreBatch();
    this.computeMs += performance.now() - started;
  }

  finish(): DetectionResult {
    const started = performance.now();
    const audioSamples = this.sliding.samplesSeen;
    this.sliding.end(this.sink);
    if (this.batched > 0) this.scoreBatch();
    this.computeMs += performance.now() - started;
    return {
      detections: this.detections,
      windows: this.sliding.windowsEmitted,
      audioSeconds: audioSamples / this.sampleRate,
      computeSeconds: this.computeMs / 1000,
      framesComputed: this.sliding.framesComputed,
      trace: this.trace?.build(this.firstTimeS, this.hopS),
    };
  }

  /** Adds decode time spent outside `push` (the stream decoder) to the compute time. */
  addComputeTime(ms: number): void {
    this.computeMs += ms;
  }

  private scoreBatch(): void {
    const size = this.sliding.windowSize;
    const scores = this.model.scores(this.batch.subarray(0, this.batched * size));
    const classes = this.model.labels.length;
    for (let w = 0; w < this.batched; w++) {
      const { keyword, score, timeS, fires } = this.posteriors.offer(scores, w * classes, this.firstBatchedWindow + w);
      this.trace?.add(keyword, score);
      if (fires) {
        const detection = { timeS, label: this.model.labels[keyword]!, score };
        this.detections.push(detection);
        this.options.onDetection?.(detection);
      }
    }
    this.batched = 0;
  }
}

export interface StreamDetectionResult extends DetectionResult {
  format: WavStreamFormat;
}

/** The source's chunks, with read errors (permissions, I/O) turned into one-line KwsErrors. */
async function* readable(source: AsyncIterable<Uint8Array>, name: string): AsyncGenerator<Uint8Array> {
  try {
    yield* source;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string')
      throw new KwsError(`${name}: cannot read (${code === 'EACCES' ? 'permission denied' : code})`);
    throw error;
  }
}

/** Runs detection over a WAV byte stream (`name` is used in messages). The audio must be at the model's sample rate. */
export async function detectStream(
  source: AsyncIterable<Uint8Array>,
  name: string,
  model: ScoringModel,
  options: DetectOptions,
): Promise<StreamDetectionResult> {
  const decoder = new WavStreamDecoder(name);
  const detector = new KeywordDetector(model, options);
  let rateChecked = false;
  for await (const chunk of readable(source, name)) {
    const started = performance.now();
    const samples = decoder.push(chunk);
    const format = decoder.format;
    if (!format) continue;
    if (!rateChecked) {
      if (format.sampleRate !== model.feature.sampleRate) {
        throw new KwsError(
          `${name}: ${format.sampleRate} Hz audio, but the model expects ${model.feature.sampleRate} Hz; ` +
            `convert it first (e.g. sox in.wav -r ${model.feature.sampleRate} out.wav)`,
        );
      }
      rateChecked = true;
    }
    detector.addComputeTime(performance.now() - started);
    detector.push(samples);
  }
  decoder.end();
  return { ...detector.finish(), format: decoder.format! };
}
