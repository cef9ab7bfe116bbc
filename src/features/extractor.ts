/**
 * Clip → feature matrix, TF-exact (audio_spectrogram + mfcc ops, see spectrogram.ts, mel.ts,
 * mfcc.ts). Output is frame-major [frames][coefficients], the flat fingerprint models take.
 * Everything is allocated once per extractor: this is the inner loop of training.
 */
import { validateFeatureConfig, type FeatureConfig } from './config.js';
import { MelCepstrum } from './mfcc.js';
import { PowerSpectrum } from './spectrogram.js';

export interface FeatureExtractor {
  readonly config: FeatureConfig;
  readonly frames: number;
  readonly coefficients: number;
  /** frames × coefficients. */
  readonly size: number;
  /** Features of a clip of at least the configured length (extra samples are ignored). */
  compute(samples: Float32Array, out?: Float32Array): Float32Array;
  /** Features of the one frame starting at samples[offset], written to out[outOffset, outOffset + coefficients). */
  computeFrame(samples: Float32Array, offset: number, out: Float32Array, outOffset: number): void;
}

/** Validates `config` (UsageError naming the flag) and builds an extractor. Not safe to share between concurrent users. */
export function createFeatureExtractor(config: FeatureConfig): FeatureExtractor {
  const geometry = validateFeatureConfig(config);
  const spectrum = new PowerSpectrum(geometry.windowSamples);
  const cepstrum = new MelCepstrum(
    {
      spectrumBins: spectrum.bins,
      sampleRate: config.sampleRate,
      channelCount: config.filterbankChannelCount,
      lowerFrequencyLimit: config.lowerFrequencyLimit,
      upperFrequencyLimit: config.upperFrequencyLimit,
    },
    config.feature === 'mfcc' ? config.dctCoefficientCount : null,
  );
  // Only the filterbank's bins are ever read.
  const { startBin, endBin } = cepstrum.filterbank;
  const powerA = new Float64Array(endBin + 1);
  const powerB = new Float64Array(endBin + 1);
  const { frames, strideSamples, windowSamples } = geometry;
  const coefficients = cepstrum.outputSize;
  const size = frames * coefficients;
  const span = (frames - 1) * strideSamples + windowSamples;

  function computeFrame(samples: Float32Array, offset: number, out: Float32Array, outOffset: number): void {
    if (offset < 0 || offset + windowSamples > samples.length) {
      throw new RangeError(`computeFrame: frame at ${offset} needs ${windowSamples} samples, clip has ${samples.length}`);
    }
    spectrum.compute(samples, offset, powerA, startBin, endBin);
    cepstrum.compute(powerA, out, outOffset);
  }

  function compute(samples: Float32Array, out: Float32Array = new Float32Array(size)): Float32Array {
    if (samples.length < span) throw new RangeError(`compute: clip has ${samples.length} samples, features need ${span}`);
    if (out.length < size) throw new RangeError(`compute: output holds ${out.length} values, features need ${size}`);
    let frame = 0;
    for (; frame + 1 < frames; frame += 2) {
      spectrum.computePair(samples, frame * strideSamples, (frame + 1) * strideSamples, powerA, powerB, startBin, endBin);
      cepstrum.compute(powerA, out, frame * coefficients);
      cepstrum.compute(powerB, out, (frame + 1) * coefficients);
    }
    if (frame < frames) computeFrame(samples, frame * strideSamples, out, frame * coefficients);
    return out;
  }

  return { config: Object.freeze({ ...config }), frames, coefficients, size, compute, computeFrame };
}
