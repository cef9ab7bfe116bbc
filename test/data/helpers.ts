/** Generated Speech Commands look-alike folders for the data tests (no /work/shared needed). */
import fs from 'node:fs';
import path from 'node:path';
import { encodeWav16 } from '../../src/audio/encode.js';
import type { DataConfig } from '../../src/data/dataset-index.js';
import { Random } from '../../src/random.js';

/** A clip whose sample i is a recognisable ramp, so shifts and mixing can be checked exactly. */
export function rampClip(length: number, amplitude = 0.5): Float32Array {
  const clip = new Float32Array(length);
  for (let i = 0; i < length; i++) clip[i] = Math.round(((i % 200) / 200 - 0.5) * amplitude * 32768) / 32768;
  return clip;
}

export function writeWav(file: string, samples: Float32Array, sampleRate = 16000): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, encodeWav16(samples, sampleRate));
}

export interface FolderSpec {
  /** word → file names in that folder. */
  words: Record<string, string[]>;
  /** Noise recordings (seconds each); none gives no `_background_noise_` folder. */
  noiseSeconds?: number[];
  sampleRate?: number;
  seed?: number;
}

/** Writes short noisy tone clips for every listed name, and noise recordings. */
export function makeDataset(dir: string, spec: FolderSpec): string {
  const sampleRate = spec.sampleRate ?? 16000;
  const random = new Random(spec.seed ?? 7);
  for (const [word, names] of Object.entries(spec.words)) {
    for (const name of names) {
      const clip = new Float32Array(sampleRate);
      const pitch = random.uniform(200, 800);
      for (let i = 0; i < clip.length; i++)
        clip[i] = 0.3 * Math.sin((2 * Math.PI * pitch * i) / sampleRate) + 0.01 * random.uniform(-1, 1);
      writeWav(path.join(dir, word, name), clip, sampleRate);
    }
  }
  (spec.noiseSeconds ?? []).forEach((seconds, n) => {
    const noise = new Float32Array(Math.round(seconds * sampleRate));
    for (let i = 0; i < noise.length; i++) noise[i] = random.uniform(-0.5, 0.5);
    writeWav(path.join(dir, '_background_noise_', `noise_${n}.wav`), noise, sampleRate);
  });
  return dir;
}

/** `count` file names of `speakers` distinct speakers, `<speaker>_nohash_<n>.wav`. */
export function speakerNames(prefix: string, speakers: number, perSpeaker: number): string[] {
  const names: string[] = [];
  for (let s = 0; s < speakers; s++)
    for (let n = 0; n < perSpeaker; n++) names.push(`${prefix}${s.toString(16).padStart(6, '0')}_nohash_${n}.wav`);
  return names;
}

/** Indexing settings for the `yes`/`no` tests: ARM's 10% validation, testing, silence and unknown shares. */
export function dataConfig(dataDir: string, overrides: Partial<DataConfig> = {}): DataConfig {
  return {
    dataDir,
    wantedWords: ['yes', 'no'],
    split: 'hash',
    splitSalt: '',
    validationPercentage: 10,
    testingPercentage: 10,
    silencePercentage: 10,
    unknownPercentage: 10,
    seed: 1,
    ...overrides,
  };
}
