/**
 * Seeded int16 test clips for the front end: silence, tones, chirps, noise at loudnesses from
 * full scale down to a few LSB, and speech-like generated words (src/data/synthetic.ts).
 */
import { renderWord } from '../../src/data/synthetic.js';
import { Random } from '../../src/random.js';

export interface TestClip {
  name: string;
  pcm: Int16Array;
}

const FULL_SCALE = 32768;
/** Peak amplitudes as fractions of full scale: full, -20 dB, -50 dB, and about 3 LSB. */
const LOUDNESSES: ReadonlyArray<[string, number]> = [
  ['full scale', 32767 / FULL_SCALE],
  ['-20 dBFS', 0.1],
  ['-50 dBFS', 0.00316],
  ['3 LSB', 3 / FULL_SCALE],
];

/** Rounds to int16 as a WAV writer does (encodeWav16), saturating. */
function toPcm(samples: ArrayLike<number>): Int16Array {
  return Int16Array.from({ length: samples.length }, (_, i) => {
    const value = Math.round(samples[i]! * FULL_SCALE);
    return value > 32767 ? 32767 : value < -32768 ? -32768 : value;
  });
}

function generate(length: number, sample: (i: number) => number): Int16Array {
  return toPcm(Float64Array.from({ length }, (_, i) => sample(i)));
}

export function testClips(sampleRate: number, length: number, seed: number): TestClip[] {
  const random = new Random(seed);
  const nyquist = sampleRate / 2;
  const seconds = length / sampleRate;
  const clips: TestClip[] = [{ name: 'silence', pcm: new Int16Array(length) }];
  for (const [loudness, peak] of LOUDNESSES) {
    // Random frequencies: a tone locked to the frame shift (1 kHz at 20 ms) repeats one frame
    // throughout, and one value near a rounding boundary would count once per frame.
    for (let n = 0; n < 3; n++) {
      const frequency = random.uniform(60, 0.95 * nyquist);
      const phase = random.uniform(0, 2 * Math.PI);
      clips.push({
        name: `${frequency.toFixed(1)} Hz tone, ${loudness}`,
        pcm: generate(length, (i) => peak * Math.sin((2 * Math.PI * frequency * i) / sampleRate + phase)),
      });
    }
    // Linear sweep from 30 Hz to 95% of Nyquist: phase = 2π(f0·t + (f1 − f0)·t² / 2T).
    const [f0, f1] = [30, 0.95 * nyquist];
    clips.push({
      name: `chirp, ${loudness}`,
      pcm: generate(length, (i) => {
        const t = i / sampleRate;
        return peak * Math.sin(2 * Math.PI * (f0 * t + ((f1 - f0) * t * t) / (2 * seconds)));
      }),
    });
    clips.push({ name: `white noise, ${loudness}`, pcm: generate(length, () => peak * random.uniform(-1, 1)) });
    clips.push({
      name: `gaussian noise, ${loudness}`,
      pcm: generate(length, () => (peak / 3) * random.normal()),
    });
  }
  const words = ['yes', 'no', 'stop', 'seven', 'marvin', 'house'];
  words.forEach((word, n) => {
    const speaker = {
      id: `s${n}`,
      pitch: random.uniform(90, 240),
      formantScale: random.uniform(0.9, 1.12),
      tempo: random.uniform(0.85, 1.15),
    };
    const spoken = renderWord(word, speaker, random, sampleRate).subarray(0, length);
    // Words are rendered one second long; longer clips get silence after them.
    const padded = new Float32Array(length);
    padded.set(spoken);
    const quiet = n % 2 === 1;
    clips.push({
      name: `word "${word}"${quiet ? ', -40 dB' : ''}`,
      pcm: toPcm(quiet ? padded.map((v) => v * 0.01) : padded),
    });
  });
  return clips;
}
