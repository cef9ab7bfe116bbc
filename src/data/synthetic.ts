/**
 * A generated Speech Commands look-alike: one folder of one-second "keyword" clips per word plus
 * `_background_noise_`, so the whole toolchain can run offline (demo, end-to-end tests).
 *
 * Each word is a fixed sequence of syllables derived from its name: voiced harmonic tones with
 * two formant peaks and a pitch glide, or noise bursts like fricatives. Speakers vary pitch,
 * formant scale, tempo, onset, loudness and add room noise, so a model has to generalise a little.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { encodeWav16 } from '../audio/encode.js';
import { Random } from '../random.js';

export interface SyntheticDatasetOptions {
  dir: string;
  words: readonly string[];
  speakers: number;
  /** Clips per word per speaker. */
  clipsPerSpeaker: number;
  sampleRate?: number;
  seed?: number;
  /** Seconds of each generated background-noise recording. */
  noiseSeconds?: number;
}

export interface SyntheticDatasetSummary {
  dir: string;
  words: string[];
  clips: number;
  noiseFiles: string[];
}

interface Syllable {
  durationS: number;
  voiced: boolean;
  formant1: number;
  formant2: number;
  /** Pitch glide over the syllable, in octaves. */
  glide: number;
  /** Centre of a fricative's noise band. */
  noiseCentre: number;
}

interface Speaker {
  id: string;
  pitch: number;
  formantScale: number;
  tempo: number;
}

function wordSeed(word: string): number {
  return createHash('sha1').update(`kws-synthetic:${word}`).digest().readUInt32BE(0);
}

/** The syllables of a word: fixed by its name, the same in every dataset. */
export function wordRecipe(word: string): Syllable[] {
  const random = new Random(wordSeed(word));
  const count = 1 + random.int(0, 3);
  return Array.from({ length: count }, () => ({
    durationS: random.uniform(0.12, 0.26),
    voiced: random.next() < 0.75,
    formant1: random.uniform(280, 900),
    formant2: random.uniform(900, 2600),
    glide: random.uniform(-0.45, 0.45),
    noiseCentre: random.uniform(1800, 3600),
  }));
}

function makeSpeaker(random: Random): Speaker {
  const id = Array.from({ length: 8 }, () => random.int(0, 16).toString(16)).join('');
  return {
    id,
    pitch: random.uniform(90, 240),
    formantScale: random.uniform(0.9, 1.12),
    tempo: random.uniform(0.85, 1.15),
  };
}

/** Attack/decay envelope of a syllable: raised-cosine edges of 20% each. */
function envelope(t: number): number {
  const edge = 0.2;
  if (t < edge) return 0.5 - 0.5 * Math.cos((Math.PI * t) / edge);
  if (t > 1 - edge) return 0.5 - 0.5 * Math.cos((Math.PI * (1 - t)) / edge);
  return 1;
}

function renderVoiced(
  out: Float32Array,
  start: number,
  length: number,
  syllable: Syllable,
  speaker: Speaker,
  sampleRate: number,
): void {
  const f1 = syllable.formant1 * speaker.formantScale;
  const f2 = syllable.formant2 * speaker.formantScale;
  const bandwidth = 180;
  let phase = 0;
  for (let i = 0; i < length && start + i < out.length; i++) {
    const t = i / length;
    const f0 = speaker.pitch * Math.pow(2, syllable.glide * t);
    phase += (2 * Math.PI * f0) / sampleRate;
    let value = 0;
    for (let h = 1; h * f0 < 4000; h++) {
      const f = h * f0;
      const weight = Math.exp(-(((f - f1) / bandwidth) ** 2)) + 0.7 * Math.exp(-(((f - f2) / bandwidth) ** 2)) + 0.02;
      value += weight * Math.sin(h * phase);
    }
    out[start + i]! += 0.25 * value * envelope(t);
  }
}

