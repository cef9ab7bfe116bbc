import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_CONFIG, nextPowerOfTwo, type FeatureConfig } from '../../src/features/config.js';
import { createFeatureExtractor } from '../../src/features/extractor.js';
import { createFrameFeatures } from '../../src/features/frame-features.js';
import { MelFilterbank } from '../../src/features/mel.js';
import { noiseClip, referenceRow } from './reference.js';

interface Geometry {
  name: string;
  sampleRate: number;
  windowSamples: number;
  channels: number;
  upper: number;
  dct: number | null;
}

// 512- and 1024-point FFTs: log2 odd (radix-4 passes plus one radix-2 pass) and even.
const GEOMETRIES: Geometry[] = [
  {
    name: '480-sample window, 13 MFCCs at 16 kHz',
    sampleRate: 16000,
    windowSamples: 480,
    channels: 40,
    upper: 4000,
    dct: 13,
  },
  {
    name: '640-sample window, 40 LFBEs at 16 kHz',
    sampleRate: 16000,
    windowSamples: 640,
    channels: 40,
    upper: 4000,
    dct: null,
  },
  {
    name: '200-sample window, 23 channels at 8 kHz',
    sampleRate: 8000,
    windowSamples: 200,
    channels: 23,
    upper: 3900,
    dct: 7,
  },
];

function filterbankFor(g: Geometry): MelFilterbank {
  return new MelFilterbank({
    spectrumBins: nextPowerOfTwo(g.windowSamples) / 2 + 1,
    sampleRate: g.sampleRate,
    channelCount: g.channels,
    lowerFrequencyLimit: 20,
    upperFrequencyLimit: g.upper,
  });
}

describe.each(['wasm', 'js'] as const)('frame features, %s engine', (engine) => {
  it.each(GEOMETRIES.map((g) => [g.name, g] as const))(
    'every row of a call equals the definition-level pipeline (%s)',
    (_name, g) => {
      const filterbank = filterbankFor(g);
      const rows = createFrameFeatures(g.windowSamples, filterbank, g.dct, engine);
      expect(rows.engine).toBe(engine);
      const width = rows.coefficients;
      expect(width).toBe(g.dct ?? g.channels);
      // Loud, quiet and silent frames side by side, so one lane's rounding would show in another's.
      const clip = noiseClip(11, 6 * g.windowSamples);
      for (let i = 2 * g.windowSamples; i < 3 * g.windowSamples; i++) clip[i]! *= 1e-4;
      clip.fill(0, 4 * g.windowSamples);
      const offsets = [0, 2 * g.windowSamples, 4 * g.windowSamples, g.windowSamples + 7];
      for (let count = 1; count <= rows.framesPerCall; count++) {
        const out = new Float32Array(1 + count * width).fill(Number.NaN);
        rows.load(clip);
        rows.compute(offsets, count, out, 1);
        expect(out[0]).toBeNaN();
        for (let f = 0; f < count; f++) {
          const expected = referenceRow(
            clip,
            offsets[f]!,
            g.windowSamples,
            nextPowerOfTwo(g.windowSamples),
            filterbank,
            g.dct,
          );
          for (let i = 0; i < width; i++) expect(out[1 + f * width + i]).toBeCloseTo(expected[i]!, 4);
        }
      }
    },
  );
});

describe('the two engines', () => {
  const configs: [string, FeatureConfig][] = [
    ['the paper default (49×10 MFCC)', DEFAULT_FEATURE_CONFIG],
    [
      'LFBE, 30 ms windows every 10 ms',
      { ...DEFAULT_FEATURE_CONFIG, feature: 'lfbe', windowSizeMs: 30, windowStrideMs: 10 },
    ],
    [
      '64 channels up to 7.6 kHz, 20 MFCCs, 25/7 ms',
      {
        ...DEFAULT_FEATURE_CONFIG,
        windowSizeMs: 25,
        windowStrideMs: 7,
        filterbankChannelCount: 64,
        dctCoefficientCount: 20,
        upperFrequencyLimit: 7600,
      },
    ],
  ];
  it.each(configs)('give the same features to float32 precision (%s)', (_name, config) => {
    const clip = noiseClip(21);
    clip.fill(0, 9000, 12000);
    const wasm = createFeatureExtractor(config, 'wasm').compute(clip);
    const js = createFeatureExtractor(config, 'js').compute(clip);
    let worst = 0;
    for (let i = 0; i < wasm.length; i++)
      worst = Math.max(worst, Math.abs(wasm[i]! - js[i]!) / Math.max(1, Math.abs(js[i]!)));
    expect(worst).toBeLessThan(1e-6);
  });

  it('wasm: a lone frame after a full call does not see stale lanes, a loaded range keeps its offsets, and long audio grows the memory', () => {
    const filterbank = filterbankFor(GEOMETRIES[1]!);
    const used = createFrameFeatures(640, filterbank, 10, 'wasm');
    const fresh = createFrameFeatures(640, filterbank, 10, 'wasm');
    const clip = noiseClip(5, 200000);
    const full = new Float32Array(40);
    used.load(clip);
    used.compute([0, 320, 640, 960], 4, full, 0);
    const [lone, loneFresh] = [new Float32Array(10), new Float32Array(10)];
    used.compute([320], 1, lone, 0);
    fresh.load(clip, 320, 960);
    fresh.compute([320], 1, loneFresh, 0);
    expect(Array.from(lone)).toEqual(Array.from(loneFresh));
    // 200,000 samples: far beyond the memory made for a one-second clip.
    const spread = [199000, 1000, 100000, 150000];
    const apart = new Float32Array(40);
    used.load(clip);
    used.compute(spread, 4, apart, 0);
    const reference = createFrameFeatures(640, filterbank, 10, 'js');
    reference.load(clip);
    const expected = new Float32Array(40);
    for (let f = 0; f < 4; f++) reference.compute([spread[f]!], 1, expected, 10 * f);
    for (let i = 0; i < 40; i++) expect(apart[i]).toBeCloseTo(expected[i]!, 4);
  });

  it('auto picks wasm, and fft.js when the JavaScript engine has no WebAssembly (node --jitless)', () => {
    expect(createFeatureExtractor(DEFAULT_FEATURE_CONFIG).engine).toBe('wasm');
    // The built library (npm test builds first), in a Node without WebAssembly.
    const extractor = fileURLToPath(new URL('../../dist/features/extractor.js', import.meta.url));
    const config = fileURLToPath(new URL('../../dist/features/config.js', import.meta.url));
    const script = `const { createFeatureExtractor } = await import(${JSON.stringify(extractor)});
      const { DEFAULT_FEATURE_CONFIG } = await import(${JSON.stringify(config)});
      const e = createFeatureExtractor(DEFAULT_FEATURE_CONFIG);
      console.log(typeof WebAssembly, e.engine, e.compute(new Float32Array(16000))[0].toFixed(2));`;
    const output = execFileSync(process.execPath, ['--jitless', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(output.trim()).toBe('undefined js -247.14');
  });
});
