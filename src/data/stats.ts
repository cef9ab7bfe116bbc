/**
 * Dataset statistics per label and set: clips, speakers, duration, loudness (RMS and peak in dBFS),
 * clipped and near-silent clips. Frame energies come from meyda; clips are measured as stored
 * (no resampling, no padding to the clip length).
 */
import meydaImport from 'meyda';
import { readWav } from '../audio/wav.js';
import { KwsError, errorMessage } from '../errors.js';
import { skippedWarning } from './warnings.js';
import type { DatasetIndex } from './dataset-index.js';
import { SET_NAMES, type SetName } from './split.js';

// meyda's types declare an ES default export, but Node loads its CommonJS build, whose
// module.exports is that object itself.
const Meyda = meydaImport as unknown as typeof meydaImport.default;

/** meyda only takes power-of-two buffers, so clips are measured in frames of this size. */
const FRAME = 512;
/** Levels below this are reported as this (digital silence has no finite dBFS). */
export const FLOOR_DBFS = -120;
export const CLIPPED_PEAK = 0.999;
export const NEAR_SILENT_DBFS = -50;

export interface ClipLevels {
  durationSeconds: number;
  rmsDbfs: number;
  peakDbfs: number;
}

function dbfs(amplitude: number): number {
  return amplitude > 0 ? Math.max(FLOOR_DBFS, 20 * Math.log10(amplitude)) : FLOOR_DBFS;
}

export function measureClip(samples: Float32Array, sampleRate: number): ClipLevels {
  Meyda.bufferSize = FRAME;
  Meyda.sampleRate = sampleRate;
  // Energy of the raw samples, not of a Hann-windowed frame.
  Meyda.windowingFunction = 'rect';
  const frame = new Float32Array(FRAME);
  let sumOfSquares = 0;
  let peak = 0;
  for (let start = 0; start < samples.length; start += FRAME) {
    const part = samples.subarray(start, start + FRAME);
    frame.fill(0);
    frame.set(part);
    // Zero padding of the last frame adds nothing to the energy.
    sumOfSquares += Meyda.extract(['energy'], frame)?.energy ?? 0;
    for (const value of part) peak = Math.max(peak, Math.abs(value));
  }
  const rms = samples.length > 0 ? Math.sqrt(sumOfSquares / samples.length) : 0;
  return { durationSeconds: samples.length / sampleRate, rmsDbfs: dbfs(rms), peakDbfs: dbfs(peak) };
}

/** The speaker id of a Speech Commands name: before `_nohash_`, after any `word_` prefix (`_unknown_` clips of the test archive). */
export function speakerOf(fileName: string): string | null {
  const cut = fileName.indexOf('_nohash_');
  if (cut === -1) return null;
  const prefix = fileName.slice(0, cut);
  return prefix.slice(prefix.lastIndexOf('_') + 1);
}

export interface StatsRow {
  label: string;
  /** A set, or 'all' for the total over sets. */
  set: SetName | 'all';
  clips: number;
  speakers: number;
  durationSeconds: number;
  /** Mean over clips of each clip's RMS level. */
  meanRmsDbfs: number;
  /** The loudest sample in the group. */
  peakDbfs: number;
  /** Clips whose peak reaches 0.999 of full scale. */
  clipped: number;
  /** Clips whose RMS is below −50 dBFS. */
  nearSilent: number;
}

export interface DatasetStats {
  /** For each label, then for '*' (every label): a row per set that has clips, then the 'all' row. */
  rows: StatsRow[];
  noise: { files: number; durationSeconds: number };
  unreadable: number;
  warnings: string[];
}

class Accumulator {
  clips = 0;
  durationSeconds = 0;
  rmsSum = 0;
  peakDbfs = FLOOR_DBFS;
  clipped = 0;
  nearSilent = 0;
  readonly speakers = new Set<string>();

  add(levels: ClipLevels, speaker: string | null): void {
    this.clips++;
    this.durationSeconds += levels.durationSeconds;
    this.rmsSum += levels.rmsDbfs;
    this.peakDbfs = Math.max(this.peakDbfs, levels.peakDbfs);
    if (levels.peakDbfs >= dbfs(CLIPPED_PEAK)) this.clipped++;
    if (levels.rmsDbfs < NEAR_SILENT_DBFS) this.nearSilent++;
    if (speaker !== null) this.speakers.add(speaker);
  }

  row(label: string, set: SetName | 'all'): StatsRow {
    return {
      label,
      set,
      clips: this.clips,
      speakers: this.speakers.size,
      durationSeconds: this.durationSeconds,
      meanRmsDbfs: this.clips > 0 ? this.rmsSum / this.clips : FLOOR_DBFS,
      peakDbfs: this.peakDbfs,
      clipped: this.clipped,
      nearSilent: this.nearSilent,
    };
  }
}

export interface StatsOptions {
  onProgress?: (done: number, total: number) => void;
}

/** Statistics over every real clip of the index (silence made from noise is not a clip). */
export function computeStats(index: DatasetIndex, options: StatsOptions = {}): DatasetStats {
  const groups = new Map<string, Accumulator>();
  const group = (label: string, set: SetName | 'all') => {
    const key = `${label}\u0000${set}`;
    let accumulator = groups.get(key);
    if (!accumulator) groups.set(key, (accumulator = new Accumulator()));
    return accumulator;
  };
  const failures: string[] = [];
  index.files.forEach((file, i) => {
    try {
      const wav = readWav(file.path);
      const levels = measureClip(wav.samples, wav.sampleRate);
      const speaker = speakerOf(file.relativePath.slice(file.relativePath.lastIndexOf('/') + 1));
      const label = index.labels[file.label]!;
      for (const [l, s] of [
        [label, file.set],
        [label, 'all'],
        ['*', file.set],
        ['*', 'all'],
      ] as const)
        group(l, s).add(levels, speaker);
    } catch (error) {
      if (!(error instanceof KwsError)) throw error;
      failures.push(errorMessage(error));
    }
    options.onProgress?.(i + 1, index.files.length);
  });
  const rows: StatsRow[] = [];
  for (const label of [...index.labels, '*']) {
    for (const set of [...SET_NAMES, 'all'] as const) {
      const accumulator = groups.get(`${label}\u0000${set}`);
      if (accumulator) rows.push(accumulator.row(label, set));
    }
  }
  let noiseSeconds = 0;
  const noiseFailures: string[] = [];
  for (const file of index.noiseFiles) {
    try {
      const wav = readWav(file);
      noiseSeconds += wav.samples.length / wav.sampleRate;
    } catch (error) {
      if (!(error instanceof KwsError)) throw error;
      noiseFailures.push(errorMessage(error));
    }
  }
  return {
    rows,
    noise: { files: index.noiseFiles.length - noiseFailures.length, durationSeconds: noiseSeconds },
    unreadable: failures.length + noiseFailures.length,
    warnings: [...skippedWarning('WAV(s)', failures), ...skippedWarning('background noise WAV(s)', noiseFailures)],
  };
}
