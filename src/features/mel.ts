/**
 * The mel filterbank of TensorFlow's `mfcc` op (mfcc_mel_filterbank.cc), reproduced exactly:
 * HTK mel scale, channel+1 centre points spaced evenly in mel between the limits, usable bins
 * [int(1.5 + lower/hzPerBin), int(upper/hzPerBin)], and each bin's magnitude split between the
 * channel whose falling edge it is on (weight w) and the next channel (1 − w).
 */

export interface MelFilterbankOptions {
  /** Power-spectrum bins per frame (fftLength / 2 + 1). */
  spectrumBins: number;
  sampleRate: number;
  channelCount: number;
  lowerFrequencyLimit: number;
  upperFrequencyLimit: number;
}

/** HTK mel scale, as TF's FreqToMel. */
export function hertzToMel(frequency: number): number {
  return 1127 * Math.log1p(frequency / 700);
}

export class MelFilterbank {
  readonly channelCount: number;
  /** First and last (inclusive) spectrum bins that contribute. */
  readonly startBin: number;
  readonly endBin: number;
  /**
   * Per usable bin (index 0 = startBin): TF's band mapper + 1, the channel that gets the bin's
   * `weights` share offset by one (0 = none), the next channel getting the rest.
   */
  readonly leftSlot: Int32Array;
  readonly weights: Float64Array;
  /** Channel sums with a slot before channel 0 and after the last, so no write needs a bounds check. */
  private readonly sums: Float64Array;

  constructor(options: MelFilterbankOptions) {
    const { spectrumBins, sampleRate, channelCount, lowerFrequencyLimit, upperFrequencyLimit } = options;
    if (!(
      spectrumBins >= 2 &&
      channelCount >= 1 &&
      sampleRate > 0 &&
      lowerFrequencyLimit >= 0 &&
      upperFrequencyLimit > lowerFrequencyLimit
    )) {
      throw new RangeError(`MelFilterbank: invalid settings ${JSON.stringify(options)}`);
    }
    this.channelCount = channelCount;
    const melLow = hertzToMel(lowerFrequencyLimit);
    const melSpacing = (hertzToMel(upperFrequencyLimit) - melLow) / (channelCount + 1);
    // centres[c] for c = 0..channelCount; the extra one is the top edge of the last triangle.
    const centres = new Float64Array(channelCount + 1);
    for (let i = 0; i <= channelCount; i++) centres[i] = melLow + melSpacing * (i + 1);

    // DC is always excluded, as in HTK.
    const hzPerBin = (0.5 * sampleRate) / (spectrumBins - 1);
    this.startBin = Math.trunc(1.5 + lowerFrequencyLimit / hzPerBin);
    this.endBin = Math.min(Math.trunc(upperFrequencyLimit / hzPerBin), spectrumBins - 1);
    const usable = Math.max(0, this.endBin - this.startBin + 1);
    this.leftSlot = new Int32Array(usable);
    this.weights = new Float64Array(usable);
    let channel = 0;
    for (let j = 0; j < usable; j++) {
      const mel = hertzToMel((this.startBin + j) * hzPerBin);
      while (channel < channelCount && centres[channel]! < mel) channel++;
      const band = channel - 1; // may be −1: the rising edge of channel 0 only
      this.leftSlot[j] = band + 1;
      this.weights[j] =
        band >= 0
          ? (centres[band + 1]! - mel) / (centres[band + 1]! - centres[band]!)
          : (centres[0]! - mel) / (centres[0]! - melLow);
    }
    this.sums = new Float64Array(channelCount + 2);
  }

  /**
   * out[c] = Σ over usable bins of weight · |X[bin]| (the op filters magnitudes, not powers);
   * `magnitudes[j]` is bin startBin + j. Bins come in band order, so the two channels a bin
   * feeds are summed in local variables and stored when the band changes: the same additions in
   * the same order as TF's per-bin loop, without a store-to-load dependency per bin (measured
   * ~25% faster).
   */
  apply(magnitudes: ArrayLike<number>, out: Float64Array): void {
    const sums = this.sums;
    sums.fill(0);
    const leftSlot = this.leftSlot;
    const weights = this.weights;
    let slot = leftSlot.length > 0 ? leftSlot[0]! : 0;
    // `falling` sums the channel of this band (slot), `rising` the next one (slot + 1).
    let falling = 0;
    let rising = 0;
    for (let j = 0; j < leftSlot.length; j++) {
      const binSlot = leftSlot[j]!;
      if (binSlot !== slot) {
        sums[slot] = falling;
        if (binSlot === slot + 1) {
          falling = rising;
        } else {
          // Channels in between got no bins (narrow channels at low frequencies).
          sums[slot + 1] = rising;
          falling = 0;
        }
        rising = 0;
        slot = binSlot;
      }
      const magnitude = magnitudes[j]!;
      const weighted = magnitude * weights[j]!;
      falling += weighted;
      rising += magnitude - weighted;
    }
    sums[slot] = falling;
    sums[slot + 1] = rising;
    for (let c = 0; c < this.channelCount; c++) out[c] = sums[c + 1]!;
  }
}
