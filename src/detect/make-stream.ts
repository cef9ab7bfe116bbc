/**
 * A long test stream for `kws detect`: one-second clips from a labelled folder (Speech Commands
 * layout, clips of the `testing` set only, so a model trained with the same split never heard
 * them) placed at known times over background noise, plus the truth CSV beside it (OUT.csv,
 * `time_s` = centre of each placed clip, see evaluation.ts). The WAV (16-bit mono PCM) is
 * written block by block, so memory does not grow with the duration.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readWav, loadClip, resample } from '../audio/wav.js';
import { writeFileAtomic } from '../atomic.js';
import {
  BACKGROUND_NOISE_FOLDER,
  SILENCE_LABEL,
  UNKNOWN_LABEL,
  buildIndex,
  type SplitRule,
} from '../data/dataset-index.js';
import { KwsError, UsageError } from '../errors.js';
import type { SetName } from '../data/split.js';
import { Random } from '../random.js';
import type { RunConfig } from '../run/config.js';
import { formatTruthCsv, type TruthEvent } from './evaluation.js';

export interface MakeStreamOptions {
  out: string;
  dataDir: string;
  durationS: number;
  /** Folders to take clips from; default every folder but `_background_noise_` and `_silence_`. */
  words?: readonly string[];
  /** Mean silence between clips; each gap is uniform in [gap/2, 3·gap/2]. */
  gapS: number;
  /** Gain of the background noise (the clips are mixed in at their own level). */
  noiseVolume: number;
  seed: number;
  sampleRate: number;
  clipDurationMs: number;
  split: SplitRule;
  splitSalt: string;
  validationPercentage: number;
  testingPercentage: number;
  /** The split the clips come from (default testing: speakers the model never heard). */
  set?: SetName;
}

/** A run's clip format and split: the stream options that make its clips the ones it was trained and split on. */
export function runStreamSource(
  run: RunConfig,
): Pick<
  MakeStreamOptions,
  'dataDir' | 'sampleRate' | 'clipDurationMs' | 'split' | 'splitSalt' | 'validationPercentage' | 'testingPercentage'
> {
  return {
    dataDir: run.data.dataDir,
    sampleRate: run.feature.sampleRate,
    clipDurationMs: run.feature.clipDurationMs,
    split: run.data.split,
    splitSalt: run.data.splitSalt,
    validationPercentage: run.data.validationPercentage,
    testingPercentage: run.data.testingPercentage,
  };
}

export interface Placement {
  startSample: number;
  word: string;
  file: string;
}

export interface MakeStreamResult {
  wavPath: string;
  truthPath: string;
  seconds: number;
  placements: Placement[];
  truth: TruthEvent[];
  /** Where the background came from. */
  noise: 'files' | 'generated';
}

const BLOCK_SECONDS = 10;

export function truthPathFor(wavPath: string): string {
  return wavPath.toLowerCase().endsWith('.wav') ? `${wavPath.slice(0, -4)}.csv` : `${wavPath}.csv`;
}

/** The clips of each requested word in one split, by the split rules of `kws train` (testing by default). */
export function streamClips(options: MakeStreamOptions): Map<string, string[]> {
  const set = options.set ?? 'testing';
  if (!fs.existsSync(options.dataDir)) throw new KwsError(`--data-dir ${options.dataDir} does not exist`);
  const folders = fs
    .readdirSync(options.dataDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== BACKGROUND_NOISE_FOLDER)
    .map((entry) => entry.name.toLowerCase());
  const words = options.words ?? folders.filter((word) => word !== SILENCE_LABEL);
  const missing = words.filter((word) => !folders.includes(word));
  if (missing.length > 0)
    throw new KwsError(
      `--words ${missing.join(',')}: no such folder in ${options.dataDir} (found: ${folders.sort().join(', ')})`,
    );
  // buildIndex needs one ordinary word to validate; the files' sets do not depend on which.
  const ordinary = words.filter((word) => word !== SILENCE_LABEL && word !== UNKNOWN_LABEL);
  if (ordinary.length === 0)
    throw new UsageError('--words must include at least one word folder besides _silence_ and _unknown_');
  const index = buildIndex({
    dataDir: options.dataDir,
    wantedWords: ordinary.slice(0, 1),
    split: options.split,
    splitSalt: options.splitSalt,
    validationPercentage: options.validationPercentage,
    testingPercentage: options.testingPercentage,
    silencePercentage: 0,
    unknownPercentage: 0,
    seed: options.seed,
  });
  const clips = new Map<string, string[]>();
  for (const file of index.files) {
    if (file.set !== set || !words.includes(file.word)) continue;
    clips.set(file.word, [...(clips.get(file.word) ?? []), file.path]);
  }
  if (clips.size === 0) {
    throw new KwsError(
      `no ${set}-set clips of ${words.join(',')} in ${options.dataDir} under --split ${options.split}` +
        `${options.split === 'hash' ? ` (salt '${options.splitSalt}')` : ''}` +
        `${set === 'testing' ? '; try --split all to use every clip' : ''}`,
    );
  }
  return clips;
}

/** Clip positions: gaps uniform in [gap/2, 3·gap/2], words in turn at random, each word's clips shuffled and cycled. */
function placeClips(
  clips: Map<string, string[]>,
  totalSamples: number,
  clipSamples: number,
  options: MakeStreamOptions,
  random: Random,
): Placement[] {
  const words = [...clips.keys()].sort();
  const queues = new Map(words.map((word) => [word, random.shuffle([...clips.get(word)!])]));
  const used = new Map(words.map((word) => [word, 0]));
  const gap = () => Math.round(options.gapS * random.uniform(0.5, 1.5) * options.sampleRate);
  const placements: Placement[] = [];
  for (let start = gap(); start + clipSamples <= totalSamples; start += clipSamples + gap()) {
    const word = random.pick(words);
    const queue = queues.get(word)!;
    const n = used.get(word)!;
    used.set(word, n + 1);
    placements.push({ startSample: start, word, file: queue[n % queue.length]! });
  }
  return placements;
}

