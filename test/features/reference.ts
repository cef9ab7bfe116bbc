/** Slow, obviously correct references for the feature engines, and seeded test clips. */
import type { MelFilterbank } from '../../src/features/mel.js';
import { MelCepstrum } from '../../src/features/mfcc.js';
import { periodicHann } from '../../src/features/spectrogram.js';
import { Random } from '../../src/random.js';

export function noiseClip(seed: number, length = 16000, amplitude = 0.5): Float32Array {
  const random = new Random(seed);
  return Float32Array.from({ length }, () => random.uniform(-amplitude, amplitude));
}

/** |DFT| bins 0..fftLength/2 of the periodic-Hann-windowed frame at `offset`, zero-padded to fftLength, by the definition. */
export function naiveMagnitudes(
  clip: Float32Array,
  offset: number,
  windowSamples: number,
  fftLength: number,
): Float64Array {
  const hann = periodicHann(windowSamples);
  return Float64Array.from({ length: fftLength / 2 + 1 }, (_, k) => {
    let re = 0;
    let im = 0;
    for (let n = 0; n < windowSamples; n++) {
      const x = clip[offset + n]! * hann[n]!;
      re += x * Math.cos((2 * Math.PI * k * n) / fftLength);
      im -= x * Math.sin((2 * Math.PI * k * n) / fftLength);
    }
    return Math.hypot(re, im);
  });
}

/** One feature row from the definition-level DFT, the JS filterbank and the JS cepstrum. */
export function referenceRow(
  clip: Float32Array,
  offset: number,
  windowSamples: number,
  fftLength: number,
  filterbank: MelFilterbank,
  dctCoefficientCount: number | null,
): Float64Array {
  const magnitudes = naiveMagnitudes(clip, offset, windowSamples, fftLength).subarray(
    filterbank.startBin,
    filterbank.endBin + 1,
  );
  const energies = new Float64Array(filterbank.channelCount);
  filterbank.apply(magnitudes, energies);
  const cepstrum = new MelCepstrum(filterbank.channelCount, dctCoefficientCount);
  const row = new Float64Array(cepstrum.outputSize);
  cepstrum.compute(energies, row, 0);
  return row;
}
