/**
 * Training-time augmentation, as ARM's input_data.get_data applies it per sample: time shift with
 * zero padding, then background noise `noise·volume + foreground`, clipped to [−1, 1]. Silence
 * made from noise has no foreground. Validation and testing clips are never augmented.
 */
import type { Random } from '../random.js';

export interface AugmentConfig {
  /** Shift range ±timeShiftMs; the draw is uniform in [−shift, +shift) samples. */
  timeShiftMs: number;
  /** Probability that a clip gets background noise at all. */
  backgroundFrequency: number;
  /** The noise volume is uniform in [0, backgroundVolume). */
  backgroundVolume: number;
}

/** No augmentation: what evaluation uses. */
export const NO_AUGMENTATION: Readonly<AugmentConfig> = Object.freeze({
  timeShiftMs: 0,
  backgroundFrequency: 0,
  backgroundVolume: 0,
});

/** Stored clips are 16-bit PCM values (half the memory of floats; exact for 16-bit WAVs). */
export const PCM_SCALE = 32768;

export function timeShiftSamples(timeShiftMs: number, sampleRate: number): number {
  return Math.trunc((timeShiftMs * sampleRate) / 1000);
}

export function wantsNoise(augment: AugmentConfig): boolean {
  return augment.backgroundFrequency > 0 && augment.backgroundVolume > 0;
}

/** The random choices for one training sample. */
export interface AugmentDraw {
  /** > 0 delays the audio (zeros in front), < 0 advances it (zeros at the end). */
  shift: number;
  noiseIndex: number;
  noiseOffset: number;
  noiseVolume: number;
}

/**
 * Draws in a fixed order whatever the settings, so one seed gives one sequence of choices.
 * `noiseLengths` are the noise recordings' sample counts.
 */
export function drawAugmentation(
  random: Random,
  augment: AugmentConfig,
  maxShift: number,
  noiseLengths: readonly number[],
  clipSamples: number,
): AugmentDraw {
  const shift = maxShift > 0 ? random.int(-maxShift, maxShift) : 0;
  if (noiseLengths.length === 0) return { shift, noiseIndex: -1, noiseOffset: 0, noiseVolume: 0 };
  const noiseIndex = random.int(0, noiseLengths.length);
  const noiseOffset = random.int(0, Math.max(1, noiseLengths[noiseIndex]! - clipSamples));
  const mixed = random.next() < augment.backgroundFrequency;
  const volume = random.uniform(0, augment.backgroundVolume);
  return { shift, noiseIndex, noiseOffset, noiseVolume: mixed ? volume : 0 };
}

/**
 * Writes `clip(noise[offset + i]·volume + foreground[i − shift])` into `out`; a null foreground is
 * silence made from noise, a null noise mixes nothing. Reads past either end are zeros.
 */
export function renderAugmented(
  foreground: Int16Array | null,
  noise: Float32Array | null,
  draw: AugmentDraw,
  out: Float32Array,
): Float32Array {
  const length = out.length;
  const volume = noise ? draw.noiseVolume : 0;
  for (let i = 0; i < length; i++) {
    const source = i - draw.shift;
    const voice = foreground && source >= 0 && source < foreground.length ? foreground[source]! / PCM_SCALE : 0;
    const background = volume > 0 ? (noise![draw.noiseOffset + i] ?? 0) * volume : 0;
    const mixed = background + voice;
    out[i] = mixed > 1 ? 1 : mixed < -1 ? -1 : mixed;
  }
  return out;
}

/** Float samples to stored 16-bit values (rounded, saturated). */
export function toPcm16(samples: Float32Array): Int16Array {
  const pcm = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const value = Math.round(samples[i]! * PCM_SCALE);
    pcm[i] = value > 32767 ? 32767 : value < -32768 ? -32768 : value;
  }
  return pcm;
}