/** Fills consecutive blocks with background: the noise files end to end in random order (from a random offset), or generated noise. */
function noiseSource(
  dataDir: string,
  sampleRate: number,
  random: Random,
): { kind: 'files' | 'generated'; fill: (out: Float32Array) => void } {
  const folder = path.join(dataDir, BACKGROUND_NOISE_FOLDER);
  const files = fs.existsSync(folder)
    ? fs
        .readdirSync(folder)
        .filter((name) => name.toLowerCase().endsWith('.wav'))
        .sort()
    : [];
  const recordings = files
    .map((name) => {
      const wav = readWav(path.join(folder, name));
      return wav.sampleRate === sampleRate ? wav.samples : resample(wav.samples, wav.sampleRate, sampleRate);
    })
    .filter((samples) => samples.length > 0);
  if (recordings.length > 0) {
    let current = random.pick(recordings);
    let position = random.int(0, current.length);
    return {
      kind: 'files',
      fill(out) {
        for (let i = 0; i < out.length; i++) {
          if (position >= current.length) {
            current = random.pick(recordings);
            position = 0;
          }
          out[i] = current[position++]!;
        }
      },
    };
  }
  // Brown-ish noise (white through a one-pole low-pass) at about 0.3 RMS, like a room.
  let lowpass = 0;
  return {
    kind: 'generated',
    fill(out) {
      for (let i = 0; i < out.length; i++) {
        lowpass = 0.97 * lowpass + 0.03 * random.uniform(-1, 1);
        out[i] = 4 * lowpass + 0.05 * random.uniform(-1, 1);
      }
    },
  };
}

function pcm16Header(samples: number, sampleRate: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + samples * 2, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(samples * 2, 40);
  return header;
}

function validate(options: MakeStreamOptions, clipSamples: number): number {
  if (!(options.durationS > 0)) throw new UsageError(`--duration-s must be positive (got ${options.durationS})`);
  if (!(options.gapS >= 0)) throw new UsageError(`--gap-s must be at least 0 (got ${options.gapS})`);
  if (!(options.noiseVolume >= 0))
    throw new UsageError(`--noise-volume must be at least 0 (got ${options.noiseVolume})`);
  const totalSamples = Math.round(options.durationS * options.sampleRate);
  if (totalSamples < clipSamples)
    throw new UsageError(`--duration-s ${options.durationS} is shorter than one clip (${options.clipDurationMs} ms)`);
  return totalSamples;
}

/** Noise × volume plus the clips, block by block, as 16-bit PCM (little-endian, as Int16Array is on every supported CPU). */
function writeMix(
  fd: number,
  totalSamples: number,
  clipSamples: number,
  placements: readonly Placement[],
  fillNoise: (out: Float32Array) => void,
  options: MakeStreamOptions,
): void {
  const blockSamples = BLOCK_SECONDS * options.sampleRate;
  const block = new Float32Array(blockSamples);
  const pcm = new Int16Array(blockSamples);
  const loaded = new Map<Placement, Float32Array>();
  let next = 0;
  for (let blockStart = 0; blockStart < totalSamples; blockStart += blockSamples) {
    const length = Math.min(blockSamples, totalSamples - blockStart);
    const view = block.subarray(0, length);
    fillNoise(view);
    for (let i = 0; i < length; i++) view[i]! *= options.noiseVolume;
    while (next < placements.length && placements[next]!.startSample < blockStart + length) {
      const placement = placements[next++]!;
      loaded.set(placement, loadClip(placement.file, { sampleRate: options.sampleRate, desiredSamples: clipSamples }));
    }
    for (const [placement, clip] of loaded) {
      const from = Math.max(blockStart, placement.startSample);
      const to = Math.min(blockStart + length, placement.startSample + clipSamples);
      for (let s = from; s < to; s++) view[s - blockStart]! += clip[s - placement.startSample]!;
      if (placement.startSample + clipSamples <= blockStart + length) loaded.delete(placement);
    }
    for (let i = 0; i < length; i++) {
      const v = Math.round(view[i]! * 32768);
      pcm[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    fs.writeSync(fd, pcm.subarray(0, length));
  }
}

export function makeStream(options: MakeStreamOptions): MakeStreamResult {
  const clipSamples = Math.trunc((options.sampleRate * options.clipDurationMs) / 1000);
  const totalSamples = validate(options, clipSamples);
  const random = new Random(options.seed);
  const placements = placeClips(streamClips(options), totalSamples, clipSamples, options, random);
  const noise = noiseSource(options.dataDir, options.sampleRate, random);

  fs.mkdirSync(path.dirname(path.resolve(options.out)), { recursive: true });
  const temp = `${options.out}.tmp-${process.pid}`;
  try {
    const fd = fs.openSync(temp, 'w');
    try {
      fs.writeSync(fd, pcm16Header(totalSamples, options.sampleRate));
      writeMix(fd, totalSamples, clipSamples, placements, noise.fill, options);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, options.out);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  const truth = placements.map((p) => ({
    timeS: (p.startSample + clipSamples / 2) / options.sampleRate,
    word: p.word,
  }));
  const truthPath = truthPathFor(options.out);
  writeFileAtomic(truthPath, formatTruthCsv(truth));
  return {
    wavPath: options.out,
    truthPath,
    seconds: totalSamples / options.sampleRate,
    placements,
    truth,
    noise: noise.kind,
  };
}
