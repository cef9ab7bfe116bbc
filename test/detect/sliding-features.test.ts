import { describe, expect, it } from 'vitest';
import { fitLength } from '../../src/audio/wav.js';
import { SlidingFeatures, hopSamplesFor } from '../../src/detect/sliding-features.js';
import { DEFAULT_FEATURE_CONFIG, featureGeometry, type FeatureConfig } from '../../src/features/config.js';
import { createFeatureExtractor } from '../../src/features/extractor.js';
import { UsageError } from '../../src/errors.js';
import { Random } from '../../src/random.js';
import { renderScene } from './helpers.js';

/** Every window the slider emits, pushed in random-sized pieces. */
function slide(
  config: FeatureConfig,
  hopSamples: number,
  samples: Float32Array,
  seed: number,
): { windows: Float32Array[]; slider: SlidingFeatures } {
  const slider = new SlidingFeatures(createFeatureExtractor(config), hopSamples);
  const windows: Float32Array[] = [];
  const sink = (features: Float32Array, index: number) => {
    expect(index).toBe(windows.length);
    windows.push(features.slice());
  };
  const random = new Random(seed);
  for (let i = 0; i < samples.length;) {
    const size = random.int(1, 9000);
    slider.push(samples.subarray(i, i + size), sink);
    i += size;
  }
  slider.end(sink);
  return { windows, slider };
}

describe('sliding feature windows with frame reuse', () => {
  const audio = renderScene(5.3, [
    { kind: 'low', startS: 0.7, durationS: 0.6 },
    { kind: 'noise', startS: 2.5, durationS: 1 },
    { kind: 'high', startS: 4, durationS: 0.5 },
  ]);

  const cases: Array<[string, FeatureConfig, number]> = [
    ['20 ms hop, 40/20 ms frames', DEFAULT_FEATURE_CONFIG, 20],
    ['60 ms hop', DEFAULT_FEATURE_CONFIG, 60],
    [
      '40 ms hop, 30/10 ms frames (span shorter than the clip)',
      { ...DEFAULT_FEATURE_CONFIG, windowSizeMs: 30, windowStrideMs: 10 },
      40,
    ],
    ['1500 ms hop (frames between windows skipped)', DEFAULT_FEATURE_CONFIG, 1500],
  ];
  it.each(cases)('%s: equal to recomputing every window from scratch', (_, config, hopMs) => {
    const geometry = featureGeometry(config);
    const hop = hopSamplesFor(hopMs, geometry, config.sampleRate, config.windowStrideMs);
    const { windows, slider } = slide(config, hop, audio, hopMs);
    const expectedCount = Math.floor((audio.length - geometry.desiredSamples) / hop) + 1;
    expect(windows).toHaveLength(expectedCount);
    const reference = createFeatureExtractor(config);
    windows.forEach((window, k) => {
      const fresh = reference.compute(audio.subarray(k * hop, k * hop + geometry.desiredSamples));
      expect(window).toEqual(fresh);
    });
    // Each frame computed once: the frames that fit in the audio and belong to some window (a
    // hop longer than a window skips the frames in between).
    let needed = 0;
    const hopFrames = hop / geometry.strideSamples;
    for (let g = 0; g * geometry.strideSamples + geometry.windowSamples <= audio.length; g++) {
      if (g % hopFrames < reference.frames) needed++;
    }
    expect(slider.framesComputed).toBe(needed);
    expect(slider.framesComputed).toBeLessThan(windows.length * reference.frames + reference.frames);
  });

  it('zero-pads a stream shorter than one clip into a single window', () => {
    const short = audio.subarray(0, 6000);
    const { windows } = slide(DEFAULT_FEATURE_CONFIG, 320, short, 3);
    expect(windows).toHaveLength(1);
    expect(windows[0]).toEqual(createFeatureExtractor(DEFAULT_FEATURE_CONFIG).compute(fitLength(short, 16000)));
  });

  it('rejects a hop that is not a multiple of the feature stride, naming the flag', () => {
    const geometry = featureGeometry(DEFAULT_FEATURE_CONFIG);
    expect(() => hopSamplesFor(30, geometry, 16000, 20)).toThrow(UsageError);
    expect(() => hopSamplesFor(30, geometry, 16000, 20)).toThrow(
      /--hop-ms 30 is not a multiple of the model's feature stride \(20 ms = 320 samples/,
    );
    expect(() => hopSamplesFor(0, geometry, 16000, 20)).toThrow(/--hop-ms/);
    expect(hopSamplesFor(100, geometry, 16000, 20)).toBe(1600);
  });
});
