/**
 * Everything a training run was started with, saved once as `<train-dir>/config.json`: every
 * command (train when it resumes, quantize, eval, predict, detect) reads the settings from there.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { KwsError, UsageError, errorMessage } from '../errors.js';
import type { FeatureConfig } from '../features/config.js';
import { Q7_TARGET, type TargetName } from '../targets.js';
import type { RunDir } from './layout.js';

export interface DataSettings {
  dataDir: string;
  wantedWords: string[];
  split: 'hash' | 'lists' | 'all';
  splitSalt: string;
  validationPercentage: number;
  testingPercentage: number;
  silencePercentage: number;
  unknownPercentage: number;
}

export interface AugmentSettings {
  timeShiftMs: number;
  backgroundFrequency: number;
  backgroundVolume: number;
}

export interface TrainSettings {
  howManyTrainingSteps: number[];
  learningRate: number[];
  batchSize: number;
  evalStepInterval: number;
  /**
   * Threads computing gradients: 1, or 2 to split every batch across both cores (replica.ts).
   * Absent in runs saved before it existed: 1.
   */
  trainWorkers?: number;
  /** First step of quantisation-aware training (qat.ts); absent: the run trains in float throughout. */
  quantizeAwareFrom?: number;
  /** The target quantisation-aware training trains for; absent: cmsis-nn-q7 (the only one before s8 had QAT). */
  quantizeAwareTarget?: TargetName;
}

/** The target a run's quantisation-aware training is for (runs saved before s8 had QAT: cmsis-nn-q7). */
export function quantizeAwareTargetOf(train: TrainSettings): TargetName {
  return train.quantizeAwareTarget ?? Q7_TARGET;
}

export interface RunConfig {
  version: 1;
  architecture: string;
  modelSizeInfo: number[];
  preset?: string;
  feature: FeatureConfig;
  data: DataSettings;
  augment: AugmentSettings;
  train: TrainSettings;
  seed: number;
  labels: string[];
}

export function saveRunConfig(dir: RunDir, config: RunConfig): void {
  writeFileAtomic(dir.config, `${JSON.stringify(config, null, 2)}\n`);
}

export function loadRunConfig(dir: RunDir): RunConfig {
  const file = dir.config;
  if (!fs.existsSync(file)) {
    throw new KwsError(
      `${dir.root} is not a training directory (no ${path.basename(file)}); run 'kws train --train-dir ${dir.root}' first`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new KwsError(`${file} is damaged (${errorMessage(error)})`);
  }
  const config = parsed as Partial<RunConfig>;
  if (config.version !== 1 || !config.architecture || !config.feature || !config.data || !config.labels) {
    throw new KwsError(`${file} is not a kws run configuration (missing fields)`);
  }
  return config as RunConfig;
}

export function labelsFor(wantedWords: readonly string[]): string[] {
  return ['_silence_', '_unknown_', ...wantedWords];
}

/** Everything that shapes the model or its data, as flag name → value (the option keys are the field names). */
function shapingSettings(run: RunConfig): Map<string, unknown> {
  return flagMap({
    modelArchitecture: run.architecture,
    modelSizeInfo: run.modelSizeInfo,
    ...run.feature,
    ...run.data,
    ...run.augment,
    ...run.train,
    trainWorkers: run.train.trainWorkers ?? 1,
    // Named as `kws train` spells it; absent in a QAT run: cmsis-nn-q7.
    quantizeAwareTarget: undefined,
    target: run.train.quantizeAwareFrom === undefined ? undefined : quantizeAwareTargetOf(run.train),
    seed: run.seed,
  });
}

function kebabCase(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

function shown(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  return value === '' ? "''" : String(value);
}

/** `--flag saved (now wanted)` for every flag whose value differs between the two maps. */
function differences(saved: Map<string, unknown>, wanted: Map<string, unknown>): string[] {
  const found: string[] = [];
  for (const [flag, value] of wanted) {
    const old = saved.get(flag);
    if (shown(old) !== shown(value) || typeof old !== typeof value) {
      found.push(`--${flag} ${shown(old)} (now ${shown(value)})`);
    }
  }
  return found;
}

function flagMap(settings: object): Map<string, unknown> {
  return new Map(Object.entries(settings).map(([key, value]) => [kebabCase(key), value]));
}

/**
 * The settings in which `wanted` differs from `saved`, one `--flag saved (now wanted)` each: a
 * run resumes only when this is empty. The preset name is not compared (it only names the
 * settings that are), nor are the labels (they follow from the words).
 */
export function settingsDiff(saved: RunConfig, wanted: RunConfig): string[] {
  return differences(shapingSettings(saved), shapingSettings(wanted));
}

/** The feature settings in which `wanted` differs from those a model was trained with. */
export function featureDiff(trained: FeatureConfig, wanted: FeatureConfig): string[] {
  return differences(flagMap(trained), flagMap(wanted));
}

/** JSON with object keys sorted, so equal settings always give equal text (and digest). */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 of the run's settings, recorded in what is derived from the run (the quantised network, its C). */
export function settingsDigest(run: RunConfig): string {
  return createHash('sha256').update(canonicalJson(run)).digest('hex');
}

/**
 * Makes `dir` ready to train `run` in: an empty or new folder, or a run with the very same
 * settings (which then resumes). A different run is refused, listing the differences, unless
 * `overwrite` says to start over (the old run's outputs are removed).
 */
export function claimRunDir(dir: RunDir, run: RunConfig, overwrite: boolean): void {
  if (!dir.exists()) return;
  if (overwrite) {
    dir.clear();
    return;
  }
  const differences = settingsDiff(loadRunConfig(dir), run);
  if (differences.length > 0) {
    throw new UsageError(
      `${dir.root} holds another run (${differences.join(', ')}); train into another --train-dir, ` +
        'or add --overwrite to start this one over',
    );
  }
}
