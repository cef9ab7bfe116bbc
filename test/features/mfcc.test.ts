import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_CONFIG, type FeatureConfig } from '../../src/features/config.js';
import { createFeatureExtractor } from '../../src/features/extractor.js';
import { MelFilterbank, hertzToMel } from '../../src/features/mel.js';
import { MelCepstrum, dctMatrix, mfccFromPowerSpectrum } from '../../src/features/mfcc.js';
import { FftJsMagnitudeSpectra, periodicHann } from '../../src/features/spectrogram.js';
import { UsageError } from '../../src/errors.js';
import { Random } from '../../src/random.js';
import { naiveMagnitudes, noiseClip } from './reference.js';

/** The magnitudes of the filterbank's usable bins, which is what MelFilterbank.apply takes. */
function usableMagnitudes(bank: MelFilterbank, power: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: bank.endBin - bank.startBin + 1 }, (_, j) => Math.sqrt(power[bank.startBin + j]!));
}

describe('mel + log + DCT on a power-spectrum row', () => {
  it("reproduces TensorFlow's own MFCC unit test (spectrum 1..513 at 22050 Hz)", () => {
    const power = Float64Array.from({ length: 513 }, (_, k) => k + 1);
    const mfcc = mfccFromPowerSpectrum(power, {
      sampleRate: 22050,
      channelCount: 40,
      lowerFrequencyLimit: 20,
      upperFrequencyLimit: 4000,
      dctCoefficientCount: 13,
    });
    const expected = [
      29.13970072, -6.41568601, -0.61903012, -0.96778652, -0.26819878, -0.40907028, -0.15614748, -0.23203119,
      -0.10481487, -0.1543029, -0.0769791, -0.10806114, -0.06047613,
    ];
    expect(mfcc).toHaveLength(13);
    expected.forEach((value, k) => expect(Math.abs(mfcc[k]! - value)).toBeLessThan(1e-4));
  });

  it('uses the op bin range and splits each bin between two neighbouring channels', () => {
    const bank = new MelFilterbank({
      spectrumBins: 513,
      sampleRate: 16000,
      channelCount: 40,
      lowerFrequencyLimit: 20,
      upperFrequencyLimit: 4000,
    });
    // hz per bin 15.625: start int(1.5 + 1.28) = 2, end int(256) = 256
    expect([bank.startBin, bank.endBin]).toEqual([2, 256]);
    // A flat magnitude spectrum of 1: the whole band's bins are split, so the channel sums add up to
    // the usable bin count minus the rising edge of channel 0 and the falling edge of the last.
    const sums = new Float64Array(40);
    expect(bank.leftSlot).toHaveLength(255);
    bank.apply(new Float64Array(255).fill(1), sums);
    const total = sums.reduce((a, b) => a + b, 0);
    expect(total).toBeLessThan(255);
    expect(total).toBeGreaterThan(240);
    for (const value of sums) expect(value).toBeGreaterThan(0);
  });

  it.each([
    [
      'the paper default',
      { spectrumBins: 513, sampleRate: 16000, channelCount: 40, lowerFrequencyLimit: 20, upperFrequencyLimit: 4000 },
    ],
    [
      'narrow channels, some without a bin',
      { spectrumBins: 129, sampleRate: 16000, channelCount: 64, lowerFrequencyLimit: 0, upperFrequencyLimit: 8000 },
    ],
  ])('equals triangles linear in mel between neighbouring centres (%s)', (_name, options) => {
    const { spectrumBins, sampleRate, channelCount, lowerFrequencyLimit, upperFrequencyLimit } = options;
    const bank = new MelFilterbank(options);
    const random = new Random(4);
    const power = Float64Array.from({ length: spectrumBins }, () => random.uniform(0, 9));
    const actual = new Float64Array(channelCount);
    bank.apply(usableMagnitudes(bank, power), actual);
    const melLow = hertzToMel(lowerFrequencyLimit);
    const spacing = (hertzToMel(upperFrequencyLimit) - melLow) / (channelCount + 1);
    const edge = (i: number) => melLow + spacing * i; // edge(c), edge(c+1), edge(c+2): channel c's triangle
    const hzPerBin = sampleRate / 2 / (spectrumBins - 1);
    let emptyChannels = 0;
    for (let c = 0; c < channelCount; c++) {
      let expected = 0;
      let bins = 0;
      for (let bin = bank.startBin; bin <= bank.endBin; bin++) {
        const mel = hertzToMel(bin * hzPerBin);
        const weight =
          mel <= edge(c) || mel >= edge(c + 2)
            ? 0
            : mel <= edge(c + 1)
              ? (mel - edge(c)) / spacing
              : (edge(c + 2) - mel) / spacing;
        if (weight > 0) bins++;
        expected += weight * Math.sqrt(power[bin]!);
      }
      if (bins === 0) emptyChannels++;
      expect(actual[c]).toBeCloseTo(expected, 9);
    }
    if (channelCount === 64) expect(emptyChannels).toBeGreaterThan(0);
  });

  it('MFCC = DCT matrix × ln(max(filterbank, 1e-12)), also for an odd channel count', () => {
    const options = {
      spectrumBins: 257,
      sampleRate: 8000,
      channelCount: 13,
      lowerFrequencyLimit: 100,
      upperFrequencyLimit: 3800,
    };
    const random = new Random(9);
    const power = Float64Array.from({ length: 257 }, (_, k) => (k % 50 === 7 ? 0 : random.uniform(0, 4)));
    const energies = new Float64Array(13);
    const bank = new MelFilterbank(options);
    bank.apply(usableMagnitudes(bank, power), energies);
    const logs = energies.map((e) => Math.log(Math.max(e, 1e-12)));
    const dct = dctMatrix(13, 5);
    const mfcc = new Float64Array(5);
    new MelCepstrum(13, 5).compute(energies, mfcc, 0);
    for (let k = 0; k < 5; k++) {
      let expected = 0;
      for (let c = 0; c < 13; c++) expected += dct[k * 13 + c]! * logs[c]!;
      expect(mfcc[k]).toBeCloseTo(expected, 12);
    }
    const lfbe = new Float64Array(15);
    new MelCepstrum(13, null).compute(energies, lfbe, 2);
    expect(Array.from(lfbe.subarray(2))).toEqual(Array.from(logs));
  });

  it('HTK mel scale and an orthonormal DCT-II', () => {
    expect(hertzToMel(700)).toBeCloseTo(1127 * Math.LN2, 10);
    const n = 40;
    const dct = dctMatrix(n, n);
    // Rows k ≥ 1 are orthonormal; row 0 has norm √2 (TF scales every row by √(2/N)).
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        let dot = 0;
        for (let j = 0; j < n; j++) dot += dct[a * n + j]! * dct[b * n + j]!;
        expect(dot).toBeCloseTo(a !== b ? 0 : a === 0 ? 2 : 1, 10);
      }
    }
  });
});

