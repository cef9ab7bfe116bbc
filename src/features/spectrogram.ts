/**
 * Spectra of frames exactly as TensorFlow's `audio_spectrogram(magnitude_squared=True)` computes
 * them: periodic Hann window, zero-padded to the next power of two, |FFT| per bin (the mel
 * filterbank takes the square root of the op's power anyway). Two engines: fft.js here, and the
 * faster WebAssembly one in wasm-features.ts.
 */
import FFT from 'fft.js';
import { nextPowerOfTwo } from './config.js';

/** TF's GetPeriodicHann: w[i] = 0.5 − 0.5·cos(2πi/N) with N the window length (not N − 1). */
export function periodicHann(length: number): Float64Array {
  const window = new Float64Array(length);
  for (let i = 0; i < length; i++) window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / length);
  return window;
}

/**
 * |X[k]| for bins [firstBin, lastBin] of one or two frames per call, in `magnitudes[f]` (index
 * 0 = firstBin), on fft.js: the engine for JavaScript without WebAssembly (`node --jitless`)
 * and the reference the WebAssembly engine is tested against. Two frames share one complex
 * FFT: frame A is the real part of the input, frame B the imaginary part, and with
 * Z = FFT(a + i·b), A[k] = (Z[k] + conj Z[N−k]) / 2 and B[k] = (Z[k] − conj Z[N−k]) / 2i.
 * About 1.35× faster than two real transforms. Rounding leaks ~1e-16 of one frame's magnitude
 * into the other, far below the filterbank floor (1e-12) for audio at or below full scale.
 */
export class FftJsMagnitudeSpectra {
  readonly framesPerCall = 2;
  readonly fftLength: number;
  readonly magnitudes: readonly Float64Array[];
  private readonly firstBin: number;
  private readonly window: Float64Array;
  private readonly fft: FFT;
  private readonly realInput: Float64Array;
  private readonly complexInput: Float64Array;
  private readonly spectrum: Float64Array;

  constructor(windowSamples: number, firstBin: number, lastBin: number) {
    this.fftLength = nextPowerOfTwo(windowSamples);
    if (!(Number.isInteger(firstBin) && firstBin >= 0 && lastBin >= firstBin - 1 && lastBin <= this.fftLength / 2)) {
      throw new RangeError(`FftJsMagnitudeSpectra: bins [${firstBin}, ${lastBin}] outside [0, ${this.fftLength / 2}]`);
    }
    this.firstBin = firstBin;
    this.window = periodicHann(windowSamples);
    this.fft = new FFT(this.fftLength);
    // The zero padding past the window is never written, so it stays zero.
    this.realInput = new Float64Array(this.fftLength);
    this.complexInput = new Float64Array(2 * this.fftLength);
    this.spectrum = new Float64Array(2 * this.fftLength);
    this.magnitudes = [0, 1].map(() => new Float64Array(lastBin - firstBin + 1));
  }

  compute(samples: ArrayLike<number>, offsets: readonly number[], count: number): void {
    if (count === 2) this.computePair(samples, offsets[0]!, offsets[1]!);
    else this.computeSingle(samples, offsets[0]!);
  }

  private computeSingle(samples: ArrayLike<number>, offset: number): void {
    const input = this.realInput;
    const window = this.window;
    for (let i = 0; i < window.length; i++) input[i] = samples[offset + i]! * window[i]!;
    this.fft.realTransform(this.spectrum, input);
    const spectrum = this.spectrum;
    const out = this.magnitudes[0]!;
    for (let j = 0, k = this.firstBin; j < out.length; j++, k++) {
      const re = spectrum[2 * k]!;
      const im = spectrum[2 * k + 1]!;
      out[j] = Math.sqrt(re * re + im * im);
    }
  }

  private computePair(samples: ArrayLike<number>, offsetA: number, offsetB: number): void {
    const input = this.complexInput;
    const window = this.window;
    for (let i = 0, j = 0; i < window.length; i++, j += 2) {
      const w = window[i]!;
      input[j] = samples[offsetA + i]! * w;
      input[j + 1] = samples[offsetB + i]! * w;
    }
    this.fft.transform(this.spectrum, input);
    const z = this.spectrum;
    const n = this.fftLength;
    const [outA, outB] = this.magnitudes as [Float64Array, Float64Array];
    for (let j = 0, k = this.firstBin; j < outA.length; j++, k++) {
      // Z[N−k], with Z[N] ≡ Z[0].
      const mirror = k === 0 ? 0 : 2 * (n - k);
      const zr = z[2 * k]!;
      const zi = z[2 * k + 1]!;
      const mr = z[mirror]!;
      const mi = z[mirror + 1]!;
      // 2·A[k] = (zr + mr) + i(zi − mi); 2·B[k] = (zi + mi) − i(zr − mr)
      const aRe = zr + mr;
      const aIm = zi - mi;
      const bRe = zi + mi;
      const bIm = zr - mr;
      outA[j] = 0.5 * Math.sqrt(aRe * aRe + aIm * aIm);
      outB[j] = 0.5 * Math.sqrt(bRe * bRe + bIm * bIm);
    }
  }
}
