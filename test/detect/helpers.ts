import { encodeWav16 } from '../../src/audio/encode.js';
import { DEFAULT_FEATURE_CONFIG, type FeatureConfig } from '../../src/features/config.js';
import type { ScoringModel } from '../../src/detect/detector.js';
import { Random } from '../../src/random.js';

export const RATE = 16000;
export const FAKE_LABELS = ['_silence_', '_unknown_', 'low', 'high'];

/**
 * A stand-in classifier whose scores follow from the features in a known way: each frame votes
 * `_unknown_` for loud noise (c0 > 0), else `low` or `high` for a tone over the quiet background
 * (c0 > −26.5; quiet frames sit near −29, tones at −25…−17) by the sign of c1 (spectral tilt),
 * else `_silence_`; a window's scores are the shares of the votes.
 */
export function fakeModel(feature: FeatureConfig = DEFAULT_FEATURE_CONFIG): ScoringModel & { calls: number[] } {
  const coefficients = feature.dctCoefficientCount;
  const calls: number[] = [];
  return {
    labels: FAKE_LABELS,
    feature,
    calls,
    scores(x: Float32Array): Float32Array {
      const frames = Math.round((feature.clipDurationMs - feature.windowSizeMs) / feature.windowStrideMs + 1);
      const size = frames * coefficients;
      const rows = x.length / size;
      calls.push(rows);
      const out = new Float32Array(rows * FAKE_LABELS.length);
      for (let r = 0; r < rows; r++) {
        for (let f = 0; f < frames; f++) {
          const c0 = x[r * size + f * coefficients]!;
          const c1 = x[r * size + f * coefficients + 1]!;
          const vote = c0 > 0 ? 1 : c0 > -26.5 ? (c1 > 0 ? 2 : 3) : 0;
          out[r * FAKE_LABELS.length + vote]! += 1 / frames;
        }
      }
      return out;
    },
  };
}

export interface Burst {
  kind: 'low' | 'high' | 'noise';
  startS: number;
  durationS: number;
}

/** Quiet noise with tone bursts (the fake model's keywords) and loud noise bursts (its unknown). */
export function renderScene(seconds: number, bursts: readonly Burst[], seed = 1): Float32Array {
  const random = new Random(seed);
  const out = new Float32Array(Math.round(seconds * RATE));
  for (let i = 0; i < out.length; i++) out[i] = 0.001 * random.uniform(-1, 1);
  for (const burst of bursts) {
    const start = Math.round(burst.startS * RATE);
    const end = Math.min(out.length, start + Math.round(burst.durationS * RATE));
    const frequency = burst.kind === 'low' ? 300 : 2500;
    for (let i = start; i < end; i++) {
      out[i]! +=
        burst.kind === 'noise' ? 0.5 * random.uniform(-1, 1) : 0.5 * Math.sin((2 * Math.PI * frequency * i) / RATE);
    }
  }
  return out;
}

export function wavBytes(samples: Float32Array, rate = RATE): Uint8Array {
  return encodeWav16(samples, rate);
}

/** The bytes in pieces of `size` (the last one shorter), as a file or pipe delivers them. */
export async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, Math.min(bytes.length, i + size));
}

/** Samples as the 16-bit file stores them (what a decoder of its bytes returns). */
export function asPcm16(samples: Float32Array): Float32Array {
  return Float32Array.from(samples, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))) / 32768);
}
