/**
 * Log mel energies and MFCCs from mel energies, as TensorFlow's `mfcc` op (mfcc.cc,
 * mfcc_dct.cc): floor at 1e-12 → natural log → DCT-II scaled by √(2/N).
 */
import { MelFilterbank, type MelFilterbankOptions } from './mel.js';

/** TF's kFilterbankFloor: energies below it are raised to it before the log. */
export const FILTERBANK_FLOOR = 1e-12;

/** Row-major [coefficientCount][inputLength] matrix: √(2/N)·cos(π/N·(j + 0.5)·k), as MfccDct. */
export function dctMatrix(inputLength: number, coefficientCount: number): Float64Array {
  if (!(Number.isInteger(coefficientCount) && coefficientCount >= 1)) {
    throw new RangeError(`dctMatrix: the coefficient count must be a positive whole number (got ${coefficientCount})`);
  }
  const matrix = new Float64Array(coefficientCount * inputLength);
  const norm = Math.sqrt(2 / inputLength);
  const arg = Math.PI / inputLength;
  for (let k = 0; k < coefficientCount; k++) {
    for (let j = 0; j < inputLength; j++) matrix[k * inputLength + j] = norm * Math.cos(k * arg * (j + 0.5));
  }
  return matrix;
}

/**
 * Turns mel energies (one row per frame) into `outputSize` features: `dctCoefficientCount`
 * MFCCs, or the log mel energies themselves (LFBE) when it is null. Holds scratch buffers: one
 * per user.
 */
export class MelCepstrum {
  readonly outputSize: number;
  private readonly dct: Float64Array | null;
  private readonly logs: Float64Array;

  constructor(channelCount: number, dctCoefficientCount: number | null) {
    this.dct = dctCoefficientCount === null ? null : dctMatrix(channelCount, dctCoefficientCount);
    this.outputSize = dctCoefficientCount ?? channelCount;
    this.logs = new Float64Array(channelCount);
  }

  /** Writes the features of one row of energies to out[outOffset, outOffset + outputSize). */
  compute(energies: ArrayLike<number>, out: Float32Array | Float64Array, outOffset: number): void {
    const logs = this.logs;
    const channels = logs.length;
    for (let c = 0; c < channels; c++) {
      const energy = energies[c]!;
      logs[c] = Math.log(energy < FILTERBANK_FLOOR ? FILTERBANK_FLOOR : energy);
    }
    const dct = this.dct;
    if (dct === null) {
      for (let c = 0; c < channels; c++) out[outOffset + c] = logs[c]!;
      return;
    }
    // Two partial sums halve the chain of dependent additions (measured ~25% faster).
    const pairs = channels - (channels % 2);
    for (let k = 0, row = 0; k < this.outputSize; k++, row += channels) {
      let even = 0;
      let odd = 0;
      for (let c = 0; c < pairs; c += 2) {
        even += dct[row + c]! * logs[c]!;
        odd += dct[row + c + 1]! * logs[c + 1]!;
      }
      if (pairs < channels) even += dct[row + pairs]! * logs[pairs]!;
      out[outOffset + k] = even + odd;
    }
  }
}

/**
 * MFCCs of one power-spectrum row (bin k of `power` at k·sampleRate/(2·(length − 1)) Hz), for
 * checking against TF's own test vectors and for callers with their own spectrum.
 */
export function mfccFromPowerSpectrum(
  power: ArrayLike<number>,
  options: Omit<MelFilterbankOptions, 'spectrumBins'> & { dctCoefficientCount: number },
): Float64Array {
  const filterbank = new MelFilterbank({ ...options, spectrumBins: power.length });
  const { startBin, endBin } = filterbank;
  const magnitudes = Float64Array.from({ length: Math.max(0, endBin - startBin + 1) }, (_, j) =>
    Math.sqrt(power[startBin + j]!),
  );
  const energies = new Float64Array(options.channelCount);
  filterbank.apply(magnitudes, energies);
  const cepstrum = new MelCepstrum(options.channelCount, options.dctCoefficientCount);
  const out = new Float64Array(cepstrum.outputSize);
  cepstrum.compute(energies, out, 0);
  return out;
}
