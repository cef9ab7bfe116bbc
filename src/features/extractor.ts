/**
 * Clip → feature matrix, TF-exact (audio_spectrogram + mfcc ops, see frame-features.ts and the
 * files it names). Output is frame-major [frames][coefficients], the flat fingerprint models take.
 * Everything is allocated once per extractor: this is the inner loop of training.
 */
import { validateFeatureConfig, type FeatureConfig } from './config.js';
import type { Engine } from '../wasm/engine.js';
import { createFrameFeatures } from './frame-features.js';
import { MelFilterbank } from './mel.js';

export interface FeatureExtractor {
  readonly config: FeatureConfig;
  /** The engine in use (never `auto`). */
  readonly engine: Exclude<Engine, 'auto'>;
  readonly frames: number;
  readonly coefficients: number;
  /** frames × coefficients. */
  readonly size: number;
  /** Features of a clip of at least the configured length (extra samples are ignored). */
  compute(samples: Float32Array, out?: Float32Array): Float32Array;
  /** Features of the one frame starting at samples[offset], written to out[outOffset, outOffset + coefficients). */
  computeFrame(samples: Float32Array, offset: number, out: Float32Array, outOffset: number): void;
}

/**
 * Validates `config` (UsageError naming the flag) and builds an extractor on the given FFT
 * engine (see frame-features.ts). Not safe to share between concurrent users.
 */
export function createFeatureExtractor(config: FeatureConfig, engine: Engine = 'auto'): FeatureExtractor {
  const { frames, strideSamples, windowSamples, fftLength } = validateFeatureConfig(config);
  const filterbank = new MelFilterbank({
    spectrumBins: fftLength / 2 + 1,
    sampleRate: config.sampleRate,
    channelCount: config.filterbankChannelCount,
    lowerFrequencyLimit: config.lowerFrequencyLimit,
    upperFrequencyLimit: config.upperFrequencyLimit,
  });
  const rows = createFrameFeatures(
    windowSamples,
    filterbank,
    config.feature === 'mfcc' ? config.dctCoefficientCount : null,
    engine,
  );
  const coefficients = rows.coefficients;
  const size = frames * coefficients;
  const span = (frames - 1) * strideSamples + windowSamples;
  const offsets = new Array<number>(rows.framesPerCall).fill(0);

  function computeFrame(samples: Float32Array, offset: number, out: Float32Array, outOffset: number): void {
    if (offset < 0 || offset + windowSamples > samples.length) {
      throw new RangeError(
        `computeFrame: frame at ${offset} needs ${windowSamples} samples, clip has ${samples.length}`,
      );
    }
    offsets[0] = offset;
    rows.load(samples, offset, offset + windowSamples);
    rows.compute(offsets, 1, out, outOffset);
  }

  function compute(samples: Float32Array, out: Float32Array = new Float32Array(size)): Float32Array {
    if (samples.length < span)
      throw new RangeError(`compute: clip has ${samples.length} samples, features need ${span}`);
    if (out.length < size) throw new RangeError(`compute: output holds ${out.length} values, features need ${size}`);
    // A clip is loaded whole (one block copy); a much longer buffer only where the frames read.
    if (samples.length <= 2 * span) rows.load(samples);
    else rows.load(samples, 0, span);
    for (let first = 0; first < frames; first += rows.framesPerCall) {
      const count = Math.min(rows.framesPerCall, frames - first);
      for (let f = 0; f < count; f++) offsets[f] = (first + f) * strideSamples;
      rows.compute(offsets, count, out, first * coefficients);
    }
    return out;
  }

  return {
    config: Object.freeze({ ...config }),
    engine: rows.engine,
    frames,
    coefficients,
    size,
    compute,
    computeFrame,
  };
}