/** Band-limited noise through a two-pole resonator: a fricative-like burst. */
function renderFricative(
  out: Float32Array,
  start: number,
  length: number,
  syllable: Syllable,
  speaker: Speaker,
  sampleRate: number,
  random: Random,
): void {
  const centre = syllable.noiseCentre * speaker.formantScale;
  const r = 0.95;
  const a1 = -2 * r * Math.cos((2 * Math.PI * centre) / sampleRate);
  const a2 = r * r;
  let y1 = 0;
  let y2 = 0;
  for (let i = 0; i < length && start + i < out.length; i++) {
    const y = random.uniform(-1, 1) - a1 * y1 - a2 * y2;
    y2 = y1;
    y1 = y;
    out[start + i]! += 0.08 * y * envelope(i / length);
  }
}

export function renderWord(word: string, speaker: Speaker, random: Random, sampleRate: number): Float32Array {
  const out = new Float32Array(sampleRate);
  const syllables = wordRecipe(word);
  const total = syllables.reduce((sum, s) => sum + s.durationS * speaker.tempo, 0) + 0.04 * (syllables.length - 1);
  let cursor = Math.floor(random.uniform(0.05, Math.max(0.06, 0.95 - total)) * sampleRate);
  for (const syllable of syllables) {
    const length = Math.floor(syllable.durationS * speaker.tempo * random.uniform(0.95, 1.05) * sampleRate);
    if (syllable.voiced) renderVoiced(out, cursor, length, syllable, speaker, sampleRate);
    else renderFricative(out, cursor, length, syllable, speaker, sampleRate, random);
    cursor += length + Math.floor(0.04 * sampleRate);
  }
  const gain = random.uniform(0.3, 0.9);
  let peak = 1e-9;
  for (const v of out) peak = Math.max(peak, Math.abs(v));
  const roomNoise = random.uniform(0.001, 0.01);
  for (let i = 0; i < out.length; i++) out[i] = (out[i]! / peak) * gain + roomNoise * random.normal();
  return out;
}

/** White, pink-ish and hum-like noise recordings for the background-noise augmentation. */
function renderNoise(
  kind: 'white' | 'pink' | 'hum',
  seconds: number,
  sampleRate: number,
  random: Random,
): Float32Array {
  const out = new Float32Array(Math.floor(seconds * sampleRate));
  let lowpass = 0;
  for (let i = 0; i < out.length; i++) {
    const white = random.uniform(-1, 1);
    if (kind === 'white') out[i] = 0.3 * white;
    else if (kind === 'pink') {
      lowpass = 0.97 * lowpass + 0.03 * white;
      out[i] = 2.5 * lowpass + 0.05 * white;
    } else {
      const t = i / sampleRate;
      out[i] = 0.2 * Math.sin(2 * Math.PI * 50 * t) + 0.1 * Math.sin(2 * Math.PI * 150 * t) + 0.05 * white;
    }
  }
  return out;
}

export function generateSyntheticDataset(options: SyntheticDatasetOptions): SyntheticDatasetSummary {
  const sampleRate = options.sampleRate ?? 16000;
  const random = new Random(options.seed ?? 1234);
  const speakers = Array.from({ length: options.speakers }, () => makeSpeaker(random));
  let clips = 0;
  for (const word of options.words) {
    const folder = path.join(options.dir, word);
    fs.mkdirSync(folder, { recursive: true });
    for (const speaker of speakers) {
      for (let n = 0; n < options.clipsPerSpeaker; n++) {
        const samples = renderWord(word, speaker, random, sampleRate);
        fs.writeFileSync(path.join(folder, `${speaker.id}_nohash_${n}.wav`), encodeWav16(samples, sampleRate));
        clips++;
      }
    }
  }
  const noiseDir = path.join(options.dir, '_background_noise_');
  fs.mkdirSync(noiseDir, { recursive: true });
  const noiseFiles = (['white', 'pink', 'hum'] as const).map((kind) => {
    const file = path.join(noiseDir, `${kind}_noise.wav`);
    fs.writeFileSync(file, encodeWav16(renderNoise(kind, options.noiseSeconds ?? 10, sampleRate, random), sampleRate));
    return file;
  });
  return { dir: options.dir, words: [...options.words], clips, noiseFiles };
}
