/**
 * Everything a training run was started with, saved as `<train-dir>/config.json`, so that
 * `quantize`, `eval`, `predict` and `detect` need only `--train-dir`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { KwsError } from '../errors.js';
import type { FeatureConfig } from '../features/config.js';

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

export const RUN_CONFIG_FILE = 'config.json';

export function runConfigPath(trainDir: string): string {
  return path.join(trainDir, RUN_CONFIG_FILE);
}

export function saveRunConfig(trainDir: string, config: RunConfig): void {
  writeFileAtomic(runConfigPath(trainDir), `${JSON.stringify(config, null, 2)}\n`);
}

export function loadRunConfig(trainDir: string): RunConfig {
  const file = runConfigPath(trainDir);
  if (!fs.existsSync(file)) {
    throw new KwsError(
      `${trainDir} is not a training directory (no ${RUN_CONFIG_FILE}); run 'kws train --train-dir ${trainDir}' first`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new KwsError(`${file} is damaged (${(error as Error).message})`);
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
