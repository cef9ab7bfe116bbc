import { UsageError } from '../errors.js';

export type FeatureKind = 'mfcc' | 'lfbe';

/** Feature settings with ARM's names (camel-cased) and the paper's defaults. */
export interface FeatureConfig {
  sampleRate: number;
  clipDurationMs: number;
  windowSizeMs: number;
  windowStrideMs: number;
  feature: FeatureKind;
  /** MFCC coefficients kept per frame (mfcc only). */
  dctCoefficientCount: number;
  /** Mel channels; also the LFBE width. */
  filterbankChannelCount: number;
  lowerFrequencyLimit: number;
  upperFrequencyLimit: number;
}

export const DEFAULT_FEATURE_CONFIG: Readonly<FeatureConfig> = Object.freeze({
  sampleRate: 16000,
  clipDurationMs: 1000,
  windowSizeMs: 40,
  windowStrideMs: 20,
  feature: 'mfcc',
  dctCoefficientCount: 10,
  filterbankChannelCount: 40,
  lowerFrequencyLimit: 20,
  upperFrequencyLimit: 4000,
});

/** Sample counts as `models.prepare_model_settings` derives them (int() truncation). */
export interface FeatureGeometry {
  desiredSamples: number;
  windowSamples: number;
  strideSamples: number;
  fftLength: number;
  frames: number;
  coefficients: number;
}

/** The FFT length for a window: the next power of two, as TF's spectrogram op picks it. */
export function nextPowerOfTwo(value: number): number {
  let power = 1;
  while (power < value) power *= 2;
  return power;
}

export function featureGeometry(config: FeatureConfig): FeatureGeometry {
  const desiredSamples = Math.trunc((config.sampleRate * config.clipDurationMs) / 1000);
  const windowSamples = Math.trunc((config.sampleRate * config.windowSizeMs) / 1000);
  const strideSamples = Math.trunc((config.sampleRate * config.windowStrideMs) / 1000);
  const spare = desiredSamples - windowSamples;
  const frames = spare < 0 ? 0 : 1 + Math.trunc(spare / strideSamples);
  const fftLength = nextPowerOfTwo(windowSamples);
  const coefficients = config.feature === 'mfcc' ? config.dctCoefficientCount : config.filterbankChannelCount;
  return { desiredSamples, windowSamples, strideSamples, fftLength, frames, coefficients };
}

/** Rejects settings that would give no frames or an impossible filterbank, with the flag to change. */
export function validateFeatureConfig(config: FeatureConfig): FeatureGeometry {
  const positive: Array<[keyof FeatureConfig, string]> = [
    ['sampleRate', '--sample-rate'],
    ['clipDurationMs', '--clip-duration-ms'],
    ['windowSizeMs', '--window-size-ms'],
    ['windowStrideMs', '--window-stride-ms'],
    ['filterbankChannelCount', '--filterbank-channel-count'],
  ];
  for (const [key, flag] of positive) {
    const value = config[key] as number;
    if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${flag} must be a positive number (got ${value})`);
  }
  if (config.feature !== 'mfcc' && config.feature !== 'lfbe') {
    throw new UsageError(`--feature must be mfcc or lfbe (got ${String(config.feature)})`);
  }
  if (!Number.isInteger(config.filterbankChannelCount)) {
    throw new UsageError(`--filterbank-channel-count must be a whole number (got ${config.filterbankChannelCount})`);
  }
  if (config.feature === 'mfcc') {
    const k = config.dctCoefficientCount;
    if (!Number.isInteger(k) || k < 1 || k > config.filterbankChannelCount) {
      throw new UsageError(
        `--dct-coefficient-count must be a whole number from 1 to --filterbank-channel-count (${config.filterbankChannelCount}); got ${k}`,
      );
    }
  }
  const nyquist = config.sampleRate / 2;
  if (!(config.lowerFrequencyLimit >= 0 && config.lowerFrequencyLimit < config.upperFrequencyLimit)) {
    throw new UsageError(
      `--lower-frequency-limit (${config.lowerFrequencyLimit}) must be >= 0 and below --upper-frequency-limit (${config.upperFrequencyLimit})`,
    );
  }
  if (config.upperFrequencyLimit > nyquist) {
    throw new UsageError(
      `--upper-frequency-limit (${config.upperFrequencyLimit}) must not exceed half the sample rate (${nyquist})`,
    );
  }
  const geometry = featureGeometry(config);
  if (geometry.windowSamples < 2 || geometry.strideSamples < 1) {
    throw new UsageError('--window-size-ms and --window-stride-ms are too short for the sample rate');
  }
  if (geometry.frames === 0) {
    throw new UsageError(
      `--window-size-ms (${config.windowSizeMs}) is longer than --clip-duration-ms (${config.clipDurationMs}): no frames`,
    );
  }
  return geometry;
}
