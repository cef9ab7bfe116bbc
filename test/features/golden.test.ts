import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_CONFIG, type FeatureConfig } from '../../src/features/config.js';
import { createFeatureExtractor } from '../../src/features/extractor.js';

interface GoldenCase {
  signal: string;
  feature: 'mfcc' | 'lfbe';
  window_size_ms: number;
  window_stride_ms: number;
  dct_coefficient_count?: number;
  filterbank_channel_count?: number;
  frames: number;
  data: number[][];
}
interface Golden {
  sample_rate: number;
  signals: Record<string, number[]>;
  cases: GoldenCase[];
}

const golden = JSON.parse(fs.readFileSync(new URL('../fixtures/features.json', import.meta.url), 'utf8')) as Golden;

function configFor(c: GoldenCase): FeatureConfig {
  return {
    ...DEFAULT_FEATURE_CONFIG,
    sampleRate: golden.sample_rate,
    windowSizeMs: c.window_size_ms,
    windowStrideMs: c.window_stride_ms,
    feature: c.feature,
    dctCoefficientCount: c.dct_coefficient_count ?? DEFAULT_FEATURE_CONFIG.dctCoefficientCount,
    filterbankChannelCount: c.filterbank_channel_count ?? DEFAULT_FEATURE_CONFIG.filterbankChannelCount,
  };
}

describe.each(['wasm', 'js'] as const)(
  'features match TensorFlow audio_spectrogram + mfcc (golden vectors, %s engine)',
  (engine) => {
    it.each(
      golden.cases.map((c) => [`${c.signal} ${c.feature} ${c.window_size_ms}/${c.window_stride_ms} ms`, c] as const),
    )('%s', (_name, c) => {
      const samples = Float32Array.from(golden.signals[c.signal]!, (v) => v / 32768);
      const extractor = createFeatureExtractor(configFor(c), engine);
      expect(extractor.frames).toBe(c.frames);
      expect(extractor.coefficients).toBe(c.data[0]!.length);
      const features = extractor.compute(samples);
      let worst = 0;
      for (let t = 0; t < c.frames; t++) {
        for (let k = 0; k < extractor.coefficients; k++) {
          worst = Math.max(worst, Math.abs(features[t * extractor.coefficients + k]! - c.data[t]![k]!));
        }
      }
      // The figure the README states.
      expect(worst).toBeLessThanOrEqual(7.5e-6);
    });
  },
);
