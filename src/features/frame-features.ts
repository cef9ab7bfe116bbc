/**
 * Frames → feature rows (window, FFT, mel filterbank, log, DCT), the expensive part of feature
 * extraction, behind one interface with two engines: WebAssembly SIMD (wasm-features.ts, four
 * frames per pass) and plain JavaScript on fft.js (below). Both compute in float64 like
 * TensorFlow's ops and agree to ~1e-12.
 */
import { resolveEngine, type Engine } from '../wasm/engine.js';
import type { MelFilterbank } from './mel.js';
import { MelCepstrum } from './mfcc.js';
import { FftJsMagnitudeSpectra } from './spectrogram.js';
import { WasmFrameFeatures } from './wasm-features.js';

/** Feature rows of up to `framesPerCall` frames per call. Not safe to share between concurrent users. */
export interface FrameFeatures {
  readonly engine: Exclude<Engine, 'auto'>;
  readonly framesPerCall: number;
  /** Values per row: the DCT coefficient count, or the channel count for log mel energies. */
  readonly coefficients: number;
  /**
   * Makes samples[from, to) the audio the next `compute` calls read (the WebAssembly engine
   * copies it into its memory; offsets stay indices into `samples`).
   */
  load(samples: Float32Array, from?: number, to?: number): void;
  /**
   * Frame f starts at samples[offsets[f]] of the loaded audio and its row goes to
   * out[outOffset + f·coefficients, …), for f < count (count ≤ framesPerCall).
   */
  compute(offsets: readonly number[], count: number, out: Float32Array, outOffset: number): void;
}

/** The fft.js engine: magnitude spectra, then filterbank and cepstrum in JavaScript. */
class FftJsFrameFeatures implements FrameFeatures {
  readonly engine = 'js';
  readonly framesPerCall: number;
  readonly coefficients: number;
  private readonly spectra: FftJsMagnitudeSpectra;
  private readonly cepstrum: MelCepstrum;
  private readonly energies: Float64Array;
  private samples: Float32Array = new Float32Array(0);

  constructor(
    windowSamples: number,
    private readonly filterbank: MelFilterbank,
    dctCoefficientCount: number | null,
  ) {
    this.spectra = new FftJsMagnitudeSpectra(windowSamples, filterbank.startBin, filterbank.endBin);
    this.framesPerCall = this.spectra.framesPerCall;
    this.cepstrum = new MelCepstrum(filterbank.channelCount, dctCoefficientCount);
    this.coefficients = this.cepstrum.outputSize;
    this.energies = new Float64Array(filterbank.channelCount);
  }

  load(samples: Float32Array): void {
    this.samples = samples;
  }

  compute(offsets: readonly number[], count: number, out: Float32Array, outOffset: number): void {
    this.spectra.compute(this.samples, offsets, count);
    for (let f = 0; f < count; f++) {
      this.filterbank.apply(this.spectra.magnitudes[f]!, this.energies);
      this.cepstrum.compute(this.energies, out, outOffset + f * this.coefficients);
    }
  }
}

/** MFCCs with `dctCoefficientCount` coefficients, or log mel energies (LFBE) when it is null. */
export function createFrameFeatures(
  windowSamples: number,
  filterbank: MelFilterbank,
  dctCoefficientCount: number | null,
  engine: Engine = 'auto',
): FrameFeatures {
  return resolveEngine(engine) === 'wasm'
    ? new WasmFrameFeatures(windowSamples, filterbank, dctCoefficientCount)
    : new FftJsFrameFeatures(windowSamples, filterbank, dctCoefficientCount);
}