describe('fft.js magnitude spectra', () => {
  it('equal |DFT| of the periodic-Hann-windowed, zero-padded frame, single and paired', () => {
    const clip = noiseClip(3, 2000);
    const spectra = new FftJsMagnitudeSpectra(480, 0, 256);
    expect(spectra.fftLength).toBe(512);
    const hann = periodicHann(480);
    expect(hann[0]).toBe(0);
    expect(hann[240]).toBeCloseTo(1, 15);
    const expectedA = naiveMagnitudes(clip, 100, 480, 512);
    const expectedB = naiveMagnitudes(clip, 900, 480, 512);
    spectra.compute(clip, [100], 1);
    for (let k = 0; k <= 256; k++) expect(spectra.magnitudes[0]![k]).toBeCloseTo(expectedA[k]!, 9);
    spectra.compute(clip, [100, 900], 2);
    for (let k = 0; k <= 256; k++) {
      expect(spectra.magnitudes[0]![k]).toBeCloseTo(expectedA[k]!, 9);
      expect(spectra.magnitudes[1]![k]).toBeCloseTo(expectedB[k]!, 9);
    }
  });
});

describe.each(['wasm', 'js'] as const)('feature extractor (%s engine)', (engine) => {
  it('digital silence gives c0 = √(2/40)·40·ln(1e-12) ≈ −247.14, other coefficients 0, no NaN', () => {
    const extractor = createFeatureExtractor(DEFAULT_FEATURE_CONFIG, engine);
    const features = extractor.compute(new Float32Array(16000));
    expect(features).toHaveLength(490);
    for (let t = 0; t < extractor.frames; t++) {
      expect(features[t * 10]).toBeCloseTo(Math.sqrt(2 / 40) * 40 * Math.log(1e-12), 3);
      expect(features[t * 10]).toBeCloseTo(-247.14, 2);
      for (let k = 1; k < 10; k++) expect(Math.abs(features[t * 10 + k]!)).toBeLessThan(1e-4);
    }
  });

  it('silence right after a loud frame still hits the floor exactly (no leak from the paired frame)', () => {
    const clip = new Float32Array(16000);
    for (let i = 0; i < 320; i++) clip[i] = Math.sin(i * 0.3) * 0.99;
    const features = createFeatureExtractor({ ...DEFAULT_FEATURE_CONFIG, feature: 'lfbe' }, engine).compute(clip);
    // Frame 1 starts at 320, past the tone; frame 0 (its FFT partner) is loud.
    for (let c = 0; c < 40; c++) expect(features[40 + c]).toBeCloseTo(Math.log(1e-12), 6);
    expect(features[0]).toBeGreaterThan(-20);
  });

  it('LFBE gives frames × filterbank channels', () => {
    const config: FeatureConfig = {
      ...DEFAULT_FEATURE_CONFIG,
      feature: 'lfbe',
      windowSizeMs: 30,
      windowStrideMs: 10,
      filterbankChannelCount: 32,
    };
    const extractor = createFeatureExtractor(config, engine);
    expect([extractor.frames, extractor.coefficients, extractor.size]).toEqual([98, 32, 98 * 32]);
    const features = extractor.compute(noiseClip(5));
    expect(features).toHaveLength(98 * 32);
    expect(features.every(Number.isFinite)).toBe(true);
  });

  it('gives identical output when reused, and computeFrame agrees with compute', () => {
    const extractor = createFeatureExtractor(DEFAULT_FEATURE_CONFIG, engine);
    const a = noiseClip(1);
    const b = noiseClip(2, 16000, 0.01);
    const first = extractor.compute(a);
    extractor.compute(b);
    const again = extractor.compute(a);
    expect(Array.from(again)).toEqual(Array.from(first));
    const out = new Float32Array(extractor.size).fill(Number.NaN);
    expect(extractor.compute(a, out)).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(first));
    const frame = new Float32Array(extractor.coefficients);
    for (const t of [0, 1, 25, 48]) {
      extractor.computeFrame(a, t * 320, frame, 0);
      for (let k = 0; k < 10; k++) expect(frame[k]).toBeCloseTo(first[t * 10 + k]!, 4);
    }
  });

  it('validates the config with the flag name and rejects short clips', () => {
    expect(() => createFeatureExtractor({ ...DEFAULT_FEATURE_CONFIG, dctCoefficientCount: 41 }, engine)).toThrow(
      UsageError,
    );
    expect(() => createFeatureExtractor({ ...DEFAULT_FEATURE_CONFIG, upperFrequencyLimit: 9000 }, engine)).toThrow(
      /--upper-frequency-limit/,
    );
    const extractor = createFeatureExtractor(DEFAULT_FEATURE_CONFIG, engine);
    expect(() => extractor.compute(new Float32Array(1000))).toThrow(RangeError);
  });
});
